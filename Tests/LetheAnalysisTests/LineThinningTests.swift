@testable import LetheAnalysis
import LetheTestSupport
import Testing

/// The line detector thins its centrelines by visiting only the pixels that carry the bit (a
/// list in raster order) instead of every pixel of the plane on every pass; the lines' lengths
/// were established with the pass over every pixel, so the removals must be the same.
@Suite("Centreline thinning")
struct LineThinningTests {
    @Test("the listed pixels' passes remove what passes over every pixel remove", arguments: 0..<12)
    func matchesEveryPixelPasses(seed: Int) {
        var random = SeededGenerator(seed: UInt64(300 + seed))
        let width = [3, 9, 40, 97].randomElement(using: &random)!, height = [3, 8, 33, 61].randomElement(using: &random)!
        // Blobs and strokes one to three pixels thick, other bits set beside them.
        let density = Double.random(in: 0.2...0.7, using: &random)
        var flags = (0..<(width * height)).map { _ in UInt8(Double.random(in: 0...1, using: &random) < density ? 1 : 0) | 4 }
        let original = flags
        var expected = flags
        Self.thinEveryPixel(&expected, bit: 1, width: width, height: height)
        var list = [Int32](repeating: -1, count: width * height)
        flags.withUnsafeMutableBufferPointer { flags in
            list.withUnsafeMutableBufferPointer { LineDetector.thin(flags, bit: 1, width: width, height: height, list: $0) }
        }
        let differing = zip(flags, expected).filter { $0 != $1 }.count
        #expect(differing == 0, "pixels whose bits differ")
        // Not a vacuous comparison: on planes of 8 × 8 and more the noise always has pixels to remove.
        if width >= 8, height >= 8 { #expect(expected != original) }
    }

    /// The thinning as first written: passes over every interior pixel in raster order, removing
    /// each simple pixel that is not a line end (Yokoi's N8 = 1), until a pass removes nothing.
    static func thinEveryPixel(_ flags: inout [UInt8], bit: UInt8, width: Int, height: Int) {
        guard width >= 3, height >= 3 else { return }
        var changed = true
        while changed {
            changed = false
            for y in 1..<(height - 1) {
                for x in 1..<(width - 1) where flags[y * width + x] & bit != 0 {
                    let i = y * width + x
                    let ring = [i + 1, i - width + 1, i - width, i - width - 1, i - 1, i + width - 1, i + width, i + width + 1]
                        .map { flags[$0] & bit != 0 ? 1 : 0 }
                    guard ring.reduce(0, +) >= 2 else { continue }
                    let connectivity = stride(from: 0, to: 8, by: 2).reduce(0) { sum, k in
                        let (a, b, c) = (1 - ring[k], 1 - ring[k + 1], 1 - ring[(k + 2) % 8])
                        return sum + a - a * b * c
                    }
                    if connectivity == 1 { flags[i] &= ~bit; changed = true }
                }
            }
        }
    }
}
