import Foundation
import LetheMemory

/// A bounds-checked reader of FlatBuffers tables (the binary layout of TFLite model files:
/// https://flatbuffers.dev/internals/). Every offset read from the file is checked against the
/// buffer before it is followed, so a truncated or hostile file fails with `model_unreadable`
/// instead of reading out of bounds.
struct FlatBufferReader {
    let bytes: [UInt8]

    /// A table: its position and the position of its vtable.
    struct Table {
        let position: Int
        let vtable: Int
        let vtableSize: Int
    }

    static func malformed(_ why: String) -> LetheError {
        .modelUnreadable("landmark model: \(why)")
    }

    private func check(_ position: Int, _ size: Int) throws(LetheError) {
        guard position >= 0, size >= 0, position <= bytes.count, size <= bytes.count - position else {
            throw Self.malformed("offset outside the file (truncated?)")
        }
    }

    func uint8(at position: Int) throws(LetheError) -> UInt8 {
        try check(position, 1)
        return bytes[position]
    }

    func uint16(at position: Int) throws(LetheError) -> UInt16 {
        try check(position, 2)
        return UInt16(bytes[position]) | UInt16(bytes[position + 1]) << 8
    }

    func uint32(at position: Int) throws(LetheError) -> UInt32 {
        try check(position, 4)
        var value: UInt32 = 0
        for index in 0..<4 { value |= UInt32(bytes[position + index]) << (8 * index) }
        return value
    }

    func int32(at position: Int) throws(LetheError) -> Int32 { Int32(bitPattern: try uint32(at: position)) }

    /// The root table, whose offset is the file's first 32-bit word.
    func root() throws(LetheError) -> Table { try table(at: Int(try uint32(at: 0))) }

    func table(at position: Int) throws(LetheError) -> Table {
        // The table starts with a signed offset back to its vtable (position - offset).
        let (vtable, overflow) = position.subtractingReportingOverflow(Int(try int32(at: position)))
        guard !overflow else { throw Self.malformed("vtable offset overflows") }
        let vtableSize = Int(try uint16(at: vtable))
        guard vtableSize >= 4, vtableSize % 2 == 0 else { throw Self.malformed("malformed vtable") }
        try check(vtable, vtableSize)
        return Table(position: position, vtable: vtable, vtableSize: vtableSize)
    }

    /// Position of field `slot` inside `table`, or nil when the field is absent (its default applies).
    func field(_ table: Table, _ slot: Int) throws(LetheError) -> Int? {
        let entry = 4 + 2 * slot
        guard entry + 2 <= table.vtableSize else { return nil }
        let offset = Int(try uint16(at: table.vtable + entry))
        return offset == 0 ? nil : table.position + offset
    }

    func int32(_ table: Table, _ slot: Int, default value: Int32 = 0) throws(LetheError) -> Int32 {
        guard let position = try field(table, slot) else { return value }
        return try int32(at: position)
    }

    func uint8(_ table: Table, _ slot: Int, default value: UInt8 = 0) throws(LetheError) -> UInt8 {
        guard let position = try field(table, slot) else { return value }
        return try uint8(at: position)
    }

    /// Follows an offset field (table, vector or string) to its target.
    private func indirect(_ position: Int) throws(LetheError) -> Int {
        let (target, overflow) = position.addingReportingOverflow(Int(try uint32(at: position)))
        guard !overflow else { throw Self.malformed("offset overflows") }
        return target
    }

    func subtable(_ table: Table, _ slot: Int) throws(LetheError) -> Table? {
        guard let position = try field(table, slot) else { return nil }
        return try self.table(at: try indirect(position))
    }

    /// A vector field: the position of its first element and its length.
    func vector(_ table: Table, _ slot: Int, elementSize: Int) throws(LetheError) -> (start: Int, count: Int)? {
        guard let position = try field(table, slot) else { return nil }
        let start = try indirect(position)
        let count = Int(try uint32(at: start))
        let (size, overflow) = count.multipliedReportingOverflow(by: elementSize)
        guard !overflow else { throw Self.malformed("vector length overflows") }
        try check(start + 4, size)
        return (start + 4, count)
    }

    func int32s(_ table: Table, _ slot: Int) throws(LetheError) -> [Int]? {
        guard let (start, count) = try vector(table, slot, elementSize: 4) else { return nil }
        var values: [Int] = []
        for index in 0..<count { values.append(Int(try int32(at: start + 4 * index))) }
        return values
    }

    func tables(_ table: Table, _ slot: Int) throws(LetheError) -> [Table] {
        guard let (start, count) = try vector(table, slot, elementSize: 4) else { return [] }
        var tables: [Table] = []
        for index in 0..<count { tables.append(try self.table(at: try indirect(start + 4 * index))) }
        return tables
    }

    /// A `[ubyte]` field as a range of `bytes`.
    func byteRange(_ table: Table, _ slot: Int) throws(LetheError) -> Range<Int>? {
        guard let (start, count) = try vector(table, slot, elementSize: 1) else { return nil }
        return start..<(start + count)
    }
}
