import Foundation
import LetheAPI
import LetheAnalysis
import LetheImaging
import LetheMemory
import Testing

/// Scalp accuracy that is not the code agreeing with itself (issues 16 and 18). The sets
/// (docs/analysis/scalp.md): the width percentile, the length rule and the light-hair aspect were
/// chosen on `TrichoscopyImage` seeds 7919·k, k = 1…24 (`GroundTruthAccuracyTests`, kept as a
/// regression check); the hysteresis, the bright floor and the background's median margin on the
/// development seeds 104729·k + 2 (this suite's first version). This suite uses 1299709·k + 3,
/// k = 1…24, run once the rules were fixed and never used to change them. Errors are absolute per
/// image (a detector that doubles every count fails), with bounds close to what was measured
/// (printed; documented in docs/analysis/scalp.md).
@Suite("Held-out scalp accuracy")
struct ScalpHeldOutAccuracyTests {
    static let testSeeds: [UInt64] = (1...24).map { UInt64($0) * 1_299_709 + 3 }
    static let quality = SkinAnalysisConfiguration(minLaplacianVariance: 0)

    static func analyse(_ variation: TrichoscopyImage.Variation, seed: UInt64) throws -> (truth: TrichoscopyImage, result: ScalpAnalysisResult) {
        var truth = TrichoscopyImage(seed: seed, variation: variation)
        let arena = PlaintextArena()
        let image = try truth.render(seed: seed, arena: arena)
        let result = try ScalpAnalyzer.analyze(image, millimetresPerPixel: truth.millimetresPerPixel, configuration: quality, arena: arena)
        #expect(arena.wipeAll().verified)
        return (truth, result)
    }

    /// Per-image errors of one set.
    struct Errors: CustomStringConvertible {
        var hairs: [Int] = [], units: [Int] = [], width: [Double] = [], flakes: [Double] = [], whiteHairs: [Int] = [], density: [Double] = []

        mutating func add(_ truth: TrichoscopyImage, _ result: ScalpAnalysisResult) {
            hairs.append(result.hairCount - truth.hairCount)
            units.append(result.follicularUnits.count - truth.unitSizes.count)
            width.append((result.meanWidthMicrometres - truth.meanWidthMicrometres) / truth.meanWidthMicrometres)
            if truth.flakeAreaFraction > 0 { flakes.append((result.flakeAreaFraction - truth.flakeAreaFraction) / truth.flakeAreaFraction) }
            whiteHairs.append((result.whiteHairCount ?? -1) - truth.lightHairCount)
            density.append((result.densityPerSquareCentimetre - truth.densityPerSquareCentimetre) / truth.densityPerSquareCentimetre)
        }

        static func largest(_ values: [Int]) -> Int { values.map(abs).max() ?? 0 }
        static func largest(_ values: [Double]) -> Double { values.map(abs).max() ?? 0 }
        static func percent(_ value: Double) -> String { String(format: "%.1f %%", 100 * value) }

        var description: String {
            "hairs \(hairs) (max |error| \(Self.largest(hairs))), units \(units), width max \(Self.percent(Self.largest(width))), "
                + "flakes max \(Self.percent(Self.largest(flakes))), white hairs \(whiteHairs), density max \(Self.percent(Self.largest(density)))"
        }
    }

    @Test("held-out images: hairs within 2, units exact, width within 5 %, flakes within 5 %, no white hairs made up")
    func heldOut() throws {
        var errors = Errors()
        for seed in Self.testSeeds {
            let (truth, result) = try Self.analyse(.init(), seed: seed)
            errors.add(truth, result)
        }
        print("held-out scalp: \(errors)")
        // Measured with hairs counted along strands: hairs within 2 (one image +2, the others exact;
        // by length ÷ reference within 2, Σ +11), units exact, width 3.7 % (8.6 % with one width per mark), flakes 2.8 %, density 5.9 % (was 11.8 %).
        #expect(Errors.largest(errors.hairs) <= 2, "\(errors.hairs)")
        #expect(abs(errors.hairs.reduce(0, +)) <= 3, "the errors must not all lean one way: \(errors.hairs)")
        #expect(Errors.largest(errors.units) == 0, "\(errors.units)")
        #expect(Errors.largest(errors.width) <= 0.05, "\(errors.width)")
        #expect(Errors.largest(errors.density) <= 0.07, "\(errors.density)")
        #expect(Errors.largest(errors.flakes) <= 0.05, "\(errors.flakes)")
        #expect(errors.whiteHairs.allSatisfy { $0 == 0 }, "\(errors.whiteHairs)")
    }

    @Test("near the threshold: hairs of 12 ΔL* or more are counted (one may be missed), hairs under 5 ΔL* are not (noise ±3 L*)")
    func faintHairs() throws {
        var outsideBracket: [String] = [], clear = 0, measuredTotal = 0
        for seed in Self.testSeeds {
            let (truth, result) = try Self.analyse(.init(faintContrast: 3...16, noise: 3), seed: seed)
            let contrasts = truth.hairs.map { truth.scalpL - $0.lStar }
            let strong = contrasts.filter { $0 >= 12 }.count, visible = contrasts.filter { $0 >= 5 }.count
            clear += strong
            measuredTotal += result.hairCount
            // Measured: one image counted 10 with 11 hairs of ≥ 12 ΔL*; every other image within the bracket.
            if result.hairCount < strong - 1 || result.hairCount > visible { outsideBracket.append("seed \(seed): \(result.hairCount) not in \(strong)…\(visible)") }
        }
        print("faint hairs: \(clear) hairs of ≥ 12 ΔL*, \(measuredTotal) counted; outside bracket: \(outsideBracket)")
        #expect(clear >= 100, "the set must hold enough clear hairs to mean something: \(clear)")
        #expect(outsideBracket.isEmpty, "\(outsideBracket)")
    }

