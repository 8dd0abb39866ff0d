import Foundation
import LetheAPI
import LetheImaging
import LetheMemory

/// Thresholds of the scalp measures.
public struct ScalpAnalysisConfiguration: Sendable, Equatable, Codable {
    /// Dark contrast (ΔL*) from which a pixel may be hair; the final threshold is half the hairs'
    /// typical contrast (full width at half maximum) when that is higher.
    public var hairMinimumContrastLStar: Double
    /// Bright contrast (ΔL*) from which a pixel may be a flake; likewise raised to half maximum.
    public var flakeMinimumContrastLStar: Double
    /// A hair is at least this long (millimetres) and this many times as long as it is wide.
    public var hairMinimumLengthMillimetres: Double
    public var hairMinimumAspect: Double
    /// Flakes smaller than this (mm²) are ignored.
    public var flakeMinimumAreaSquareMillimetres: Double
    /// Radius of the background L* (mm): larger than the largest flake and hair segment.
    public var backgroundRadiusMillimetres: Double
    /// Largest working-image side.
    public var workingLongSidePixels: Int

    public init(
        hairMinimumContrastLStar: Double = 8, flakeMinimumContrastLStar: Double = 8,
        hairMinimumLengthMillimetres: Double = 0.1, hairMinimumAspect: Double = 2.5,
        flakeMinimumAreaSquareMillimetres: Double = 0.0005, backgroundRadiusMillimetres: Double = 0.4,
        workingLongSidePixels: Int = 1280
    ) {
        self.hairMinimumContrastLStar = hairMinimumContrastLStar
        self.flakeMinimumContrastLStar = flakeMinimumContrastLStar
        self.hairMinimumLengthMillimetres = hairMinimumLengthMillimetres
        self.hairMinimumAspect = hairMinimumAspect
        self.flakeMinimumAreaSquareMillimetres = flakeMinimumAreaSquareMillimetres
        self.backgroundRadiusMillimetres = backgroundRadiusMillimetres
        self.workingLongSidePixels = workingLongSidePixels
    }
}

/// `kind=scalp`: hairs (count, density, shaft width, follicular units), flakes, redness, shine of
/// a trichoscope close-up, in the spirit of phototrichograms (TrichoScan: Hoffmann 2001,
/// Eur J Dermatol 11:362) — hairs are dark elongated marks against the local scalp background.
public enum ScalpAnalyzer {
    public static func analyze(
        _ image: DecodedImage, millimetresPerPixel: Double?, scaleSource: String = "query",
        configuration: SkinAnalysisConfiguration, scalp: ScalpAnalysisConfiguration = ScalpAnalysisConfiguration(),
        arena: PlaintextArena
    ) throws(LetheError) -> ScalpAnalysisResult {
        guard let millimetresPerPixel, millimetresPerPixel > 0, millimetresPerPixel.isFinite else { throw .scaleRequired }
        let (gate, mask) = try QualityGate.run(image, configuration: configuration, checkColourCast: false, requireSkin: false, arena: arena)
        arena.release(mask)

        let longSide = max(image.width, image.height)
        let factor = max(1, (longSide + scalp.workingLongSidePixels - 1) / scalp.workingLongSidePixels)
        let work = try WorkingImage.make(image, crop: PixelRect(width: image.width, height: image.height), factor: factor, arena: arena)
        defer { work.release(arena) }
        let mmPerWork = millimetresPerPixel * Double(factor)
        let detected = try detectMarks(work, millimetresPerWorkingPixel: mmPerWork, scalp: scalp, arena: arena)
        defer { detected.release(arena) }
        let (hairMarks, hairMembers, flakeMarks, flakeMembers) = (detected.hairMarks, detected.hairMembers, detected.flakeMarks, detected.flakeMembers)

        // Hairs: width = 40th percentile of the shortest chords (the shaft: the junction where a
        // unit's hairs leave together fills the upper tail, the tips the lowest bins; the median
        // read 8 % wide on the generated set, the 40th percentile 3 %). Length = area / the 25th-percentile chord: the
        // shafts without the wide junction where a unit's hairs leave together, so that the
        // hairs of a unit add up (singles are measured the same way, so the bias cancels).
        let minimumLength = scalp.hairMinimumLengthMillimetres / mmPerWork
        let hairs = hairMarks.compactMap { mark -> (width: Double, length: Double, single: Bool)? in
            let width = mark.chordPercentile(0.4) / ShortestChord.angularBias
            let shaft = mark.chordPercentile(0.25) / ShortestChord.angularBias
            guard width > 0, shaft > 0 else { return nil }
            let length = Double(mark.area) / shaft
            guard length >= minimumLength, length >= scalp.hairMinimumAspect * width else { return nil }
            // A single straight hair: the moment length of the equivalent bar matches area / width.
            let single = abs(mark.majorLength - Double(mark.area) / width) <= 0.15 * Double(mark.area) / width && mark.elongation >= scalp.hairMinimumAspect
            return (width, length, single)
        }
        let singles = hairs.filter(\.single).map(\.length).sorted()
        let all = hairs.map(\.length).sorted()
        let referenceLength = (singles.isEmpty ? all : singles).median ?? 1

        var hairCount = 0, thin = 0, medium = 0, thick = 0, one = 0, two = 0, threePlus = 0
        var widthSum = 0.0
        for hair in hairs {
            let k = max(1, Int((hair.length / referenceLength).rounded()))
            hairCount += k
            let micrometres = hair.width * mmPerWork * 1000
            widthSum += micrometres * Double(k)
            if micrometres < 60 { thin += k } else if micrometres <= 80 { medium += k } else { thick += k }
            switch k {
            case 1: one += 1
            case 2: two += 1
            default: threePlus += 1
            }
        }

        let flakePixels = flakeMarks.reduce(0) { $0 + $1.area }
        let scalpColour = work.planes.withUnsafeBytes { p in
            hairMembers.withUnsafeBytes { h in
                flakeMembers.withUnsafeBytes { f in
                    scalpStatistics(planes: p.bindMemory(to: Float.self), hair: h.bindMemory(to: UInt8.self), flake: f.bindMemory(to: UInt8.self), count: work.pixelCount)
                }
            }
        }

        let areaSquareCentimetres = Double(image.width * image.height) * millimetresPerPixel * millimetresPerPixel / 100
        let density = Double(hairCount) / areaSquareCentimetres
        let meanWidth = hairCount > 0 ? widthSum / Double(hairCount) : 0
        let flakeFraction = Double(flakePixels) / Double(work.pixelCount)
        let units = hairs.count
        let scores = scalpScores(density: density, meanWidth: meanWidth, flakes: flakeFraction, aStar: scalpColour.meanA)
        return ScalpAnalysisResult(
            hairCount: hairCount, densityPerSquareCentimetre: density, meanWidthMicrometres: meanWidth,
            widthDistribution: .init(thin: thin, medium: medium, thick: thick),
            follicularUnits: .init(count: units, oneHair: one, twoHairs: two, threeOrMoreHairs: threePlus,
                                   meanHairsPerUnit: units > 0 ? Double(hairCount) / Double(units) : 0),
            flakeAreaFraction: flakeFraction,
            redness: .init(meanAStar: scalpColour.meanA, erythemaIndex: scalpColour.meanErythema),
            specularFraction: scalpColour.specularFraction, fieldOfViewSquareCentimetres: areaSquareCentimetres,
            millimetresPerPixel: millimetresPerPixel, scaleSource: scaleSource, quality: gate.quality, scores: scores)
    }

