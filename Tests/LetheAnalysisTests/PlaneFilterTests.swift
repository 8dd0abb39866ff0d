@testable import LetheAnalysis
import LetheTestSupport
import Testing

/// The box filter's horizontal pass runs eight rows in SIMD lanes; every measure's accuracy was
/// established with the one-row-at-a-time filter, so the lanes must give the very same bits.
@Suite("Plane filters")
struct PlaneFilterTests {
    /// Plane sizes around the eight-row blocks (fewer rows than a block, exact blocks, blocks plus
    /// a remainder), single rows and columns, radii up to and past the plane's extent, and rows
    /// wide enough for the eight-column interior path, with and without a column left over.
    static let cases: [(width: Int, height: Int, radius: Int, passes: Int)] = [
        (1, 1, 1, 1), (1, 9, 2, 3), (9, 1, 2, 3), (1, 17, 20, 2), (17, 1, 20, 2),
        (5, 7, 1, 3), (13, 8, 3, 3), (31, 9, 4, 3), (23, 16, 11, 1), (23, 16, 12, 2),
        (37, 25, 40, 3), (64, 23, 7, 3), (101, 67, 9, 3), (7, 41, 3, 2), (3, 33, 5, 3),
        (50, 19, 1, 3), (45, 8, 2, 1), (26, 16, 8, 2), (27, 16, 8, 2), (200, 24, 3, 3),
    ]

    @Test("boxBlur gives the bits of a scalar row and column walk", arguments: cases.indices)
    func matchesScalarReference(index: Int) {
        let (width, height, radius, passes) = Self.cases[index]
        var random = SeededGenerator(seed: UInt64(1_000 + index))
        // Values over several magnitudes, so that rounding depends on the order of the additions.
        let input = (0..<(width * height)).map { _ in
            Float.random(in: -1...1, using: &random) * [Float(0.01), 1, 255, 1e4].randomElement(using: &random)!
        }
        let expected = Self.reference(input, width: width, height: height, radius: radius, passes: passes)

        var plane = input
        var scratch = [Float](repeating: .nan, count: width * height)
        plane.withUnsafeMutableBufferPointer { plane in
            scratch.withUnsafeMutableBufferPointer { scratch in
                PlaneFilters.boxBlur(plane, scratch: scratch, width: width, height: height, radius: radius, passes: passes)
            }
        }
        #expect(plane.map(\.bitPattern) == expected.map(\.bitPattern))
    }

    /// The filter as first written: per row a running sum from the left, then per column a
    /// running sum from the top, each pixel's mean over the neighbours that exist.
    static func reference(_ input: [Float], width: Int, height: Int, radius: Int, passes: Int) -> [Float] {
        var plane = input
        var rows = [Float](repeating: 0, count: width * height)
        for _ in 0..<passes {
            for y in 0..<height {
                var sum: Float = 0
                var count = 0
                for x in 0..<min(radius, width) { sum += plane[y * width + x]; count += 1 }
                for x in 0..<width {
                    if x + radius < width { sum += plane[y * width + x + radius]; count += 1 }
                    if x - radius - 1 >= 0 { sum -= plane[y * width + x - radius - 1]; count -= 1 }
                    rows[y * width + x] = sum / Float(count)
                }
            }
            for x in 0..<width {
                var sum: Float = 0
                var count = 0
                for y in 0..<min(radius, height) { sum += rows[y * width + x]; count += 1 }
                for y in 0..<height {
                    if y + radius < height { sum += rows[(y + radius) * width + x]; count += 1 }
                    if y - radius - 1 >= 0 { sum -= rows[(y - radius - 1) * width + x]; count -= 1 }
                    plane[y * width + x] = sum / Float(count)
                }
            }
        }
        return plane
    }
}
