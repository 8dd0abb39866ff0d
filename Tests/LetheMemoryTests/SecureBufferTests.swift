import Foundation
import LetheMemory
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
        #expect(result == WipeResult(byteCount: count, verified: true))
        #expect(buffer.isWiped)
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

        let report = arena.wipeAll()
        #expect(report.bytesByClass == ["request_body": 1000, "pixels": 12288, "intermediate": 4096, "rendering": 0, "response": 0])
        #expect(report.bufferCount == 3)
        #expect(report.verified)
        #expect(body.isWiped && pixels.isWiped)
        #expect(arena.bytesHeld == 0)
        #expect(arena.wipeAll() == report)
    }

    @Test("adopting a Data copies it and zeroes the original")
    func adopt() throws {
        let arena = PlaintextArena()
        var data = Data(repeating: 0x7F, count: 5000)
        let buffer = try arena.adopt(&data, bufferClass: .requestBody)
        #expect(data.allSatisfy { $0 == 0 })
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

@Suite("ProcessHardening")
struct ProcessHardeningTests {
    @Test("applying makes the process non-dumpable with a zero core limit")
    func apply() {
        let status = ProcessHardening.apply()
        #expect(status.nonDumpable)
        #expect(status.coreLimitZero)
        #expect(status.summary.contains("non_dumpable=on"))
    }
}
