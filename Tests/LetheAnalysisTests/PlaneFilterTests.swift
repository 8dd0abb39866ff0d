@testable import LetheAnalysis
import LetheTestSupport
import Testing

/// The box filters' horizontal passes run eight rows in SIMD lanes; every measure's accuracy was
/// established with the one-row-at-a-time filters, so the lanes must give the very same bits.
@Suite("Plane filters")
struct PlaneFilterTests {
    /// Plane sizes around the eight-row blocks (fewer rows than a block, exact blocks, blocks plus
    /// a remainder), single rows and columns, radii up to and past the plane's extent, rows
    /// wide enough for the eight-column interior path, with and without a column left over, and
    /// planes taller than the ring of row means.
    static let cases: [(width: Int, height: Int, radius: Int, passes: Int)] = [
        (1, 1, 1, 1), (1, 9, 2, 3), (9, 1, 2, 3), (1, 17, 20, 2), (17, 1, 20, 2),
        (5, 7, 1, 3), (13, 8, 3, 3), (31, 9, 4, 3), (23, 16, 11, 1), (23, 16, 12, 2),
        (37, 25, 40, 3), (64, 23, 7, 3), (101, 67, 9, 3), (7, 41, 3, 2), (3, 33, 5, 3),
        (50, 19, 1, 3), (45, 8, 2, 1), (26, 16, 8, 2), (27, 16, 8, 2), (200, 24, 3, 3),
        // Taller than the ring of row means (2·radius + 18 rows, to a multiple of eight): it wraps,
        // also in the middle of the last rows made one at a time.
        (45, 130, 2, 3), (9, 101, 1, 1), (33, 77, 5, 2),
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
        // Exactly the rows the filter asks for (the line detector and the texture band allocate no more).
        var scratch = [Float](repeating: .nan, count: PlaneFilters.boxBlurScratchCount(width: width, height: height, radius: radius))
        plane.withUnsafeMutableBufferPointer { plane in
            scratch.withUnsafeMutableBufferPointer { scratch in
                PlaneFilters.boxBlur(plane, scratch: scratch, width: width, height: height, radius: radius, passes: passes)
            }
        }
        #expect(plane.map(\.bitPattern) == expected.map(\.bitPattern))
    }

    @Test("normalise divides in lanes where the weight reaches the minimum: the bits of a division per pixel", arguments: [0, 5, 8, 13, 64, 103])
    func normaliseMatchesScalar(count: Int) {
        var random = SeededGenerator(seed: UInt64(77 + count))
        let sums = (0..<count).map { _ in Float.random(in: -300...300, using: &random) }
        // Weights below, at and above the minimum, zeros among them.
        let minimum: Float = 0.05
        let weights = (0..<count).map { _ in [0, 0.01, minimum, minimum.nextDown, Float.random(in: 0...4, using: &random)].randomElement(using: &random)! }
        let expected = zip(sums, weights).map { $1 >= minimum ? $0 / $1 : $0 }
        var values = sums, certainties = weights
        values.withUnsafeMutableBufferPointer { values in
            certainties.withUnsafeMutableBufferPointer { PlaneFilters.normalise(values, by: $0, atLeast: minimum) }
        }
        #expect(values.map(\.bitPattern) == expected.map(\.bitPattern))
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

    /// Plane sizes as above, with σ from below one sample (radius 0, the weight α alone) past the
    /// plane's extent.
    static let extendedCases: [(width: Int, height: Int, sigma: Double)] = [
        (1, 1, 1), (1, 9, 2), (9, 1, 2), (1, 17, 20), (17, 1, 20), (5, 7, 0.6), (13, 8, 1.7), (31, 9, 2.5),
        (23, 16, 6.2), (37, 25, 40), (64, 23, 3.3), (101, 67, 5.9), (7, 41, 1.2), (50, 19, 0.9), (26, 16, 4.4),
        (27, 16, 4.4), (200, 24, 2.45), (203, 31, 9.49),
    ]

    @Test("extendedBox gives the bits of a scalar row walk", arguments: extendedCases.indices)
    func extendedBoxMatchesScalarReference(index: Int) {
        let (width, height, sigma) = Self.extendedCases[index]
        var random = SeededGenerator(seed: UInt64(2_000 + index))
        let input = (0..<(width * height)).map { _ in
            Float.random(in: -1...1, using: &random) * [Float(0.01), 1, 255, 1e4].randomElement(using: &random)!
        }
        let expected = Self.extendedReference(input, width: width, height: height, sigma: sigma)
        var plane = input
        var scratch = [Float](repeating: .nan, count: width * height)
        plane.withUnsafeMutableBufferPointer { plane in
            scratch.withUnsafeMutableBufferPointer { scratch in
                PlaneFilters.extendedBox(plane, sigma: sigma, scratch: scratch, width: width, height: height)
            }
        }
        #expect(plane.map(\.bitPattern) == expected.map(\.bitPattern))
    }

    /// The extended box as first written: per row a running sum from the left with the weighted
    /// samples just outside the box, then per column the same from the top.
    static func extendedReference(_ input: [Float], width: Int, height: Int, sigma: Double) -> [Float] {
        let variance = sigma * sigma / 3
        var r = 0
        while Double((r + 1) * (r + 2)) / 3 <= variance { r += 1 }
        let alpha = Double(2 * r + 1) * (variance - Double(r * (r + 1)) / 3) / (2 * (Double((r + 1) * (r + 1)) - variance))
        let edge = Float(alpha), norm = Float(1 / (Double(2 * r + 1) + 2 * alpha))
        var plane = input
        var rows = [Float](repeating: 0, count: width * height)
        for _ in 0..<3 {
            for y in 0..<height {
                let row = y * width
                var sum: Float = 0
                for t in 0...min(r, width - 1) { sum += plane[row + t] }
                for x in 0..<width {
                    let outer = (x - r - 1 >= 0 ? plane[row + x - r - 1] : 0) + (x + r + 1 < width ? plane[row + x + r + 1] : 0)
                    rows[row + x] = (sum + edge * outer) * norm
                    if x > r, x + r + 1 < width {
                        // Both neighbours inside: the entering sample less the leaving one, as one step.
                        sum += plane[row + x + r + 1] - plane[row + x - r]
                    } else {
                        if x + r + 1 < width { sum += plane[row + x + r + 1] }
                        if x - r >= 0 { sum -= plane[row + x - r] }
                    }
                }
            }
            for x in 0..<width {
                var sum: Float = 0
                for t in 0...min(r, height - 1) { sum += rows[t * width + x] }
                for y in 0..<height {
                    let outer = (y - r - 1 >= 0 ? rows[(y - r - 1) * width + x] : 0) + (y + r + 1 < height ? rows[(y + r + 1) * width + x] : 0)
                    plane[y * width + x] = (sum + edge * outer) * norm
                    if y + r + 1 < height { sum += rows[(y + r + 1) * width + x] }
                    if y - r >= 0 { sum -= rows[(y - r) * width + x] }
                }
            }
        }
        return plane
    }
}
