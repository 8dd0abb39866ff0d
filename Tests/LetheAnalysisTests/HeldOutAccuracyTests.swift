import Foundation
import LetheAPI
import LetheAnalysis
import LetheImaging
import LetheMemory
import LetheTestSupport
import Testing

/// Accuracy that is not the code agreeing with itself (issue 18): images from seeds no tuning
/// saw, absolute count errors (a detector that doubles every count fails, which a rank
/// correlation would not catch), marks near the detection threshold, and the after-care preview
/// judged at the generator's own spot positions with the test's own colour code instead of by the
/// analyser that chose what to fade.
///
/// The sets (docs/analysis/skin.md): the thresholds were tuned on `SkinPatch` seeds 7919·k,
/// k = 1…24 (`GroundTruthAccuracyTests`, which keeps them as a regression check); this suite uses
/// 104729·k + 1, k = 1…24, which were drawn after the thresholds were fixed and never changed them.
@Suite("Held-out accuracy")
struct HeldOutAccuracyTests {
    static let testSeeds: [UInt64] = (1...24).map { UInt64($0) * 104_729 + 1 }
    static let quality = SkinAnalysisConfiguration(minLaplacianVariance: 0)

    static func concerns(_ patch: SkinPatch, seed: UInt64) throws -> SkinConcerns {
        let arena = PlaintextArena()
        defer { _ = arena.wipeAll() }
        let image = try patch.render(seed: seed, arena: arena)
        return try #require(try SkinAnalyzer.analyze(image, configuration: quality, arena: arena).concerns)
    }

    @Test("held-out skin patches: spot and pore counts exact within one per image, totals within 5 %, ITA° within 1°")
    func heldOutCounts() throws {
        var spotErrors: [Int] = [], poreErrors: [Int] = []
        var spotTotals = (truth: 0, measured: 0), poreTotals = (truth: 0, measured: 0)
        var itaErrors: [Double] = []
        for seed in Self.testSeeds {
            let patch = SkinPatch(seed: seed)
            let arena = PlaintextArena()
            let image = try patch.render(seed: seed, arena: arena)
            let result = try SkinAnalyzer.analyze(image, configuration: Self.quality, arena: arena)
            _ = arena.wipeAll()
            let concerns = try #require(result.concerns)
            // No scale given: spots too are measured in pixels.
            let spotCount = try #require(concerns.spots.count)
            spotErrors.append(spotCount - patch.spots.count)
            // No scale given: pores are measured in pixels (never `not_measurable`).
            let pores = try #require(concerns.pores.count)
            poreErrors.append(pores - patch.pores.count)
            spotTotals.truth += patch.spots.count; spotTotals.measured += spotCount
            poreTotals.truth += patch.pores.count; poreTotals.measured += pores
            itaErrors.append(abs(result.skinTone.itaDegrees - patch.itaDegrees))
        }
        print("held-out skin: spot errors \(spotErrors) (totals \(spotTotals)), pore errors \(poreErrors) (totals \(poreTotals)), ITA° max error \(itaErrors.max()!)")
        #expect(spotErrors.allSatisfy { abs($0) <= 1 }, "\(spotErrors)")
        #expect(poreErrors.allSatisfy { abs($0) <= 1 }, "\(poreErrors)")
        #expect(abs(spotTotals.measured - spotTotals.truth) * 20 <= spotTotals.truth, "\(spotTotals)")
        #expect(abs(poreTotals.measured - poreTotals.truth) * 20 <= poreTotals.truth, "\(poreTotals)")
        #expect(itaErrors.allSatisfy { $0 <= 1 }, "\(itaErrors)")
    }

    /// Patches whose spots straddle the documented 5 ΔL* limit: each spot's contrast is drawn from
    /// 2–10 ΔL* (the tuning set's were 12–22), on noise of ±3 L* (tuning: ±1.5).
    static func faintPatch(seed: UInt64) -> SkinPatch {
        var patch = SkinPatch(seed: seed)
        var random = SeededGenerator(seed: seed &+ 17)
        patch.pores = []
        for index in patch.spots.indices { patch.spots[index].contrast = Double.random(in: 2...10, using: &random) }
        patch.noise = 3
        return patch
    }

