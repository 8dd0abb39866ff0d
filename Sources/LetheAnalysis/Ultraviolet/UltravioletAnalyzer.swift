import Foundation
import LetheAPI
import LetheImaging
import LetheMemory

/// The measures of a photo taken under UV-A light: UV spots and porphyrin fluorescence
/// (docs/analysis/devices.md#light).
///
/// Under UV-A (≈ 365 nm; a Wood's lamp, a booth's or a dermatoscope's UV mode) skin remits
/// little and looks blue-violet. Melanin absorbs UV far more strongly than visible light, so
/// epidermal pigment — also pigment not yet seen in normal light — shows as dark spots
/// (Fulton 1997; Canfield's VISIA "UV spots"); porphyrins that *Cutibacterium acnes* makes in the
/// follicles fluoresce orange-red (emission ≈ 600–640 nm) as small bright dots (Pagnoni et al.
/// 1999; VISIA "porphyrins"). No skin-colour rule applies under UV: the measured area is the lit
/// field. Every plane is an `.intermediate` arena buffer, released (wiped) before returning.
public enum UltravioletAnalyzer {
    /// - Parameters:
    ///   - millimetresPerPixel: the device's scale, when known (mm figures and sizes in mm).
    /// - Throws: the quality gate's `image_too_small`, `image_too_compressed`, `lighting_too_dark`, `lighting_too_bright`, `image_greyscale`,
    ///   `image_blurry`; `analysis_unavailable` when intermediate memory cannot be had.
    public static func analyze(
        _ image: DecodedImage, configuration: SkinAnalysisConfiguration, ultraviolet: UltravioletConfiguration = .init(),
        millimetresPerPixel: Double? = nil, scaleSource: String? = nil, arena: PlaintextArena
    ) throws(LetheError) -> UltravioletAnalysisResult {
        let gate = try QualityGate.run(image, configuration: configuration, checkColourCast: false, requireSkin: false, arena: arena)
        let longSide = max(image.width, image.height)
        let factor = max(1, (longSide + ultraviolet.workingLongSidePixels - 1) / ultraviolet.workingLongSidePixels)
        let width = image.width / factor, height = image.height / factor
        let count = width * height
        let working = millimetresPerPixel.map { $0 * Double(factor) }

        var floats: [Plane<Float>] = []
        defer { floats.release(to: arena) }
        for what in ["the UV luminance plane", "the UV chromaticity plane", "the UV background plane", "the UV background weights", "the UV filter scratch"] {
            floats.append(try Plane(width: width, height: height, what: what, arena: arena))
        }
        let classes = try Plane<UInt8>(width: width, height: height, what: "the UV class mask", arena: arena)
        defer { classes.release(to: arena) }
        let queue = try Plane<Int32>(width: width, height: height, what: "the UV fill queue", arena: arena)
        defer { queue.release(to: arena) }

        let spotLimits = (
            min: working.map { ultraviolet.spotMinDiameterMillimetres / $0 } ?? ultraviolet.spotMinDiameterPixels / Double(factor),
            max: working.map { ultraviolet.spotMaxDiameterMillimetres / $0 } ?? ultraviolet.spotMaxDiameterPixels / Double(factor))
        let dotMax = working.map { ultraviolet.porphyrinMaxDiameterMillimetres / $0 } ?? ultraviolet.porphyrinMaxDiameterPixels / Double(factor)
        // The surroundings a spot is compared with: half again its largest size on each side.
        let radius = min(max(4, Int((spotLimits.max * 0.75).rounded(.up))), max(2, min(width, height) / 2))

        var planes = Planes(
            luminance: floats[0].pixels, chromaticity: floats[1].pixels, numerator: floats[2].pixels, denominator: floats[3].pixels,
            scratch: floats[4].pixels, classes: classes.pixels, queue: queue.pixels, width: width, height: height)
        image.pixels.withUnsafeBytes { planes.load($0.bindMemory(to: UInt8.self), imageWidth: image.width, factor: factor) }
        let measured = planes.measure(
            configuration: ultraviolet, radius: radius, spotDiameters: spotLimits.min...max(spotLimits.min, spotLimits.max),
            dotMaxDiameter: dotMax)

        let f = Double(factor), field = Double(max(1, measured.fieldCount))
        let fieldSquareCentimetres = working.map { field * $0 * $0 / 100 }
        func meanDiameter(_ marks: [Mark]) -> Double { marks.isEmpty ? 0 : marks.reduce(0) { $0 + $1.equivalentDiameter } / Double(marks.count) * f }
        func marks(_ list: [Mark]) -> UltravioletAnalysisResult.Marks {
            let area = Double(list.reduce(0) { $0 + $1.area })
            return .init(
                count: list.count, areaFraction: area / field,
                densityPerSquareCentimetre: fieldSquareCentimetres.map { Double(list.count) / max($0, 1e-9) },
                meanDiameterPixels: meanDiameter(list), meanDiameterMillimetres: millimetresPerPixel.map { meanDiameter(list) * $0 })
        }
        // A spot's `sumContrast` sums its darkening, a dot's its red chromaticity.
        var spots = marks(measured.spots), porphyrins = marks(measured.dots)
        spots.meanDarkening = measured.spots.isEmpty ? 0 : measured.spots.reduce(0) { $0 + $1.sumContrast } / Double(measured.spots.reduce(0) { $0 + $1.area })
        porphyrins.meanRedChromaticity = measured.dots.isEmpty ? 0 : measured.dots.reduce(0) { $0 + $1.sumContrast } / Double(measured.dots.reduce(0) { $0 + $1.area })
        return UltravioletAnalysisResult(
            uvSpots: spots, porphyrins: porphyrins, analysedPixelCount: measured.fieldCount * factor * factor,
            analysedPixelFraction: Double(measured.fieldCount) / Double(max(1, count)),
            millimetresPerPixel: millimetresPerPixel, scaleSource: millimetresPerPixel == nil ? nil : (scaleSource ?? "query"),
            quality: gate.quality)
    }

