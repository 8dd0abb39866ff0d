import Foundation
import LetheAPI
@testable import LetheAnalysis
import LetheImaging
import LetheMemory
import LetheTestSupport
import Testing

/// One patch of skin, defined in millimetres, photographed again: the same blotches rendered at
/// another scale, turned, and exposed brighter or darker, each capture with sensor noise of its own.
/// Blotches are melanin (Beer–Lambert, `PigmentedSkin`'s densities) in Gaussian discs 1.5–5 mm in
/// radius; the photo is the skin's reflectance × 2^EV, sRGB-encoded, with ±1 code of noise.
struct BlotchySkin {
    struct Blotch { var x: Double, y: Double, radius: Double, density: Double }

    /// Side of the patch in millimetres.
    static let sideMillimetres = 60.0
    var blotches: [Blotch] = []

    init(count: Int, peakDensity: Double, seed: UInt64) {
        var random = SeededGenerator(seed: seed)
        blotches = (0..<count).map { _ in
            Blotch(
                x: Double.random(in: 0...Self.sideMillimetres, using: &random), y: Double.random(in: 0...Self.sideMillimetres, using: &random),
                radius: Double.random(in: 1.5...5, using: &random), density: peakDensity * Double.random(in: -1...1, using: &random))
        }
    }

    func melaninDensity(x: Double, y: Double) -> Double {
        blotches.reduce(0) { sum, b in
            let dx = x - b.x, dy = y - b.y
            return sum + b.density * exp(-(dx * dx + dy * dy) / (2 * b.radius * b.radius))
        }
    }

    /// The central `sideMillimetres / 1.5` square of the patch at `millimetresPerPixel`, turned by
    /// `rotationDegrees` about its centre, exposed by 2^`exposureEV`.
    func photograph(millimetresPerPixel: Double, rotationDegrees: Double, exposureEV: Double, noiseSeed: UInt64, arena: PlaintextArena) throws -> DecodedImage {
        let side = Int((Self.sideMillimetres / 1.5 / millimetresPerPixel).rounded())
        let angle = rotationDegrees * .pi / 180, (c, s) = (cos(angle), sin(angle))
        let base = (PigmentedSkin.linear(PigmentedSkin.base.red), PigmentedSkin.linear(PigmentedSkin.base.green), PigmentedSkin.linear(PigmentedSkin.base.blue))
        let gain = pow(2, exposureEV)
        var random = SeededGenerator(seed: noiseSeed)
        let buffer = try arena.allocate(count: side * side * 3, bufferClass: .pixels)
        buffer.withUnsafeMutableBytes { bytes in
            for py in 0..<side {
                for px in 0..<side {
                    // Pixel centre relative to the frame's centre, in millimetres, turned into the skin's frame.
                    let u = (Double(px) + 0.5 - Double(side) / 2) * millimetresPerPixel, v = (Double(py) + 0.5 - Double(side) / 2) * millimetresPerPixel
                    let m = melaninDensity(x: Self.sideMillimetres / 2 + c * u - s * v, y: Self.sideMillimetres / 2 + s * u + c * v)
                    let i = (py * side + px) * 3
                    for (k, (reflectance, absorption)) in [(base.0, PigmentedSkin.melanin.red), (base.1, PigmentedSkin.melanin.green), (base.2, PigmentedSkin.melanin.blue)].enumerated() {
                        let code = Int(PigmentedSkin.encode(reflectance * gain * pow(10, -m * absorption))) + Int.random(in: -1...1, using: &random)
                        bytes[i + k] = UInt8(max(0, min(255, code)))
                    }
                }
            }
        }
        return DecodedImage(width: side, height: side, format: .png, pixels: buffer)
    }
}

