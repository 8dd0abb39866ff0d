import CLetheSystem
import Foundation
import LetheMemory
import LetheTestSupport
import Testing

@Suite("SecureBuffer")
struct SecureBufferTests {
    @Test("a new buffer is zeroed, page aligned and writable", arguments: [0, 1, 4095, 4096, 4097, 1 << 20])
    func allocation(count: Int) throws {
        let buffer = try SecureBuffer(count: count, bufferClass: .pixels)
        buffer.withUnsafeMutableBytes { bytes in
            #expect(bytes.count == count)
            #expect(bytes.allSatisfy { $0 == 0 })
            if let base = bytes.baseAddress {
                #expect(Int(bitPattern: base) % 4096 == 0)
            }
            for index in bytes.indices { bytes[index] = 0xA5 }
        }
        let result = buffer.wipe()
        #expect(result.byteCount == count && result.verified)
        #expect(buffer.isWiped)
    }

    @Test("a buffer of 2 MiB or more starts on a huge-page boundary and gets huge pages where the kernel offers them")
    func hugePages() throws {
        let count = (5 << 20) + 12_345
        // A pool that keeps nothing: the buffer is a fresh mapping.
        let buffer = try SecureBuffer(count: count, bufferClass: .intermediate, pool: WipedPagePool(capacityBytes: 0))
        let base = buffer.withUnsafeMutableBytes { bytes in
            for index in stride(from: 0, to: bytes.count, by: 4096) { bytes[index] = 0xA5 }
            return UInt(bitPattern: bytes.baseAddress!)
        }
        #expect(base % (2 << 20) == 0)
        #if os(Linux)
        let policy = (try? String(contentsOfFile: "/sys/kernel/mm/transparent_hugepage/enabled", encoding: .utf8)) ?? "[never]"
        if !policy.contains("[never]") {
            #expect(try anonymousHugePageKilobytes(containing: base) >= 2048)
        }
        #endif
        let result = buffer.wipe()
        #expect(result.byteCount == count && result.verified)
    }

    /// `AnonHugePages` of the mapping holding `address`, from /proc/self/smaps.
    private func anonymousHugePageKilobytes(containing address: UInt) throws -> Int {
        let smaps = try ProcFile.read("/proc/self/smaps")
        var inside = false
        for line in smaps.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if let range = fields.first, range.contains("-"), !range.hasSuffix(":") {
                let bounds = range.split(separator: "-").compactMap { UInt($0, radix: 16) }
                inside = bounds.count == 2 && bounds[0] <= address && address < bounds[1]
            } else if inside, fields.first == "AnonHugePages:", fields.count >= 2 {
                return Int(fields[1]) ?? 0
            }
        }
        return 0
    }

    @Test("the read-back finds one non-zero byte wherever it is: before, in and after the aligned vectors, in every accumulator's lanes")
    func readBackFindsAnyByte() {
        // 1 KiB + 13 from an odd offset: unaligned head bytes, whole 16-byte vectors (four
        // accumulators), a vector past the last group of four, tail bytes.
        let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: 1024 + 64, alignment: 64)
        defer { storage.deallocate() }
        storage.initializeMemory(as: UInt8.self, repeating: 0)
        let start = 3, length = 1024 + 13
        let region = UnsafeMutableRawBufferPointer(rebasing: storage[start..<(start + length)])
        #expect(lethe_is_zero(region.baseAddress, length) == 1)
        var missed: [Int] = []
        for offset in 0..<length {
            for bit in [UInt8(0x01), 0x80] {
                region[offset] = bit
                if lethe_is_zero(region.baseAddress, length) != 0 { missed.append(offset) }
                region[offset] = 0
            }
        }
        #expect(missed.isEmpty)
        // Bytes outside the range it is given are not its business.
        storage[start - 1] = 0xFF
        storage[start + length] = 0xFF
        #expect(lethe_is_zero(region.baseAddress, length) == 1)
        #expect(lethe_is_zero(region.baseAddress, 0) == 1)
    }

    @Test("the chunked wipe zeroes every byte it is given, across its chunks' edges, reads them back, and nothing beside them")
    func wipeVerifiedChunks() {
        // Three 16 KiB chunks and 13 bytes from an odd offset: whole chunks, a short last one.
        let length = 3 * 16_384 + 13, start = 5
        let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: length + 16, alignment: 64)
        defer { storage.deallocate() }
        storage.initializeMemory(as: UInt8.self, repeating: 0xA5)
        let region = UnsafeMutableRawBufferPointer(rebasing: storage[start..<(start + length)])
        #expect(lethe_wipe_verified(region.baseAddress, length) == 1)
        #expect(region.allSatisfy { $0 == 0 })
        #expect(storage[start - 1] == 0xA5 && storage[start + length] == 0xA5)
        #expect(lethe_wipe_verified(region.baseAddress, 0) == 1)
    }

    @Test("a wipe reports the time its zeroing and read-back took, and the arena's report sums them")
    func wipeDuration() throws {
        let arena = PlaintextArena()
        let buffers = try [1 << 20, 4096, 3 << 20].map { try arena.allocate(count: $0, bufferClass: .intermediate) }
        for buffer in buffers { buffer.withUnsafeMutableBytes { $0.initializeMemory(as: UInt8.self, repeating: 0x5A) } }
        arena.release(buffers[0])
        let report = arena.wipeAll()
        // A wiped buffer gives back the result it was wiped with: the durations the report summed.
        let durations = buffers.map { $0.wipe().duration }
        #expect(durations.allSatisfy { $0 > .zero })
        #expect(report.wipeDuration == durations.reduce(.zero, +))
        #expect(report.bufferCount == 3 && report.verified)
    }

    @Test("wipe is idempotent and reports the same result")
    func idempotentWipe() throws {
        let buffer = try SecureBuffer(copying: UnsafeRawBufferPointer(start: "secret", count: 6), bufferClass: .requestBody)
        let first = buffer.wipe()
        let second = buffer.wipe()
        #expect(first == second)
        #expect(first.byteCount == 6)
    }

    @Test("a Data wiped in place holds only zeros")
    func dataWipe() {
        var data = Data("plaintext photo bytes".utf8)
        data.wipeInPlace()
        #expect(data.allSatisfy { $0 == 0 })
        #expect(data.count == 21)
        // Small enough to live inline in the value itself.
        var inline = Data([1, 2, 3, 4, 5, 6, 7, 8])
        inline.wipeInPlace()
        #expect(inline == Data(count: 8))
    }

    /// Bytes that no zero can come from by accident.
    static func plaintext(_ count: Int) -> [UInt8] { (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 1) | 1 } }

    @Test("wiping a Data zeroes the storage that held its bytes, where it lies")
    func dataWipeStorage() {
        var data = Data(Self.plaintext(8192))
        let storage = data.withUnsafeBytes { $0.baseAddress! }
        data.wipeInPlace()
        // No copy was made and zeroed instead: the storage the bytes were in reads zeros.
        #expect(data.withUnsafeBytes { $0.baseAddress! } == storage)
        #expect(UnsafeRawBufferPointer(start: storage, count: 8192).allSatisfy { $0 == 0 })
        withExtendedLifetime(data) {}
    }

    @Test("wiping a Data zeroes shared copy-on-write storage, not a fresh copy of it")
    func dataWipeSharedStorage() {
        var data = Data(Self.plaintext(8192))
        let shared = data  // the same storage, until one of them is mutated
        let storage = shared.withUnsafeBytes { $0.baseAddress! }
        data.wipeInPlace()
        #expect(UnsafeRawBufferPointer(start: storage, count: 8192).allSatisfy { $0 == 0 }, "the original storage still holds the bytes")
        #expect(shared.allSatisfy { $0 == 0 })
        #expect(data.allSatisfy { $0 == 0 })
        withExtendedLifetime(shared) {}
    }

    @Test("wiping a byte array zeroes shared copy-on-write storage")
    func arrayWipeSharedStorage() {
        var bytes = Self.plaintext(8192)
        let shared = bytes
        let storage = shared.withUnsafeBytes { $0.baseAddress! }
        bytes.wipeInPlace()
        #expect(UnsafeRawBufferPointer(start: storage, count: 8192).allSatisfy { $0 == 0 })
        #expect(bytes.allSatisfy { $0 == 0 })
        withExtendedLifetime(shared) {}
    }
}

