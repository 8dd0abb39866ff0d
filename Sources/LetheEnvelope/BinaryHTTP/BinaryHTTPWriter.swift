/// Writes known-length binary HTTP (RFC 9292 §3.1) into a buffer sized in advance, so that
/// plaintext is produced in place (e.g. in an arena buffer) without intermediate copies.
struct BinaryHTTPWriter {
    private let target: UnsafeMutableRawBufferPointer
    private(set) var offset = 0

    init(_ target: UnsafeMutableRawBufferPointer) {
        self.target = target
    }

    /// Bytes a field line list takes inside a known-length section (without its length prefix).
    static func fieldSectionCount(_ fields: [BinaryHTTPField]) -> Int {
        fields.reduce(0) { total, field in
            let name = field.name.utf8.count
            let value = field.value.utf8.count
            return total + QUICVarint.encodedCount(name) + name + QUICVarint.encodedCount(value) + value
        }
    }

    /// Bytes a length-prefixed known-length field section takes.
    static func prefixedFieldSectionCount(_ fields: [BinaryHTTPField]) -> Int {
        let count = fieldSectionCount(fields)
        return QUICVarint.encodedCount(count) + count
    }

    static func prefixedCount(_ count: Int) -> Int {
        QUICVarint.encodedCount(count) + count
    }

    mutating func writeVarint(_ value: Int) {
        QUICVarint.write(value, into: target, at: &offset)
    }

    mutating func writeBytes(_ bytes: UnsafeRawBufferPointer) {
        precondition(offset + bytes.count <= target.count, "binary HTTP write past the end of the buffer")
        if let source = bytes.baseAddress, !bytes.isEmpty {
            target.baseAddress!.advanced(by: offset).copyMemory(from: source, byteCount: bytes.count)
        }
        offset += bytes.count
    }

    mutating func writeLengthPrefixed(_ string: String, lowercasingASCII: Bool = false) {
        writeVarint(string.utf8.count)
        for byte in string.utf8 {
            target[offset] = lowercasingASCII ? HTTPSyntax.asciiLowercased(byte) : byte
            offset += 1
        }
    }

    /// A known-length field section: length, then name/value lines (names lower-cased, as
    /// RFC 9113 §8.2.1 requires).
    mutating func writeFieldSection(_ fields: [BinaryHTTPField]) {
        writeVarint(Self.fieldSectionCount(fields))
        for field in fields {
            writeLengthPrefixed(field.name, lowercasingASCII: true)
            writeLengthPrefixed(field.value)
        }
    }
}
