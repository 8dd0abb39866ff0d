import Testing
@testable import LetheEnvelope

@Suite("QUIC variable-length integers (RFC 9000 §16)")
struct QUICVarintTests {
    /// RFC 9000 Appendix A.1 sample decodings, including the non-minimal two-byte 37.
    static let samples: [([UInt8], UInt64)] = [
        ([0xC2, 0x19, 0x7C, 0x5E, 0xFF, 0x14, 0xE8, 0x8C], 151_288_809_941_952_652),
        ([0x9D, 0x7F, 0x3E, 0x7D], 494_878_333),
        ([0x7B, 0xBD], 15_293),
        ([0x25], 37),
        ([0x40, 0x25], 37),
    ]

    @Test("RFC 9000 samples decode", arguments: samples)
    func decode(bytes: [UInt8], value: UInt64) {
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            #expect(QUICVarint.read(from: buffer, at: &offset) == value)
            #expect(offset == bytes.count)
        }
    }

    @Test("shortest encodings round trip", arguments: [
        (0, 1), (63, 1), (64, 2), (15_293, 2), (16_383, 2), (16_384, 4), (494_878_333, 4),
        (1_073_741_823, 4), (1_073_741_824, 8), (151_288_809_941_952_652, 8), (4_611_686_018_427_387_903, 8),
    ] as [(Int, Int)])
    func encode(value: Int, count: Int) {
        #expect(QUICVarint.encodedCount(value) == count)
        var bytes = [UInt8](repeating: 0, count: count)
        bytes.withUnsafeMutableBytes { buffer in
            var offset = 0
            QUICVarint.write(value, into: buffer, at: &offset)
            #expect(offset == count)
        }
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            #expect(QUICVarint.read(from: buffer, at: &offset) == UInt64(value))
        }
    }

    @Test("a varint cut short reads as nil")
    func truncated() {
        [UInt8]([0xC2, 0x19, 0x7C]).withUnsafeBytes { buffer in
            var offset = 0
            #expect(QUICVarint.read(from: buffer, at: &offset) == nil)
            #expect(offset == 0)
        }
    }
}