    /// What the planes gave: the lit field's size and the accepted marks (working pixels). A spot's
    /// `sumContrast` sums its darkening, a dot's its red chromaticity.
    struct Measurement {
        var fieldCount = 0
        var spots: [Mark] = []
        var dots: [Mark] = []
    }

    /// The working planes of one UV photo.
    struct Planes {
        let luminance, chromaticity, numerator, denominator, scratch: UnsafeMutableBufferPointer<Float>
        let classes: UnsafeMutableBufferPointer<UInt8>
        let queue: UnsafeMutableBufferPointer<Int32>
        let width, height: Int

        static let field: UInt8 = 1, spot: UInt8 = 2, dot: UInt8 = 4, taken: UInt8 = 128

        /// Box-averages the photo by `factor` into linear luminance (IEC 61966-2-1 decoding,
        /// Rec. 709 weights) and red chromaticity R / (R + G + B) of linear light.
        mutating func load(_ pixels: UnsafeBufferPointer<UInt8>, imageWidth: Int, factor: Int) {
            let linear = SRGB.linearTable.map(Float.init)
            let weight = 1 / Float(factor * factor)
            for y in 0..<height {
                for x in 0..<width {
                    var r: Float = 0, g: Float = 0, b: Float = 0
                    for dy in 0..<factor {
                        var offset = ((y * factor + dy) * imageWidth + x * factor) * 3
                        for _ in 0..<factor {
                            r += linear[Int(pixels[offset])]; g += linear[Int(pixels[offset + 1])]; b += linear[Int(pixels[offset + 2])]
                            offset += 3
                        }
                    }
                    r *= weight; g *= weight; b *= weight
                    let i = y * width + x
                    luminance[i] = 0.2126 * r + 0.7152 * g + 0.0722 * b
                    chromaticity[i] = r / max(r + g + b, 1e-6)
                }
            }
        }