    /// Hair and flake marks of a scalp working image, shared by the measures and the simulations.
    struct ScalpMarks {
        let contrast: LocalContrast
        let hairMarks: [Mark]
        /// 1 for every pixel dark enough to be hair (`.intermediate`).
        let hairMembers: SecureBuffer
        let flakeMarks: [Mark]
        /// 1 for every pixel bright enough to be a flake (`.intermediate`).
        let flakeMembers: SecureBuffer

        func release(_ arena: PlaintextArena) {
            arena.release(flakeMembers)
            arena.release(hairMembers)
            contrast.release(arena)
        }
    }

    static func detectMarks(
        _ work: WorkingImage, millimetresPerWorkingPixel mmPerWork: Double, scalp: ScalpAnalysisConfiguration, arena: PlaintextArena
    ) throws(LetheError) -> ScalpMarks {
        let radius = min(max(4, Int((scalp.backgroundRadiusMillimetres / mmPerWork).rounded())), max(2, min(work.width, work.height) / 2))
        let contrast = try LocalContrast.compute(
            work, radius: radius, excludeAbove: Float(min(scalp.hairMinimumContrastLStar, scalp.flakeMinimumContrastLStar)) * 0.6,
            useSkinMask: false, arena: arena)
        var keep: [SecureBuffer] = []
        func releaseAll() { for buffer in keep { arena.release(buffer) }; contrast.release(arena) }

        // Half-maximum thresholds from the 90th percentile of the dark and bright contrast.
        let (darkP90, brightP90) = contrast.smoothed.withUnsafeBytes { s in
            contrast.background.withUnsafeBytes { b in
                percentiles(smoothed: s.bindMemory(to: Float.self), background: b.bindMemory(to: Float.self), count: work.pixelCount,
                            darkFloor: Float(scalp.hairMinimumContrastLStar), brightFloor: Float(scalp.flakeMinimumContrastLStar))
            }
        }
        let hairThreshold = max(Float(scalp.hairMinimumContrastLStar), darkP90 / 2)
        let flakeThreshold = max(Float(scalp.flakeMinimumContrastLStar), brightP90 / 2)

        // Shortest chords of hair pixels into the contrast's structure plane.
        contrast.smoothed.withUnsafeBytes { s in
            contrast.background.withUnsafeBytes { b in
                contrast.structure.withUnsafeMutableBytes { c in
                    ShortestChord.compute(
                        smoothed: s.bindMemory(to: Float.self), background: b.bindMemory(to: Float.self), sign: -1,
                        threshold: hairThreshold, chord: c.bindMemory(to: Float.self), width: work.width, height: work.height)
                }
            }
        }
        let everything = PixelRect(width: work.width, height: work.height)
        let hairMarks: [Mark], hairMembers: SecureBuffer, flakeMarks: [Mark], flakeMembers: SecureBuffer
        do {
            (hairMarks, hairMembers) = try MarkDetector.detect(
                contrast: contrast, polarity: .dark, threshold: hairThreshold, within: everything, skin: nil,
                minimumArea: 6, chord: contrast.structure, arena: arena)
            keep.append(hairMembers)
            let minimumFlakeArea = max(3, Int(scalp.flakeMinimumAreaSquareMillimetres / (mmPerWork * mmPerWork)))
            (flakeMarks, flakeMembers) = try MarkDetector.detect(
                contrast: contrast, polarity: .bright, threshold: flakeThreshold, within: everything, skin: nil,
                minimumArea: minimumFlakeArea, arena: arena)
        } catch {
            releaseAll()
            throw error
        }
        return ScalpMarks(contrast: contrast, hairMarks: hairMarks, hairMembers: hairMembers, flakeMarks: flakeMarks, flakeMembers: flakeMembers)
    }

