import LetheMemory
import LetheTestSupport
import Testing

/// `UnsafeRawBufferPointer`'s searches against the plainest definition: every offset tried in turn.
@Suite("Byte search in plaintext buffers")
struct ByteSearchTests {
    static func naive(_ bytes: [UInt8], _ pattern: [UInt8], _ range: Range<Int>) -> Int? {
        guard !pattern.isEmpty, range.count >= pattern.count else { return nil }
        return (range.lowerBound...(range.upperBound - pattern.count)).first { Array(bytes[$0..<($0 + pattern.count)]) == pattern }
    }

    @Test("a byte and a pattern found where trying every offset finds them, inside the range only, over seeded random buffers")
    func againstEveryOffset() {
        var random = SeededGenerator(seed: 41)
        for trial in 0..<400 {
            let length = Int.random(in: 0..<300, using: &random)
            // Few distinct values, so that partial matches and repeats are common.
            let bytes = (0..<length).map { _ in UInt8.random(in: 0xFC...0xFF, using: &random) }
            let lower = Int.random(in: 0...length, using: &random), upper = Int.random(in: lower...length, using: &random)
            let pattern = (0..<Int.random(in: 1...3, using: &random)).map { _ in UInt8.random(in: 0xFC...0xFF, using: &random) }
            bytes.withUnsafeBytes { buffer in
                #expect(buffer.firstOffset(of: pattern, in: lower..<upper) == Self.naive(bytes, pattern, lower..<upper), "trial \(trial)")
                #expect(buffer.firstOffset(of: pattern[0], in: lower..<upper) == Self.naive(bytes, [pattern[0]], lower..<upper), "trial \(trial)")
            }
        }
    }

    @Test("a byte at the range's last offset is found; one just past it, or in an empty range, is not")
    func edges() {
        let bytes: [UInt8] = [1, 2, 0xFF, 3, 0xFF]
        bytes.withUnsafeBytes { buffer in
            #expect(buffer.firstOffset(of: 0xFF, in: 0..<5) == 2)
            #expect(buffer.firstOffset(of: 0xFF, in: 3..<5) == 4)
            #expect(buffer.firstOffset(of: 0xFF, in: 3..<4) == nil)
            #expect(buffer.firstOffset(of: 0xFF, in: 2..<2) == nil)
            #expect(buffer.firstOffset(of: [3, 0xFF], in: 0..<5) == 3)
            #expect(buffer.firstOffset(of: [3, 0xFF], in: 0..<4) == nil)
        }
    }
}