        /// Field, background, candidates, then the marks of each kind.
        func measure(
            configuration: UltravioletConfiguration, radius: Int, spotDiameters: ClosedRange<Double>, dotMaxDiameter: Double
        ) -> Measurement {
            let count = width * height
            let medianLuminance = Self.median(luminance, where: { _ in true }, upper: 1)
            let floor = Float(configuration.fieldMinimumFractionOfMedian * medianLuminance)
            // The lit field, judged on the luminance averaged over the spot scale: a dark spot
            // inside the field is part of it, the vignette and the background are not.
            for i in 0..<count { numerator[i] = luminance[i] }
            PlaneFilters.boxBlur(numerator, scratch: scratch, width: width, height: height, radius: radius, passes: 2)
            var result = Measurement()
            for i in 0..<count {
                classes[i] = numerator[i] >= floor ? Self.field : 0
                if classes[i] != 0 { result.fieldCount += 1 }
            }
            let medianChromaticity = Self.median(chromaticity, where: { classes[$0] & Self.field != 0 }, upper: 1)
            let dotThreshold = Float(max(configuration.porphyrinMinRedChromaticity, medianChromaticity + configuration.porphyrinMarginOverMedian))
            for i in 0..<count where classes[i] & Self.field != 0 && chromaticity[i] >= dotThreshold { classes[i] |= Self.dot }

            // The skin around a spot: a normalised box average of the field's luminance without the
            // dots, then again without the pixels the first pass found dark (they would pull it down).
            let keep = Float(1 - configuration.spotMinimumDarkening)
            for pass in 0..<2 {
                for i in 0..<count {
                    let usable = classes[i] & Self.field != 0 && classes[i] & (Self.dot | Self.spot) == 0
                    numerator[i] = usable ? luminance[i] : 0
                    denominator[i] = usable ? 1 : 0
                }
                PlaneFilters.boxBlur(numerator, scratch: scratch, width: width, height: height, radius: radius, passes: 2)
                PlaneFilters.boxBlur(denominator, scratch: scratch, width: width, height: height, radius: radius, passes: 2)
                for i in 0..<count {
                    numerator[i] = denominator[i] > 1e-3 ? numerator[i] / denominator[i] : 0
                    classes[i] &= ~Self.spot
                    // The first pass marks only clearly dark pixels (half the margin again), so that
                    // a spot's own rim does not lower its surroundings.
                    let limit = pass == 0 ? keep * keep : keep
                    if classes[i] & Self.field != 0, classes[i] & Self.dot == 0, numerator[i] > 0, luminance[i] <= limit * numerator[i] {
                        classes[i] |= Self.spot
                    }
                }
            }
            let spotAreas = (Self.discArea(spotDiameters.lowerBound), Self.discArea(spotDiameters.upperBound))
            result.spots = grow(Self.spot) { mark in
                let darkening = mark.sumContrast / Double(mark.area)
                return Double(mark.area) >= spotAreas.0 && Double(mark.area) <= spotAreas.1 && mark.elongation <= configuration.spotMaxElongation
                    && darkening > 0
            } contribution: { i in Double(1 - luminance[i] / max(numerator[i], 1e-6)) }
            result.dots = grow(Self.dot) { mark in
                mark.area >= configuration.porphyrinMinimumAreaPixels && Double(mark.area) <= Self.discArea(dotMaxDiameter)
            } contribution: { i in Double(chromaticity[i]) }
            return result
        }

        static func discArea(_ diameter: Double) -> Double { Double.pi * diameter * diameter / 4 }

        /// 4-connected groups of the pixels of class `bit`, kept when `accept` says so; each
        /// mark's `sumContrast` sums `contribution` over its pixels.
        private func grow(_ bit: UInt8, accept: (Mark) -> Bool, contribution: (Int) -> Double) -> [Mark] {
            var marks: [Mark] = []
            for start in 0..<(width * height) where classes[start] & bit != 0 && classes[start] & Self.taken == 0 {
                var mark = Mark()
                mark.firstPixel = start
                var head = 0, tail = 0
                queue[tail] = Int32(start); tail += 1
                classes[start] |= Self.taken
                while head < tail {
                    let i = Int(queue[head]); head += 1
                    let x = i % width, y = i / width
                    let fx = Double(x), fy = Double(y)
                    mark.area += 1
                    mark.sumX += fx; mark.sumY += fy; mark.sumXX += fx * fx; mark.sumYY += fy * fy; mark.sumXY += fx * fy
                    mark.sumContrast += contribution(i)
                    mark.minX = min(mark.minX, x); mark.maxX = max(mark.maxX, x); mark.minY = min(mark.minY, y); mark.maxY = max(mark.maxY, y)
                    @inline(__always) func visit(_ neighbour: Int) {
                        guard classes[neighbour] & bit != 0, classes[neighbour] & Self.taken == 0 else { return }
                        classes[neighbour] |= Self.taken
                        queue[tail] = Int32(neighbour); tail += 1
                    }
                    if x > 0 { visit(i - 1) }
                    if x < width - 1 { visit(i + 1) }
                    if y > 0 { visit(i - width) }
                    if y < height - 1 { visit(i + width) }
                }
                if accept(mark) { marks.append(mark) }
            }
            // The next kind grows over the same mask: clear the taken bits.
            for i in 0..<(width * height) { classes[i] &= ~Self.taken }
            return marks
        }

        /// Median of `plane` over the pixels `where` accepts, from a 4096-bin histogram of [0, upper].
        static func median(_ plane: UnsafeMutableBufferPointer<Float>, where include: (Int) -> Bool, upper: Float) -> Double {
            let bins = 4096
            var histogram = [Int](repeating: 0, count: bins)
            var total = 0
            for i in plane.indices where include(i) {
                histogram[min(bins - 1, max(0, Int(plane[i] / upper * Float(bins))))] += 1
                total += 1
            }
            guard total > 0 else { return 0 }
            var cumulative = 0
            for (bin, value) in histogram.enumerated() {
                cumulative += value
                if cumulative * 2 >= total { return (Double(bin) + 0.5) / Double(bins) * Double(upper) }
            }
            return Double(upper)
        }
    }
}