@Suite("PlaintextArena")
struct PlaintextArenaTests {
    @Test("wipeAll reports bytes per class and verifies every buffer")
    func report() throws {
        let arena = PlaintextArena()
        let body = try arena.allocate(count: 1000, bufferClass: .requestBody)
        let pixels = try arena.allocate(count: 3 * 64 * 64, bufferClass: .pixels)
        let mask = try arena.allocate(count: 64 * 64, bufferClass: .intermediate)
        body.withUnsafeMutableBytes { $0.initializeMemory(as: UInt8.self, repeating: 1) }
        pixels.withUnsafeMutableBytes { $0.initializeMemory(as: UInt8.self, repeating: 2) }
        #expect(arena.bytesHeld == 1000 + 12288 + 4096)
        arena.release(mask)
        #expect(mask.isWiped)
        #expect(arena.bytesHeld == 1000 + 12288)
        let again = try arena.allocate(count: 2048, bufferClass: .intermediate)
        arena.release(again)
        // The peak is the most held at once (body, pixels and mask), not the sum of every buffer.
        #expect(arena.peakBytesHeld == 1000 + 12288 + 4096)

        let report = arena.wipeAll()
        #expect(report.bytesByClass == ["request_body": 1000, "pixels": 12288, "intermediate": 4096 + 2048, "rendering": 0, "response": 0])
        #expect(report.bufferCount == 4)
        #expect(report.verified)
        #expect(body.isWiped && pixels.isWiped)
        #expect(arena.bytesHeld == 0)
        #expect(arena.wipeAll() == report)
    }

    @Test("adopting a Data copies it and zeroes the original")
    func adopt() throws {
        let arena = PlaintextArena()
        var data = Data(repeating: 0x7F, count: 5000)
        let alias = data  // e.g. a library that kept a reference to what it returned
        let storage = alias.withUnsafeBytes { $0.baseAddress! }
        let buffer = try arena.adopt(&data, bufferClass: .requestBody)
        #expect(data.allSatisfy { $0 == 0 })
        #expect(UnsafeRawBufferPointer(start: storage, count: 5000).allSatisfy { $0 == 0 }, "the storage that held the bytes")
        withExtendedLifetime(alias) {}
        buffer.withUnsafeBytes { #expect($0.allSatisfy { $0 == 0x7F }) }
        #expect(arena.wipeAll().bytesByClass["request_body"] == 5000)
    }

    @Test("a closed arena refuses new allocations")
    func closed() {
        let arena = PlaintextArena()
        _ = arena.wipeAll()
        #expect(throws: LetheError.self) { try arena.allocate(count: 10, bufferClass: .pixels) }
    }
}