    @Test("near the threshold: spots of 7 ΔL* or more are found, spots under 3.5 ΔL* are not")
    func nearThreshold() throws {
        var found = 0, clear = 0, countedFaint = 0, faint = 0, outsideBracket: [String] = []
        for seed in Self.testSeeds {
            let patch = Self.faintPatch(seed: seed)
            let measured = try #require(try Self.concerns(patch, seed: seed).spots.count)
            let strong = patch.spots.filter { $0.contrast >= 7 }.count
            let visible = patch.spots.filter { $0.contrast >= 3.5 }.count
            clear += strong
            faint += patch.spots.count - visible
            // Between every spot that is clearly above the limit and every spot that is not clearly below it.
            if measured < strong || measured > visible { outsideBracket.append("seed \(seed): \(measured) not in \(strong)…\(visible)") }
            found += min(measured, strong)
            countedFaint += max(0, measured - visible)
        }
        print("near threshold: \(found)/\(clear) clear spots found, \(countedFaint) counts beyond the \(faint) spots under 3.5 ΔL*; outside bracket: \(outsideBracket)")
        #expect(clear >= 30, "the set must hold enough clear spots to mean something: \(clear)")
        #expect(outsideBracket.isEmpty, "\(outsideBracket)")
    }

    /// Mean reference L* (the test's own sRGB → CIELAB) of the pixels whose centre lies at a
    /// distance in `range` from (x, y).
    static func meanLightness(_ image: DecodedImage, x: Double, y: Double, within range: ClosedRange<Double>) -> Double {
        var sum = 0.0, count = 0
        image.pixels.withUnsafeBytes { bytes in
            let reach = Int(range.upperBound.rounded(.up)) + 1
            for py in max(0, Int(y) - reach)..<min(image.height, Int(y) + reach) {
                for px in max(0, Int(x) - reach)..<min(image.width, Int(x) + reach) {
                    guard range.contains(hypot(Double(px) + 0.5 - x, Double(py) + 0.5 - y)) else { continue }
                    let o = (py * image.width + px) * 3
                    sum += ReferenceColour.lab(RGB(bytes[o], bytes[o + 1], bytes[o + 2])).l
                    count += 1
                }
            }
        }
        return sum / Double(max(1, count))
    }

    /// Each generated mark's contrast (its surround's L* minus its core's) in `image`.
    static func contrasts(of marks: [SkinPatch.Mark], in image: DecodedImage) -> [Double] {
        marks.map { mark in
            meanLightness(image, x: mark.x, y: mark.y, within: (mark.radius + 3)...(mark.radius + 6))
                - meanLightness(image, x: mark.x, y: mark.y, within: 0...max(0.8, mark.radius - 1))
        }
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.isEmpty ? .nan : sorted[sorted.count / 2]
    }

    @Test("independent judge: at the generator's spots the preview keeps about (1 − strength) of their contrast, and pores are left alone")
    func simulationJudgedAtTruth() throws {
        let seeds = Self.testSeeds.filter { SkinPatch(seed: $0).spots.count >= 3 && SkinPatch(seed: $0).pores.count >= 5 }.prefix(4)
        try #require(seeds.count == 4)
        var remaining: [Double: [Double]] = [:], poresRemaining: [Double] = []
        for seed in seeds {
            let patch = SkinPatch(seed: seed)
            let arena = PlaintextArena()
            let image = try patch.render(seed: seed, arena: arena)
            let spotsBefore = Self.contrasts(of: patch.spots, in: image)
            let poresBefore = Self.contrasts(of: patch.pores, in: image)
            for strength in [0.5, 1.0] {
                var request = SimulationRequest(concerns: [.spots], strengths: [.spots: strength])
                request.output.format = .png
                let settings = AnalysisSettings(kind: .skin, quality: Self.quality)
                let analysis = try PhotoAnalysis.run(image, settings: settings, labelling: true, arena: arena)
                let rendering = try SimulationRenderer.render(image, analysis: analysis, request: request, arena: arena)
                let preview = try #require(rendering.preview).encoded.withUnsafeBytes { try ImageDecoder.decode($0, limits: DecodeLimits(), arena: arena) }
                let spotsAfter = Self.contrasts(of: patch.spots, in: preview)
                remaining[strength, default: []] += zip(spotsAfter, spotsBefore).map { $0 / $1 }
                if strength == 1 {
                    poresRemaining += zip(Self.contrasts(of: patch.pores, in: preview), poresBefore).map { $0 / $1 }
                }
            }
            #expect(arena.wipeAll().verified)
        }
        let half = Self.median(remaining[0.5] ?? []), full = Self.median(remaining[1.0] ?? [])
        print("independent judge: spot contrast remaining (median) at strength 0.5: \(half), at 1: \(full); pores at spots strength 1: \(Self.median(poresRemaining))")
        // Measured here: 0.51 and 0.01 of the contrast left, pores untouched (1.00).
        #expect((0.4...0.6).contains(half), "strength 0.5 left \(half) of the spot contrast")
        #expect(full <= 0.1, "strength 1 left \(full) of the spot contrast")
        #expect(Self.median(poresRemaining) >= 0.95, "a spots-only preview faded the pores: \(poresRemaining)")
    }
}