    /// Scores (higher = healthier), linear between the two anchors and clamped:
    /// density 50 → 0, 200 hairs/cm² → 100; mean width 40 → 0, 80 µm → 100;
    /// flakes 10 % → 0, 0 % → 100; scalp a* 25 → 0, 8 → 100.
    static func scalpScores(density: Double, meanWidth: Double, flakes: Double, aStar: Double) -> ScalpAnalysisResult.Scores {
        func rising(_ value: Double, _ zero: Double, _ full: Double) -> Int { Int((100 * min(1, max(0, (value - zero) / (full - zero)))).rounded()) }
        let d = rising(density, 50, 200), t = rising(meanWidth, 40, 80)
        let f = ConcernScores.linear(flakes, clear: 0, severe: 0.10), r = ConcernScores.linear(aStar, clear: 8, severe: 25)
        return .init(density: d, thickness: t, flakes: f, redness: r, overall: Int((Double(d + t + f + r) / 4).rounded()))
    }

    private static func percentiles(
        smoothed: UnsafeBufferPointer<Float>, background: UnsafeBufferPointer<Float>, count: Int, darkFloor: Float, brightFloor: Float
    ) -> (dark: Float, bright: Float) {
        // Histograms of contrast above the floors, 0.25 ΔL* bins up to 100.
        var dark = [Int](repeating: 0, count: 400), bright = [Int](repeating: 0, count: 400)
        var darkCount = 0, brightCount = 0
        for i in 0..<count {
            let c = smoothed[i] - background[i]
            if -c >= darkFloor { dark[min(399, Int(-c * 4))] += 1; darkCount += 1 }
            if c >= brightFloor { bright[min(399, Int(c * 4))] += 1; brightCount += 1 }
        }
        func p90(_ histogram: [Int], _ total: Int) -> Float {
            guard total > 0 else { return 0 }
            var cumulative = 0
            for (bin, value) in histogram.enumerated() {
                cumulative += value
                if cumulative * 10 >= total * 9 { return (Float(bin) + 0.5) / 4 }
            }
            return 100
        }
        return (p90(dark, darkCount), p90(bright, brightCount))
    }

    private static func scalpStatistics(
        planes: UnsafeBufferPointer<Float>, hair: UnsafeBufferPointer<UInt8>, flake: UnsafeBufferPointer<UInt8>, count: Int
    ) -> (meanA: Double, meanErythema: Double, specularFraction: Double) {
        var sumA = 0.0, sumEI = 0.0, n = 0, specular = 0
        for i in 0..<count {
            if planes[i] >= 95 { specular += 1 }
            guard hair[i] == 0, flake[i] == 0 else { continue }
            sumA += Double(planes[count + i]); sumEI += Double(planes[3 * count + i]); n += 1
        }
        let divisor = Double(max(1, n))
        return (sumA / divisor, sumEI / divisor, Double(specular) / Double(max(1, count)))
    }
}

extension Array where Element == Double {
    /// Median of a sorted array.
    var median: Double? {
        guard !isEmpty else { return nil }
        return count % 2 == 1 ? self[count / 2] : (self[count / 2 - 1] + self[count / 2]) / 2
    }
}
