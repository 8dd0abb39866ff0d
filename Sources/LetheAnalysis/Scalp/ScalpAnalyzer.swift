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
    /// A bright mark is a white or grey hair (not a flake) when it is this many times as long as
    /// it is wide (and at least `hairMinimumLengthMillimetres` long); flakes are blobs.
    public var lightHairMinimumAspect: Double
    /// Flakes smaller than this (mm²) are ignored.
    public var flakeMinimumAreaSquareMillimetres: Double
    /// Radius of the background L* (mm): larger than the largest flake and hair segment.
    public var backgroundRadiusMillimetres: Double
    /// Largest working-image side.
    public var workingLongSidePixels: Int
    /// Pixels no lighter than this (L*) connected to an image corner are the dark border of a
    /// round trichoscope field, outside the imaged scalp.
    public var fieldBorderMaximumLStar: Double
    /// Pixels darker than the field's median L* by more than this (hair) are left out of the
    /// background, so that dense dark hair does not pull it down.
    public var backgroundBelowMedianLStar: Double

    public init(
        hairMinimumContrastLStar: Double = 8, flakeMinimumContrastLStar: Double = 8,
        hairMinimumLengthMillimetres: Double = 0.1, hairMinimumAspect: Double = 2.5, lightHairMinimumAspect: Double = 5,
        flakeMinimumAreaSquareMillimetres: Double = 0.0005, backgroundRadiusMillimetres: Double = 0.4,
        workingLongSidePixels: Int = 1280, fieldBorderMaximumLStar: Double = 12,
        backgroundBelowMedianLStar: Double = 10
    ) {
        self.hairMinimumContrastLStar = hairMinimumContrastLStar
        self.flakeMinimumContrastLStar = flakeMinimumContrastLStar
        self.hairMinimumLengthMillimetres = hairMinimumLengthMillimetres
        self.hairMinimumAspect = hairMinimumAspect
        self.lightHairMinimumAspect = lightHairMinimumAspect
        self.flakeMinimumAreaSquareMillimetres = flakeMinimumAreaSquareMillimetres
        self.backgroundRadiusMillimetres = backgroundRadiusMillimetres
        self.workingLongSidePixels = workingLongSidePixels
        self.fieldBorderMaximumLStar = fieldBorderMaximumLStar
        self.backgroundBelowMedianLStar = backgroundBelowMedianLStar
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
        try analyze(
            image, millimetresPerPixel: millimetresPerPixel, scaleSource: scaleSource, configuration: configuration, scalp: scalp,
            labelling: false, arena: arena).result
    }

    /// `analyze`, and with `labelling` the pixels of the hairs and flakes it counted
    /// (`ConcernLabels.hair`, `.flake`; the caller releases them): the simulations draw them.
    static func analyze(
        _ image: DecodedImage, millimetresPerPixel: Double?, scaleSource: String, configuration: SkinAnalysisConfiguration,
        scalp: ScalpAnalysisConfiguration, labelling: Bool, arena: PlaintextArena
    ) throws(LetheError) -> (result: ScalpAnalysisResult, labels: ConcernLabels?) {
        guard let millimetresPerPixel, millimetresPerPixel > 0, millimetresPerPixel.isFinite else { throw .scaleRequired }
        let gate = try QualityGate.run(image, configuration: configuration, checkColourCast: false, requireSkin: false, arena: arena)

        let longSide = max(image.width, image.height)
        let factor = max(1, (longSide + scalp.workingLongSidePixels - 1) / scalp.workingLongSidePixels)
        let work = try WorkingImage.make(image, crop: PixelRect(width: image.width, height: image.height), factor: factor, arena: arena)
        defer { work.release(arena) }
        let mmPerWork = millimetresPerPixel * Double(factor)
        let detected = try detectMarks(work, millimetresPerWorkingPixel: mmPerWork, scalp: scalp, arena: arena)
        defer { detected.release(arena) }
        // A round field is at least a tenth of the photo (a disc inscribed in a 4:3 photo is 59 %):
        // a smaller one is too little scalp to count, and none would divide by zero.
        guard detected.fieldPixelCount * 10 >= work.pixelCount else {
            throw .scalpFieldTooSmall(fieldPixels: detected.fieldPixelCount, pixels: work.pixelCount)
        }
        let (hairMembers, flakeMembers) = (detected.hairMembers, detected.flakeMembers)

        var hairCount = 0, lightHairs = 0, vellus = 0, thin = 0, medium = 0, thick = 0, one = 0, two = 0, threePlus = 0
        var widthSum = 0.0
        for unit in detected.units {
            let k = unit.hairWidthsPixels.count
            hairCount += k
            if unit.light { lightHairs += k }
            for widthPixels in unit.hairWidthsPixels {
                let micrometres = widthPixels * mmPerWork * 1000
                widthSum += micrometres
                if micrometres < ScalpAnalysisResult.HairTypes.vellusMaximumWidthMicrometres { vellus += 1 }
                if micrometres < 60 { thin += 1 } else if micrometres <= 80 { medium += 1 } else { thick += 1 }
            }
            switch k {
            case 1: one += 1
            case 2: two += 1
            default: threePlus += 1
            }
        }

        let scalpColour = scalpStatistics(
            colour: work.colour, hair: UnsafeBufferPointer(hairMembers.pixels),
            flake: UnsafeBufferPointer(flakeMembers.pixels), field: UnsafeBufferPointer(work.skin.pixels), count: work.pixelCount)

        // Imaged scalp: the whole photo, or the round field's share of it.
        let fieldShare = Double(detected.fieldPixelCount) / Double(work.pixelCount)
        let areaSquareCentimetres = Double(image.width * image.height) * millimetresPerPixel * millimetresPerPixel / 100 * fieldShare
        let density = Double(hairCount) / areaSquareCentimetres
        let meanWidth = hairCount > 0 ? widthSum / Double(hairCount) : 0
        let flakeFraction = Double(detected.flakePixelCount) / Double(detected.fieldPixelCount)
        let units = detected.units.count
        let scores = scalpScores(density: density, meanWidth: meanWidth, flakes: flakeFraction, aStar: scalpColour.meanA)
        let labels = labelling ? try Self.labels(of: detected, work: work, arena: arena) : nil
        let result = ScalpAnalysisResult(
            hairCount: hairCount, densityPerSquareCentimetre: density, meanWidthMicrometres: meanWidth,
            widthDistribution: .init(thin: thin, medium: medium, thick: thick),
            hairTypes: .init(vellus: vellus, terminal: hairCount - vellus),
            follicularUnits: .init(count: units, oneHair: one, twoHairs: two, threeOrMoreHairs: threePlus,
                                   meanHairsPerUnit: units > 0 ? Double(hairCount) / Double(units) : 0),
            flakeAreaFraction: flakeFraction, whiteHairCount: lightHairs,
            redness: .init(meanAStar: scalpColour.meanA, erythemaIndex: scalpColour.meanErythema),
            specularFraction: scalpColour.specularFraction, fieldOfViewSquareCentimetres: areaSquareCentimetres,
            millimetresPerPixel: millimetresPerPixel, scaleSource: scaleSource, quality: gate.quality, scores: scores)
        return (result, labels)
    }

    /// The counted hairs' and flakes' pixels as concern labels of the working image.
    private static func labels(of detected: ScalpMarks, work: WorkingImage, arena: PlaintextArena) throws(LetheError) -> ConcernLabels {
        let labels = try Plane<UInt8>(width: work.width, height: work.height, what: "the concern labels", bufferClass: .rendering, arena: arena)
        let target = labels.pixels, hair = detected.hairMembers.pixels, flake = detected.flakeMembers.pixels
        for i in 0..<work.pixelCount {
            target[i] = (hair[i] != 0 ? ConcernLabels.hair : 0) | (flake[i] != 0 ? ConcernLabels.flake : 0)
        }
        return ConcernLabels(
            labels: labels, originX: work.originX, originY: work.originY, width: work.width, height: work.height, factor: work.factor, skin: nil)
    }

    /// A hair-shaped mark: one follicular unit of one or more hairs (working pixels).
    struct UnitMark {
        /// Shaft width of each hair of the mark (its strands, `HairStrands`; at least one): the
        /// 40th percentile of the shortest chords along the strand's skeleton (without the wider
        /// junctions and crossings in the upper tail or the tips in the lowest bins; for a whole
        /// mark the median read 8 % wide on the tuning set, the 40th percentile 3 %), or the
        /// mark's own when the strand has no path pixels.
        let hairWidthsPixels: [Double]
        /// Brighter than the scalp: white or grey hair.
        let light: Bool
    }

    /// Hair and flake marks of a scalp working image (the simulations draw their members: `labels(of:work:arena:)`).
    struct ScalpMarks {
        let contrast: LocalContrast
        /// Dark and bright hair-shaped marks.
        let units: [UnitMark]
        /// 1 for every pixel of hair, dark or light.
        let hairMembers: Plane<UInt8>
        /// 1 for every flake pixel: bright, of no light hair, at half the flakes' maximum.
        let flakeMembers: Plane<UInt8>
        /// Flake pixels (of marks of at least the minimum flake area).
        let flakePixelCount: Int
        /// Pixels of imaged scalp: the whole image, or the round field inside a dark border.
        let fieldPixelCount: Int

        func release(_ arena: PlaintextArena) {
            [flakeMembers, hairMembers].release(to: arena)
            contrast.release(arena)
        }
    }

    private static func detectMarks(
        _ work: WorkingImage, millimetresPerWorkingPixel mmPerWork: Double, scalp: ScalpAnalysisConfiguration, arena: PlaintextArena
    ) throws(LetheError) -> ScalpMarks {
        // A round trichoscope field: only its pixels weigh in the background, and outside it
        // (and along its edge) the contrast is zero, so the dark border is neither hair nor
        // darkens the scalp next to it. Unless all four corners are dark the field is the whole image.
        // Hair pixels (far below the field's median) do not weigh in the background either.
        let fieldPixels = try TrichoscopeField.mark(
            work, borderMaximumLStar: Float(scalp.fieldBorderMaximumLStar), marginPixels: 2,
            backgroundBelowMedianLStar: Float(scalp.backgroundBelowMedianLStar), arena: arena)
        let radius = min(max(4, Int((scalp.backgroundRadiusMillimetres / mmPerWork).rounded())), max(2, min(work.width, work.height) / 2))
        let contrast = try LocalContrast.compute(
            work, radius: radius, excludeAbove: Float(min(scalp.hairMinimumContrastLStar, scalp.flakeMinimumContrastLStar)) * 0.6,
            useSkinMask: true, arena: arena)
        let smoothed = contrast.smoothed.pixels, background = contrast.background.pixels
        if fieldPixels < work.pixelCount {
            let field = work.skin.pixels
            for i in 0..<work.pixelCount where field[i] & TrichoscopeField.fieldBit == 0 { smoothed[i] = background[i] }
        }
        var keep: [Plane<UInt8>] = []
        func releaseAll() { keep.release(to: arena); contrast.release(arena) }

        // Half-maximum thresholds from the 90th percentile of the dark and bright contrast.
        let (darkP90, brightP90) = percentiles(
            smoothed: UnsafeBufferPointer(smoothed), background: UnsafeBufferPointer(background), count: work.pixelCount,
            darkFloor: Float(scalp.hairMinimumContrastLStar), brightFloor: Float(scalp.flakeMinimumContrastLStar))
        let hairThreshold = max(Float(scalp.hairMinimumContrastLStar), darkP90 / 2)
        // Bright marks are found at the floor, so that grey hairs (a third of a white hair's
        // contrast) are whole; a flake's area is its pixels at half maximum.
        let brightThreshold = Float(scalp.flakeMinimumContrastLStar)
        let flakeHalfMaximum = max(brightThreshold, brightP90 / 2)

        // Shortest chords of dark and bright pixels, a plane the marks and the strands read.
        let chords: Plane<Float>
        do { chords = try Plane(width: work.width, height: work.height, what: "the hairs' chords", arena: arena) } catch {
            releaseAll()
            throw error
        }
        defer { chords.release(to: arena) }
        ShortestChord.compute(
            smoothed: UnsafeBufferPointer(smoothed), background: UnsafeBufferPointer(background), darkThreshold: hairThreshold,
            brightThreshold: brightThreshold, chord: chords.pixels, width: work.width, height: work.height)
        let everything = PixelRect(width: work.width, height: work.height)
        let darkMarks: [Mark], hairMembers: Plane<UInt8>, brightMarks: [Mark], flakeMembers: Plane<UInt8>
        do {
            (darkMarks, hairMembers) = try MarkDetector.detect(
                contrast: contrast, polarity: .dark, threshold: hairThreshold, within: everything, skin: nil,
                minimumArea: 6, chord: UnsafeBufferPointer(chords.pixels), arena: arena)
            keep.append(hairMembers)
            let minimumFlakeArea = max(3, Int(scalp.flakeMinimumAreaSquareMillimetres / (mmPerWork * mmPerWork)))
            (brightMarks, flakeMembers) = try MarkDetector.detect(
                contrast: contrast, polarity: .bright, threshold: brightThreshold, within: everything, skin: nil,
                minimumArea: minimumFlakeArea, chord: UnsafeBufferPointer(chords.pixels), arena: arena)
            keep.append(flakeMembers)
        } catch {
            releaseAll()
            throw error
        }

        // Hairs are long and narrow, dark or (white, grey) bright; bright blobs are flakes. A dark
        // mark must also average 1.25× the threshold (hysteresis in the spirit of Canny 1986):
        // the pieces a hair barely above the threshold breaks into under noise are not hairs.
        let minimumLength = scalp.hairMinimumLengthMillimetres / mmPerWork
        func unit(_ mark: Mark, light: Bool, members: UnsafeBufferPointer<UInt8>, scratch: HairStrands.Scratch) -> UnitMark? {
            if !light, mark.meanContrast < 1.25 * Double(hairThreshold) { return nil }
            guard let markChords = mark.chords, let p40 = markChords.percentile(0.4), let p25 = markChords.percentile(0.25) else { return nil }
            let width = p40 / ShortestChord.angularBias, shaft = p25 / ShortestChord.angularBias
            let length = Double(mark.area) / shaft
            let aspect = light ? scalp.lightHairMinimumAspect : scalp.hairMinimumAspect
            guard length >= minimumLength, length >= aspect * width else { return nil }
            let rules = HairStrands.Rules(shaftWidthPixels: width, minimumStrandPixels: max(width, minimumLength / 2))
            let hairs = HairStrands.hairs(seed: mark.firstPixel, members: members, rules: rules, scratch: scratch)
            let widths = hairs.map { strand in strand.percentile(0.4).map { $0 / ShortestChord.angularBias } ?? width }
            return UnitMark(hairWidthsPixels: widths, light: light)
        }
        var units: [UnitMark] = []
        var lightHairSeeds: [Int] = []
        do throws(LetheError) {
            // Skeleton and branch list of one mark at a time (the skeleton is zero between marks).
            let skeleton = try Plane<UInt8>(width: work.width, height: work.height, what: "the hair skeleton", arena: arena)
            defer { skeleton.release(to: arena) }
            let list = try Plane<Int32>(width: 2 * work.pixelCount + 2, height: 1, what: "the hair branches", arena: arena)
            defer { list.release(to: arena) }
            let scratch = HairStrands.Scratch(
                skeleton: skeleton.pixels, list: list.pixels, chord: UnsafeBufferPointer(chords.pixels), width: work.width, height: work.height)
            units = darkMarks.compactMap { unit($0, light: false, members: UnsafeBufferPointer(hairMembers.pixels), scratch: scratch) }
            for mark in brightMarks {
                if let light = unit(mark, light: true, members: UnsafeBufferPointer(flakeMembers.pixels), scratch: scratch) {
                    units.append(light)
                    lightHairSeeds.append(mark.firstPixel)
                }
            }
        } catch {
            releaseAll()
            throw error
        }
        do {
            try moveMarks(at: lightHairSeeds, from: flakeMembers, to: hairMembers, width: work.width, height: work.height, arena: arena)
        } catch {
            releaseAll()
            throw error
        }
        // Flake area: the flakes' pixels at half maximum (the mask keeps only those).
        var flakePixels = 0
        let flakes = flakeMembers.pixels
        for i in 0..<work.pixelCount where flakes[i] != 0 {
            if smoothed[i] - background[i] >= flakeHalfMaximum { flakePixels += 1 } else { flakes[i] = 0 }
        }
        return ScalpMarks(
            contrast: contrast, units: units, hairMembers: hairMembers, flakeMembers: flakeMembers, flakePixelCount: flakePixels,
            fieldPixelCount: fieldPixels)
    }

    /// Moves the marks grown from `seeds` (4-connected 1s of `source`) into `target`.
    private static func moveMarks(
        at seeds: [Int], from source: Plane<UInt8>, to target: Plane<UInt8>, width: Int, height: Int, arena: PlaintextArena
    ) throws(LetheError) {
        guard !seeds.isEmpty else { return }
        let queue = try Plane<Int32>(width: width, height: height, what: "the mark queue", arena: arena)
        defer { queue.release(to: arena) }
        let from = source.pixels, to = target.pixels
        FloodFill.fill(from: seeds, width: width, height: height, queue: queue.pixels) { i in
            guard from[i] != 0 else { return false }
            from[i] = 0; to[i] = 1
            return true
        }
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
        colour: ColourPixels, hair: UnsafeBufferPointer<UInt8>, flake: UnsafeBufferPointer<UInt8>,
        field: UnsafeBufferPointer<UInt8>, count: Int
    ) -> (meanA: Double, meanErythema: Double, specularFraction: Double) {
        var sumA = 0.0, sumEI = 0.0, n = 0, specular = 0, fieldPixels = 0
        for i in 0..<count where field[i] & TrichoscopeField.fieldBit != 0 {
            fieldPixels += 1
            if colour.lStar[i] >= 95 { specular += 1 }
            guard hair[i] == 0, flake[i] == 0 else { continue }
            sumA += Double(colour.aStar[i]); sumEI += Double(colour.erythema[i]); n += 1
        }
        let divisor = Double(max(1, n))
        return (sumA / divisor, sumEI / divisor, Double(specular) / Double(max(1, fieldPixels)))
    }
}