/// Issue 16 step 7: evenness is a property of the skin, not of the capture. The band it is read
/// from is fixed in millimetres (`EvennessBand`), so the same skin photographed larger, smaller,
/// turned or at another exposure reads the same; and it still tells blotchy skin from even skin.
@Suite("Evenness under re-capture")
struct EvennessRepeatabilityTests {
    /// Captures of one skin: as taken at 0.1 mm/px, ×0.8 and ×1.25 the magnification, turned 5°
    /// and 30°, ±⅓ EV.
    static let captures: [(name: String, millimetresPerPixel: Double, rotationDegrees: Double, exposureEV: Double)] = [
        ("as taken", 0.1, 0, 0), ("×0.8", 0.125, 0, 0), ("×1.25", 0.08, 0, 0), ("turned 5°", 0.1, 5, 0), ("turned 30°", 0.1, 30, 0),
        ("+⅓ EV", 0.1, 0, 1.0 / 3), ("−⅓ EV", 0.1, 0, -1.0 / 3),
    ]

    static func evenness(_ skin: BlotchySkin, millimetresPerPixel: Double, rotationDegrees: Double, exposureEV: Double, noiseSeed: UInt64) throws -> SkinConcerns.Evenness {
        try concerns(skin, photographedAt: millimetresPerPixel, rotationDegrees: rotationDegrees, exposureEV: exposureEV, noiseSeed: noiseSeed).evenness
    }