    @Test("touching units: hairs within 3, width within 6 %; units that touch merge (never more units than the truth)")
    func touchingUnits() throws {
        var errors = Errors()
        for seed in Self.testSeeds {
            let (truth, result) = try Self.analyse(.init(minimumGapPixels: 0.2, touchingShare: 0.5), seed: seed)
            errors.add(truth, result)
        }
        print("touching units: \(errors)")
        // Measured along strands: hairs within 3 (by length ÷ reference within 4), width 4.5 % (8.5 % with one width per mark), flakes 3.3 %,
        // density 11.1 % (was 16.7 %); 0–10 units fewer per image.
        #expect(Errors.largest(errors.hairs) <= 3, "\(errors.hairs)")
        #expect(Errors.largest(errors.width) <= 0.06, "\(errors.width)")
        #expect(Errors.largest(errors.density) <= 0.12, "\(errors.density)")
        #expect(errors.units.allSatisfy { $0 <= 0 } && errors.units.contains { $0 < 0 }, "touching units merge: \(errors.units)")
        #expect(errors.whiteHairs.allSatisfy { $0 == 0 }, "\(errors.whiteHairs)")
    }

    @Test("white and grey hairs: counted as hairs (within 2) and as white hairs (within 1), not as flake area (within 10 %), width within 7 %")
    func whiteHairs() throws {
        var errors = Errors()
        var lightTotal = 0
        for seed in Self.testSeeds {
            let (truth, result) = try Self.analyse(.init(lightUnitShare: 0.4), seed: seed)
            errors.add(truth, result)
            lightTotal += truth.lightHairCount
        }
        print("white and grey hairs (\(lightTotal) in the set): \(errors)")
        #expect(lightTotal >= 50, "the set must hold enough white and grey hairs: \(lightTotal)")
        // Measured: white hairs exact, hairs within 2, units exact, flakes 7.5 %, width 5.1 % (9.8 % with one width per mark).
        #expect(Errors.largest(errors.whiteHairs) <= 1, "\(errors.whiteHairs)")
        #expect(Errors.largest(errors.hairs) <= 2, "\(errors.hairs)")
        #expect(Errors.largest(errors.units) == 0, "\(errors.units)")
        #expect(Errors.largest(errors.flakes) <= 0.10, "\(errors.flakes)")
        #expect(Errors.largest(errors.width) <= 0.07, "\(errors.width)")
    }

    @Test("a round field under a tenth of the photo is refused as image_too_small, with the share in the message")
    func tinyFieldIsRefused() throws {
        // Dark corners and border (sRGB 30, L* 11) around a bright scalp-coloured disc of 7 % of the
        // photo: light enough for the exposure gate (mean luma 44), too little scalp to count.
        let (width, height) = (400, 300)
        let arena = PlaintextArena()
        defer { #expect(arena.wipeAll().verified) }
        let buffer = try arena.allocate(count: width * height * 3, bufferClass: .pixels)
        let radius = (0.07 * Double(width * height) / .pi).squareRoot()
        buffer.withUnsafeMutableBytes { bytes in
            for y in 0..<height {
                for x in 0..<width {
                    let inside = hypot(Double(x) + 0.5 - Double(width) / 2, Double(y) + 0.5 - Double(height) / 2) <= radius
                    let (r, g, b): (UInt8, UInt8, UInt8) = inside ? (250, 232, 220) : (30, 30, 30)
                    (bytes[(y * width + x) * 3], bytes[(y * width + x) * 3 + 1], bytes[(y * width + x) * 3 + 2]) = (r, g, b)
                }
            }
        }
        let image = DecodedImage(width: width, height: height, format: .png, pixels: buffer)
        let refusal = #expect(throws: analysisError("image_too_small")) {
            _ = try ScalpAnalyzer.analyze(image, millimetresPerPixel: 0.007, configuration: Self.quality, arena: arena)
        }
        #expect(refusal?.message.contains("round field is 7 % of the photo") == true, "\(String(describing: refusal))")
    }

    @Test("round trichoscope field: field area within 1 %, density within 4 %, dark corners are not hairs")
    func roundField() throws {
        var errors = Errors()
        var areaErrors: [Double] = []
        for (index, seed) in Self.testSeeds.enumerated() {
            // Inscribed (0.46 of the shorter side) and clipped by the image's long edges (0.6).
            let (truth, result) = try Self.analyse(.init(roundFieldRadius: index.isMultiple(of: 2) ? 0.46 : 0.6), seed: seed)
            errors.add(truth, result)
            areaErrors.append((result.fieldOfViewSquareCentimetres * 100 - truth.fieldSquareMillimetres) / truth.fieldSquareMillimetres)
        }
        print("round field: \(errors); field area max error \(Errors.percent(Errors.largest(areaErrors)))")
        // Measured: field area 0.3 %, density 3.2 % (12.2 % by length ÷ reference; the whole image would
        // read 0.59–0.8× the truth), hairs within 1, units exact, flakes 4.9 %, no white hairs.
        #expect(Errors.largest(areaErrors) <= 0.01, "\(areaErrors)")
        #expect(Errors.largest(errors.density) <= 0.04, "\(errors.density)")
        #expect(Errors.largest(errors.hairs) <= 2, "\(errors.hairs)")
        #expect(Errors.largest(errors.units) == 0, "\(errors.units)")
        #expect(Errors.largest(errors.flakes) <= 0.05, "\(errors.flakes)")
        #expect(errors.whiteHairs.allSatisfy { $0 == 0 }, "dark corners or the field's edge read as hairs: \(errors.whiteHairs)")
    }
}
