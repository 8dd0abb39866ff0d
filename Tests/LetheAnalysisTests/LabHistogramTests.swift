@testable import LetheAnalysis
import LetheTestSupport
import Testing

/// The face's median skin colour and its clear skin's come from half-unit histograms
/// (`LabHistogram`), counted in two halves when the request has a second core.
@Suite("Half-unit colour histograms")
struct LabHistogramTests {
    /// L* of `count` pixels and their a*, b* (and zero erythema index) codes, a few beyond the
    /// histogram's range.
    static func planes(count: Int, seed: UInt64) -> (lightness: [Float], chroma: [Int16]) {
        var random = SeededGenerator(seed: seed)
        let lightness = (0..<count).map { _ in Float.random(in: -5...105, using: &random) }
        let chroma = (0..<(2 * count)).map { _ in FixedLayer.code(Float.random(in: -90...90, using: &random)) }
        return (lightness, chroma + [Int16](repeating: 0, count: count))
    }

    @Test("each median is the half unit where the sorted values reach half, clamped to the range; halves add up to the whole")
    func mediansAndHalves() {
        let count = 1_001
        var (lightness, chroma) = Self.planes(count: count, seed: 7)
        lightness.withUnsafeBufferPointer { lightness in chroma.withUnsafeMutableBufferPointer { chroma in
            let colour = ColourPixels(lStar: lightness, chroma: chroma)
            let included = { (i: Int) in i % 3 != 0 }
            var whole = LabHistogram()
            whole.add(0..<count, of: colour, where: included)
            var front = LabHistogram(), back = LabHistogram()
            front.add(0..<400, of: colour, where: included)
            back.add(400..<count, of: colour, where: included)
            let sum = front + back
            #expect(sum.bins == whole.bins && sum.count == whole.count)

            let pixels = (0..<count).filter(included)
            #expect(whole.count == pixels.count)
            let layers: [(Int) -> Float] = [{ colour.lStar[$0] }, { colour.aStar[$0] }, { colour.bStar[$0] }]
            for (plane, offset, bins) in [(0, Float(0), Float(201)), (1, Float(80), Float(321)), (2, Float(80), Float(321))] {
                // The value of the middle pixel's half unit (the first at which half the pixels are counted).
                let sorted = pixels.map { min(max(((layers[plane]($0) + offset) * 2).rounded(), 0), bins - 1) / 2 - offset }.sorted()
                let expected = sorted[(sorted.count + 1) / 2 - 1]
                #expect(whole.median[plane] == expected, "plane \(plane)")
            }
        } }
    }

    @Test("a value's bin is its half units rounded half away from zero, clamped: at and beside every half, and beyond the range")
    func binsRoundAsLibm() {
        var values: [Float] = [0, -0, 0.25, 0.2499999, -0.25, -0.2500001, 100, 100.25, 100.24999, -80, 80, 200, -200, 1e6, -1e6]
        for quarter in stride(from: Float(-170), through: 170, by: 0.25) {
            values += [quarter, quarter.nextUp, quarter.nextDown]
        }
        for value in values {
            for (offset, bins) in [(Float(0), LabHistogram.lightnessBins), (LabHistogram.chromaOffset, LabHistogram.chromaBins)] {
                let libm = min(bins - 1, max(0, Int(((value + offset) * 2).rounded())))
                #expect(LabHistogram.bin(value, offset: offset, bins: bins) == libm, "\(value) + \(offset)")
            }
        }
    }

    /// 1,000 pixels' L* evenly spread over [60.2, 70.2) (median 65.2), a* over [10.2, 20.2), b*
    /// over [−4.8, 5.2); `lightnessOnly` more at L* 80 … 90 counted for their lightness alone.
    static func evenlySpread(lightnessOnly: Int) -> LabHistogram {
        let count = 1_000, total = count + lightnessOnly
        /// The `i`th of `count` evenly spread over [start, start + 10).
        func spread(_ start: Float, _ i: Int) -> Float { start + 10 * (Float(i % count) + 0.5) / Float(count) }
        let lightness: [Float] = (0..<total).map { i in i < count ? spread(60.2, i) : 80 + 10 * Float(i - count) / Float(max(1, lightnessOnly)) }
        let aStar: [Int16] = (0..<total).map { FixedLayer.code(spread(10.2, $0)) }
        let bStar: [Int16] = (0..<total).map { FixedLayer.code(spread(-4.8, $0)) }
        var chroma = aStar + bStar + [Int16](repeating: 0, count: total)
        var histogram = LabHistogram()
        lightness.withUnsafeBufferPointer { lightness in chroma.withUnsafeMutableBufferPointer { chroma in
            let colour = ColourPixels(lStar: lightness, chroma: chroma)
            histogram.counting { counter in
                for i in 0..<total { if i < count { counter.add(i, of: colour) } else { counter.addLightness(i, of: colour) } }
            }
        } }
        return histogram
    }

    @Test("the interpolated median is the grouped data's: 65.2 of L* evenly over [60.2, 70.2), where the half unit's is 65.0")
    func interpolatedMedian() {
        let histogram = Self.evenlySpread(lightnessOnly: 0)
        let median = histogram.interpolatedMedian
        print("medians: half unit \(histogram.median), interpolated \(median)")
        #expect(histogram.median == SIMD3(65, 15, 0))
        #expect(abs(median.x - 65.2) < 0.011 && abs(median.y - 15.2) < 0.011 && abs(median.z - 0.2) < 0.011, "\(median)")
    }

    @Test("pixels counted for their lightness alone (clipped: brighter than the median) move L*'s median by their rank, a* and b*'s not at all")
    func lightnessAlone() {
        let alone = Self.evenlySpread(lightnessOnly: 200), without = Self.evenlySpread(lightnessOnly: 0)
        #expect(alone.count == 1_000 && alone.lightnessOnlyCount == 200)
        // 600 of 1,200 pixels: the 600th of the evenly spread thousand, L* 66.2.
        #expect(abs(alone.interpolatedMedian.x - 66.2) < 0.011, "\(alone.interpolatedMedian)")
        #expect(alone.interpolatedMedian.y == without.interpolatedMedian.y && alone.interpolatedMedian.z == without.interpolatedMedian.z)
        let sum = without + alone
        #expect(sum.count == 2_000 && sum.lightnessOnlyCount == 200)
    }

    @Test("no pixels: every median is its first bin (the caller checks the count)")
    func empty() {
        #expect(LabHistogram().count == 0)
        #expect(LabHistogram().median == SIMD3(0, -80, -80))
    }
}