    /// The concerns of one photograph of `skin`, analysed at the scale it was taken at (or without
    /// one: `scaleGiven` false). Small photos admitted: the coarse captures are 44 px across.
    static func concerns(
        _ skin: BlotchySkin, photographedAt millimetresPerPixel: Double, rotationDegrees: Double = 0, exposureEV: Double = 0, noiseSeed: UInt64,
        scaleGiven: Bool = true
    ) throws -> SkinConcerns {
        try #require(try analysis(
            skin, photographedAt: millimetresPerPixel, rotationDegrees: rotationDegrees, exposureEV: exposureEV, noiseSeed: noiseSeed,
            scaleGiven: scaleGiven).concerns)
    }

    static func analysis(
        _ skin: BlotchySkin, photographedAt millimetresPerPixel: Double, rotationDegrees: Double = 0, exposureEV: Double = 0, noiseSeed: UInt64,
        scaleGiven: Bool = true
    ) throws -> SkinAnalysisResult {
        let arena = PlaintextArena()
        defer { _ = arena.wipeAll() }
        let image = try skin.photograph(
            millimetresPerPixel: millimetresPerPixel, rotationDegrees: rotationDegrees, exposureEV: exposureEV, noiseSeed: noiseSeed, arena: arena)
        return try SkinAnalyzer.analyze(
            image, configuration: SkinAnalysisConfiguration(minShortSidePixels: 32, minLaplacianVariance: 0),
            millimetresPerPixel: scaleGiven ? millimetresPerPixel : nil, arena: arena)
    }

    /// Coarser than 0.8 mm per working pixel the band's σ 2 mm spans under 2.5 pixels: the spread
    /// is not reported (it grew and moved with each re-capture of the fixture portraits reduced
    /// that far: docs/analysis/repeatability.md), nor its score, and the overall score averages the
    /// others; the colour figures stay. Without a scale the band is in nominal millimetres.
    @Test("evenness at 0.9 mm per pixel is not measurable (needs ≤ 0.8), without a score; at 0.75 it is; without a scale it is")
    func bandResolved() throws {
        let skin = BlotchySkin(count: 60, peakDensity: 0.06, seed: 17)
        let fine = try Self.concerns(skin, photographedAt: 0.75, noiseSeed: 5)
        #expect(fine.evenness.isMeasured && fine.evenness.status == "measured" && fine.scores.evenness != nil)
        #expect(fine.evenness.requiredMillimetresPerPixel == 0.8)

        let coarse = try Self.concerns(skin, photographedAt: 0.9, noiseSeed: 5)
        #expect(coarse.evenness.status == "not_measurable" && coarse.evenness.lStarStandardDeviation == nil)
        #expect(coarse.evenness.requiredMillimetresPerPixel == 0.8)
        #expect(coarse.scores.evenness == nil)
        #expect(coarse.evenness.meanDeltaE > 0 && coarse.evenness.melaninIndexStandardDeviation > 0)
        let s = coarse.scores
        let scored = [s.redness] + [s.spots, s.pores, s.wrinkles, s.shine].compactMap { $0 }
        #expect(s.overall == Int((Double(scored.reduce(0, +)) / Double(scored.count)).rounded()))
        let json = String(decoding: try JSONEncoder().encode(coarse.evenness), as: UTF8.self)
        #expect(json.contains("\"not_measurable\"") && json.contains("required_mm_per_pixel") && !json.contains("l_star_standard_deviation"))
        let scoresJSON = String(decoding: try JSONEncoder().encode(coarse.scores), as: UTF8.self)
        #expect(!scoresJSON.contains("evenness"))

        let unscaled = try Self.concerns(skin, photographedAt: 0.9, noiseSeed: 5, scaleGiven: false)
        #expect(unscaled.evenness.isMeasured && unscaled.evenness.requiredMillimetresPerPixel == nil)
    }

    /// A session pools the band's spread over the photos that measured it: a coarse photo leaves it
    /// to the others, and with none the session's evenness is not measurable either.
    @Test("a session of a 0.75 and a 0.9 mm/px photo reads the finer photo's evenness; two at 0.9 none")
    func sessionPoolsMeasuredPhotos() throws {
        let skin = BlotchySkin(count: 60, peakDensity: 0.06, seed: 17)
        let fine = try Self.analysis(skin, photographedAt: 0.75, noiseSeed: 5), coarse = try Self.analysis(skin, photographedAt: 0.9, noiseSeed: 6)
        let fineEvenness = try #require(fine.concerns?.evenness.lStarStandardDeviation)
        let mixed = try #require(SessionCombination.combine([fine, coarse])?.concerns)
        #expect(abs(try #require(mixed.evenness.lStarStandardDeviation) - fineEvenness) < 1e-12)
        #expect(mixed.scores.evenness == fine.concerns?.scores.evenness && mixed.evenness.requiredMillimetresPerPixel == 0.8)
        let coarseOnly = try #require(SessionCombination.combine([coarse, coarse])?.concerns)
        #expect(!coarseOnly.evenness.isMeasured && coarseOnly.scores.evenness == nil)
    }

    /// The band's filter has the σ it is asked for, whatever it is: an impulse's response sums to 1
    /// and its variance along each axis is σ² (three passes of a box of variance σ²/3), within 0.5 %.
    @Test("the extended-box filter: an impulse spreads to exactly σ² along each axis, for σ 0.7 … 9.3 px", arguments: [0.7, 1.13, 1.41, 2.5, 4.0, 9.3])
    func extendedBoxSigma(sigma: Double) throws {
        let (width, height) = (81, 75)
        var plane = [Float](repeating: 0, count: width * height), scratch = [Float](repeating: 0, count: width * height)
        let (cx, cy) = (40, 37)
        plane[cy * width + cx] = 1
        plane.withUnsafeMutableBufferPointer { p in
            scratch.withUnsafeMutableBufferPointer { s in PlaneFilters.extendedBox(p, sigma: sigma, scratch: s, width: width, height: height) }
        }
        var total = 0.0, varianceX = 0.0, varianceY = 0.0
        for y in 0..<height {
            for x in 0..<width {
                let w = Double(plane[y * width + x])
                total += w
                varianceX += w * Double((x - cx) * (x - cx))
                varianceY += w * Double((y - cy) * (y - cy))
            }
        }
        print("extended box σ \(sigma): sum \(total), σx² \(varianceX), σy² \(varianceY) (expected \(sigma * sigma))")
        #expect(abs(total - 1) < 1e-4)
        #expect(abs(varianceX / (sigma * sigma) - 1) < 0.005)
        #expect(abs(varianceY / (sigma * sigma) - 1) < 0.005)
    }

    /// A σ wider than the plane (a small crop's 12 mm): every pass still runs, and what stays
    /// inside is a spread-out impulse, none of it gained.
    @Test("the extended-box filter on a plane narrower than its kernel: the impulse spreads flat, none of it gained")
    func extendedBoxWiderThanPlane() {
        let (width, height) = (9, 7)
        var plane = [Float](repeating: 0, count: width * height), scratch = [Float](repeating: 0, count: width * height)
        plane[3 * width + 4] = 1
        plane.withUnsafeMutableBufferPointer { p in
            scratch.withUnsafeMutableBufferPointer { s in PlaneFilters.extendedBox(p, sigma: 40, scratch: s, width: width, height: height) }
        }
        let total = plane.reduce(0, +)
        #expect(total > 0 && total <= 1)
        #expect((plane.max() ?? 0) - (plane.min() ?? 0) < 0.01 * total)
    }

    /// A grey skin (green lightness = L*) at L* 60 with a 20 × 20 px highlight, as a face's band
    /// (the median set as `applyFaceZones` sets it) and as a close-up's (none).
    static func highlightBand(highlightLStar: Float, faceMedian: Bool, arena: PlaintextArena) throws -> [Float] {
        let (width, height) = (160, 160), count = 160 * 160
        let lightness = try Plane<Float>(width: width, height: height, what: "the L* plane", arena: arena)
        let chroma = try Plane<Int16>(width: width, height: height, layers: 3, what: "the a*, b* and erythema planes", arena: arena)
        let skin = try Plane<UInt8>(width: width, height: height, what: "the skin mask", arena: arena)
        let members = try Plane<UInt8>(width: width, height: height, what: "the mark mask", arena: arena)
        let memory = try Plane<Float>(width: width, height: height, what: "the band's blocks", arena: arena)
        let lStar = lightness.pixels
        for y in 0..<height {
            for x in 0..<width { lStar[y * width + x] = (70..<90).contains(x) && (70..<90).contains(y) ? highlightLStar : 60 }
        }
        for i in 0..<count { skin.pixels[i] = WorkingImage.skinBit }
        var work = WorkingImage(originX: 0, originY: 0, width: width, height: height, factor: 1, lightness: lightness, chroma: chroma, skin: skin)
        if faceMedian { work.faceMedianLab = SIMD3(60, 0, 0) }
        let blocks = try EvennessBand.blocks(work, members: members, workingMillimetres: 0.25, in: memory, arena: arena)
        defer { blocks.release(arena) }
        // Every pixel is clear skin: the band at each, row by row.
        return blocks.withReader(0) { band in
            (0..<height).flatMap { y in
                band.load(y: y, x: 0..<width)
                return (0..<width).map { band.value(x: $0) }
            }
        }
    }

    /// A face's highlight enters the band at most `EvennessBand.highlightMargin` above its median:
    /// one at L* 85 and one at L* 98 (its green clipped by a brighter capture, or not) read the same;
    /// a close-up's band (no exposure normalisation, no median) still tells them apart.
    @Test("a face's highlights enter the evenness band capped above its median: one at 25 and one at 38 above it read the same")
    func highlightsCapped() throws {
        let arena = PlaintextArena()
        defer { _ = arena.wipeAll() }
        let centre = 80 * 160 + 80
        let faceLower = try Self.highlightBand(highlightLStar: 85, faceMedian: true, arena: arena)
        let faceHigher = try Self.highlightBand(highlightLStar: 98, faceMedian: true, arena: arena)
        let closeUpLower = try Self.highlightBand(highlightLStar: 85, faceMedian: false, arena: arena)
        let closeUpHigher = try Self.highlightBand(highlightLStar: 98, faceMedian: false, arena: arena)
        print("highlight band at its centre: face \(faceLower[centre]) / \(faceHigher[centre]), close-up \(closeUpLower[centre]) / \(closeUpHigher[centre])")
        #expect(faceLower == faceHigher)
        #expect(faceLower[centre] > 5, "the capped highlight still stands out: \(faceLower[centre])")
        #expect(closeUpHigher[centre] > closeUpLower[centre] + 5)
        #expect(closeUpLower[centre] > faceLower[centre])
    }

    /// The brown unevenness of a 40 × 40 region of skin (linear red 0.571, the median's) with a
    /// 10 × 10 patch of brighter skin (red `patchRed`, the other channels in proportion), the
    /// patch flagged clipped or not, read with a red cap or without one.
    static func melaninSpread(patchRed: Double, clipped: Bool, cap: Double?) -> Double {
        let (width, height) = (40, 40), count = 40 * 40
        let skinColour = CIELab.fromLinear(red: 0.571, green: 0.31, blue: 0.25)
        let patch = CIELab.fromLinear(red: patchRed, green: 0.31 * patchRed / 0.571, blue: 0.25 * patchRed / 0.571)
        var lightness = [Float](repeating: 0, count: count), chroma = [Int16](repeating: 0, count: 3 * count)
        var skin = [UInt8](repeating: WorkingImage.skinBit, count: count)
        for y in 0..<height {
            for x in 0..<width {
                let i = y * width + x, inPatch = (15..<25).contains(x) && (15..<25).contains(y)
                let colour = inPatch ? patch : skinColour
                (lightness[i], chroma[i], chroma[count + i]) = (Float(colour.l), FixedLayer.code(Float(colour.a)), FixedLayer.code(Float(colour.b)))
                if inPatch, clipped { skin[i] |= WorkingImage.clippedBit }
            }
        }
        let marks = [UInt8](repeating: 0, count: count), flat = [Float](repeating: Float(skinColour.l), count: count)
        return lightness.withUnsafeBufferPointer { lightness in chroma.withUnsafeMutableBufferPointer { chroma in
            skin.withUnsafeBufferPointer { skin in
                marks.withUnsafeBufferPointer { marks in
                    flat.withUnsafeBufferPointer { flat in
                        let pixels = RegionStatistics.Pixels(
                            colour: ColourPixels(lStar: lightness, chroma: chroma), skin: skin, marks: marks, background: flat, zones: nil, zone: 0,
                            width: width, height: height, rect: PixelRect(width: width, height: height))
                        var stats = RegionStatistics.clearSkin(pixels, configuration: SkinMeasureConfiguration())
                        stats.measureSurface(pixels, ridgePlane: flat, configuration: SkinMeasureConfiguration(), melaninRedCap: cap)
                        return stats
                    }
                }
            }
        } }.melaninIndexStandardDeviation
    }

    /// A face's brown unevenness reads the red at most at `RegionStatistics.melaninRedCapRatio` ×
    /// the median's, a clipped pixel at the cap: a bright patch above the cap reads the same
    /// whether the camera recorded it (red 0.80) or clipped it (0.95, flagged); without the cap
    /// (a close-up) the clipped patch is left out and the region reads even.
    @Test("a face's brown unevenness caps the red: a bright patch above the cap reads the same recorded or clipped")
    func melaninRedCapped() {
        let cap = RegionStatistics.melaninRedCapRatio * 0.571
        let recorded = Self.melaninSpread(patchRed: 0.80, clipped: false, cap: cap)
        let clipped = Self.melaninSpread(patchRed: 0.95, clipped: true, cap: cap)
        let below = Self.melaninSpread(patchRed: 0.70, clipped: false, cap: cap)
        let uncappedClipped = Self.melaninSpread(patchRed: 0.95, clipped: true, cap: nil)
        let uncappedRecorded = Self.melaninSpread(patchRed: 0.80, clipped: false, cap: nil)
        print("melanin s.d.: capped recorded \(recorded), capped clipped \(clipped), below the cap \(below); uncapped clipped \(uncappedClipped), recorded \(uncappedRecorded)")
        #expect(abs(recorded - clipped) < 1e-9)
        #expect(recorded > 1, "the capped patch still stands out: \(recorded)")
        #expect(below < recorded, "a patch below the cap is read as it is: \(below)")
        #expect(uncappedClipped < 1e-6)
        #expect(uncappedRecorded > recorded)
    }

    /// A 40 × 40 region of skin whose L* runs evenly from 55 to 80 (median 67.5) and a* from 10 to
    /// 20 across it; with `clippedAbove`, the pixels brighter than it flagged clipped and read at
    /// that L* (a saturated channel records less light than there was), a* 5 lower.
    static func zoneStatistics(clippedAbove: Float?) -> RegionStatistics {
        let (width, height) = (40, 40), count = 40 * 40
        var lightness = [Float](repeating: 0, count: count), chroma = [Int16](repeating: 0, count: 3 * count)
        var skin = [UInt8](repeating: WorkingImage.skinBit, count: count)
        for i in 0..<count {
            let rank = (Float(i) + 0.5) / Float(count)
            var l = 55 + 25 * rank, a = 10 + 10 * Float((i * 7) % count) / Float(count)
            if let limit = clippedAbove, l > limit {
                (l, a) = (limit, a - 5)
                skin[i] |= WorkingImage.clippedBit
            }
            (lightness[i], chroma[i], chroma[count + i]) = (l, FixedLayer.code(a), FixedLayer.code(12))
        }
        let marks = [UInt8](repeating: 0, count: count), flat = [Float](repeating: 67.5, count: count)
        return lightness.withUnsafeBufferPointer { lightness in chroma.withUnsafeMutableBufferPointer { chroma in
            skin.withUnsafeBufferPointer { skin in marks.withUnsafeBufferPointer { marks in flat.withUnsafeBufferPointer { flat in
                RegionStatistics.clearSkin(
                    RegionStatistics.Pixels(
                        colour: ColourPixels(lStar: lightness, chroma: chroma), skin: skin, marks: marks, background: flat, zones: nil, zone: 0,
                        width: width, height: height, rect: PixelRect(width: width, height: height)),
                    configuration: SkinMeasureConfiguration(), median: true)
            } } }
        } }
    }

    /// A brighter capture clips more of a zone's bright tail: its mean colour, which leaves the
    /// clipped pixels out, falls with every pixel lost; its median colour counts a clipped pixel in
    /// L* (its rank, brighter than the median, is right though its value is not) and stays while
    /// fewer than half clip. `zone_delta_e` compares medians (docs/analysis/repeatability.md).
    @Test("a zone's median L* stays where it was while its brightest fifth and then third clip; its mean L* falls")
    func medianColourThroughClipping() throws {
        let unclipped = Self.zoneStatistics(clippedAbove: nil)
        let fifth = Self.zoneStatistics(clippedAbove: 75), third = Self.zoneStatistics(clippedAbove: 71.7)
        let medians = try [unclipped, fifth, third].map { try #require($0.medianColour) }
        print("zone L*: medians \(medians.map(\.x)), means \([unclipped, fifth, third].map(\.meanL)); a* medians \(medians.map(\.y))")
        #expect(abs(medians[0].x - 67.5) < 0.02)
        #expect(medians[1].x == medians[0].x && medians[2].x == medians[0].x)
        #expect(fifth.meanL < unclipped.meanL - 2 && third.meanL < fifth.meanL - 1)
        // a* of the unclipped pixels alone (the clipped ones' a* is the saturated channel's): still within their range.
        #expect(medians.allSatisfy { (10...20).contains($0.y) })
        #expect(Self.zoneStatistics(clippedAbove: 50).medianColour == nil, "no unclipped clear pixel, no colour")
    }

    /// Tolerance: ±12 % of the capture as taken. Exposure alone moves a close-up's lightness
    /// spread by 2^(±⅓·⅓) − 1 = ±8 % (CIELAB's cube root; faces are read at a normalised exposure,
    /// close-ups as taken), the rest is sampling and noise.
    @Test("the same blotchy skin photographed at ×0.8 … ×1.25, turned 5° and 30°, ±⅓ EV: evenness within 12 % of the capture as taken; even skin reads under a third of it")
    func sameSkinAgain() throws {
        let blotchy = BlotchySkin(count: 60, peakDensity: 0.06, seed: 17), even = BlotchySkin(count: 0, peakDensity: 0, seed: 17)
        var reference: Double?
        for (index, capture) in Self.captures.enumerated() {
            let uneven = try Self.evenness(
                blotchy, millimetresPerPixel: capture.millimetresPerPixel, rotationDegrees: capture.rotationDegrees, exposureEV: capture.exposureEV,
                noiseSeed: UInt64(100 + index))
            let flat = try Self.evenness(
                even, millimetresPerPixel: capture.millimetresPerPixel, rotationDegrees: capture.rotationDegrees, exposureEV: capture.exposureEV,
                noiseSeed: UInt64(200 + index))
            let value = try #require(uneven.lStarStandardDeviation), flatValue = try #require(flat.lStarStandardDeviation)
            let first = reference ?? value
            reference = first
            print("evenness \(capture.name): blotchy \(value) (\(String(format: "%+.1f", 100 * (value / first - 1))) %), even \(flatValue)")
            #expect(abs(value / first - 1) <= 0.12, "\(capture.name): \(value) against \(first)")
            #expect(flatValue < value / 3, "\(capture.name): even skin \(flatValue), blotchy \(value)")
        }
    }
}
