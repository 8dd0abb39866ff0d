import Foundation
import LetheAPI
@testable import LetheAnalysis
import LetheImaging
import LetheMemory
import LetheTestSupport
import Testing

/// Issue 16.4: acne blemishes as red papules (a* above the surrounding skin, roundish, 1–5 mm),
/// against generated skin whose papules — and red things that are not papules — the test placed.
@Suite("Blemishes (red papules)")
struct BlemishTests {
    static func analyse(_ skin: BlemishedSkin, millimetresPerPixel: Double?) throws -> SkinConcerns {
        let arena = PlaintextArena()
        defer { _ = arena.wipeAll() }
        let image = try skin.render(arena: arena)
        let result = try SkinAnalyzer.analyze(
            image, configuration: SkinAnalysisConfiguration(minLaplacianVariance: 0), millimetresPerPixel: millimetresPerPixel, arena: arena)
        return try #require(result.concerns)
    }

    static let seeds: [UInt64] = (1...8).map { 53 * $0 + 11 }

    @Test("generated skin with 2–8 papules (1.2–4.5 mm, +8 … +14 a*) beside red dots < 1 mm, a red streak, a 9 mm red patch and a brown spot: counted exactly, diameters and Δa* close")
    func countsPapules() throws {
        var diameterErrors: [Double] = [], contrastErrors: [Double] = []
        for (k, seed) in Self.seeds.enumerated() {
            let skin = BlemishedSkin(seed: seed, papuleCount: 2 + k)
            let blemishes = try #require(try Self.analyse(skin, millimetresPerPixel: skin.millimetresPerPixel).blemishes)
            let truthDiameter = skin.papules.map(\.diameterMillimetres).reduce(0, +) / Double(skin.papules.count)
            let measuredDiameter = try #require(blemishes.meanDiameterMillimetres)
            // Δa* ground truth: the area-weighted rise (flat tops; the 0.3 mm edges add a little lower a*).
            let truthContrast = skin.papules.map { $0.aStarRise * $0.diameterMillimetres * $0.diameterMillimetres }.reduce(0, +)
                / skin.papules.map { $0.diameterMillimetres * $0.diameterMillimetres }.reduce(0, +)
            diameterErrors.append(measuredDiameter - truthDiameter)
            let measuredContrast = try #require(blemishes.meanContrastDeltaAStar)
            contrastErrors.append(measuredContrast - truthContrast)
            let area = Double(skin.size * skin.size) * skin.millimetresPerPixel * skin.millimetresPerPixel / 100
            print("blemishes: seed \(seed) truth \(skin.papules.count) papules, mean ⌀ \(String(format: "%.2f", truthDiameter)) mm, Δa* \(String(format: "%.1f", truthContrast)); measured \(blemishes.count ?? -1), ⌀ \(String(format: "%.2f", measuredDiameter)) mm, Δa* \(String(format: "%.1f", measuredContrast)), \(String(format: "%.2f", blemishes.densityPerSquareCentimetre ?? -1)) per cm² (truth \(String(format: "%.2f", Double(skin.papules.count) / area)))")
            #expect(blemishes.count == skin.papules.count, "seed \(seed)")
            // Measured: diameters +0.05 … +0.08 mm, Δa* −1.5 … −0.8.
            #expect(measuredDiameter - truthDiameter >= -0.05 && measuredDiameter - truthDiameter <= 0.15, "seed \(seed)")
            #expect(measuredContrast - truthContrast >= -2.5 && measuredContrast - truthContrast <= 0.5, "seed \(seed)")
            #expect(abs((blemishes.densityPerSquareCentimetre ?? 0) - Double(skin.papules.count) / area) <= 0.03 * Double(skin.papules.count) / area + 1e-9)
        }
        print("blemishes: diameter errors \(diameterErrors.map { String(format: "%+.2f", $0) }) mm, Δa* errors \(contrastErrors.map { String(format: "%+.1f", $0) })")
    }

    @Test("skin with only red things that are not papules has no blemish")
    func nothingButDistractors() throws {
        let skin = BlemishedSkin(seed: 5, papuleCount: 0)
        #expect(!skin.redDots.isEmpty && !skin.streaks.isEmpty && !skin.redPatches.isEmpty && !skin.brownSpots.isEmpty)
        let concerns = try Self.analyse(skin, millimetresPerPixel: skin.millimetresPerPixel)
        let blemishes = try #require(concerns.blemishes)
        print("blemishes: distractors only → \(blemishes.count ?? -1); spots \(concerns.spots.count ?? -1)")
        #expect(blemishes.count == 0)
        #expect(blemishes.areaFraction == 0)
    }

    @Test("without a scale, papule sizes are read at 0.2 mm per pixel (5–25 px)")
    func withoutScale() throws {
        // At 0.2 mm/px the generator's 1.2–4.5 mm papules are 6–22.5 px across.
        let skin = BlemishedSkin(seed: 7, papuleCount: 6, size: 300, millimetresPerPixel: 0.2)
        let blemishes = try #require(try Self.analyse(skin, millimetresPerPixel: nil).blemishes)
        print("blemishes: no scale, truth \(skin.papules.count) → \(blemishes.count ?? -1), ⌀ \(blemishes.meanDiameterPixels ?? -1) px")
        #expect(blemishes.count == skin.papules.count)
        #expect(blemishes.densityPerSquareCentimetre == nil)
        #expect(blemishes.meanDiameterMillimetres == nil)
    }

    @Test("the smallest papule (1 mm) needs 2 working pixels: at 0.6 mm per pixel papules are not measurable, no figures and the scale that would do; at 0.45 they are counted")
    func resolutionGate() throws {
        // The same papules (1.2–4.5 mm) rendered at both scales: at 0.6 mm/px the smallest is 2 px
        // across and a 3-pixel mark is ≥ 1.2 mm, so a count would hold whichever marks the grid shows.
        let coarse = BlemishedSkin(seed: 7, papuleCount: 6, size: 150, millimetresPerPixel: 0.6)
        let gated = try #require(try Self.analyse(coarse, millimetresPerPixel: coarse.millimetresPerPixel).blemishes)
        print("blemishes: at 0.6 mm/px \(gated.status), required \(gated.requiredMillimetresPerPixel ?? -1) mm/px")
        #expect(gated.status == "not_measurable" && !gated.isMeasured)
        #expect(gated.count == nil && gated.areaFraction == nil && gated.meanDiameterPixels == nil && gated.meanContrastDeltaAStar == nil)
        #expect(gated.densityPerSquareCentimetre == nil && gated.meanDiameterMillimetres == nil)
        #expect(gated.requiredMillimetresPerPixel == 0.5)
        let fine = BlemishedSkin(seed: 7, papuleCount: 6, size: 200, millimetresPerPixel: 0.45)
        let counted = try #require(try Self.analyse(fine, millimetresPerPixel: fine.millimetresPerPixel).blemishes)
        print("blemishes: at 0.45 mm/px truth \(fine.papules.count) → \(counted.count ?? -1)")
        #expect(counted.isMeasured && counted.requiredMillimetresPerPixel == 0.5)
        #expect(counted.count == fine.papules.count)
    }

    /// The fixture portrait enlarged `factor` times (bilinear on its sRGB codes): its face at
    /// ≈ 0.4 mm per pixel instead of ≈ 1.2, fine enough for papules; `paint` may change a pixel
    /// of the enlarged photo.
    static func enlargedPortrait(
        _ pixels: [UInt8], factor: Int, arena: PlaintextArena, paint: (_ x: Int, _ y: Int, _ rgb: RGB) -> RGB = { $2 }
    ) throws -> DecodedImage {
        let side = 512
        return try SyntheticImages.make(width: side * factor, height: side * factor, arena: arena) { x, y in
            let u = min(max((Double(x) + 0.5) / Double(factor) - 0.5, 0), Double(side - 1))
            let v = min(max((Double(y) + 0.5) / Double(factor) - 0.5, 0), Double(side - 1))
            let (x0, y0) = (min(Int(u), side - 2), min(Int(v), side - 2))
            let (fx, fy) = (u - Double(x0), v - Double(y0))
            func channel(_ c: Int) -> UInt8 {
                func at(_ px: Int, _ py: Int) -> Double { Double(pixels[(py * side + px) * 3 + c]) }
                let top = at(x0, y0) * (1 - fx) + at(x0 + 1, y0) * fx, bottom = at(x0, y0 + 1) * (1 - fx) + at(x0 + 1, y0 + 1) * fx
                return UInt8((top * (1 - fy) + bottom * fy).rounded())
            }
            return paint(x, y, RGB(channel(0), channel(1), channel(2)))
        }
    }

    @Test("red discs painted on the portrait (enlarged 3×, ≈ 0.4 mm per pixel) are counted in their zones; the lips, nostrils and eyes give none; at its own ≈ 1.2 mm per pixel papules are not measurable")
    func portraitPapules() throws {
        let arena = PlaintextArena()
        defer { _ = arena.wipeAll() }
        let models = try FaceAnalysisTests.models()
        let portrait = try SyntheticImages.decodeFixture("astronaut.png", arena: arena)
        let pixels = portrait.pixels.withUnsafeBytes { Array($0) }
        let own = try FaceAnalyzer.analyze(portrait, models: models, configuration: .init(), arena: arena)
        let ownBlemishes = try #require(own.measures.concerns?.blemishes)
        print("blemishes: portrait as taken \(ownBlemishes.status), required \(ownBlemishes.requiredMillimetresPerPixel ?? -1) mm/px")
        #expect(!ownBlemishes.isMeasured && ownBlemishes.count == nil && ownBlemishes.requiredMillimetresPerPixel == 0.5)
        #expect(own.face.regions.allSatisfy { $0.concerns.blemishes?.isMeasured == false })

        // An enlarged photo is as soft as the original at its own size: the focus check is off.
        let factor = 3, enlarged = SkinAnalysisConfiguration(minLaplacianVariance: 0)
        let before = try FaceAnalyzer.analyze(try Self.enlargedPortrait(pixels, factor: factor, arena: arena), models: models, configuration: enlarged, arena: arena)
        for region in before.face.regions where (region.concerns.blemishes?.count ?? 0) > 0 {
            print("blemishes: portrait \(region.region) \(region.concerns.blemishes?.count ?? -1)")
        }
        let whole = try #require(before.measures.concerns?.blemishes)
        print("blemishes: portrait enlarged \(factor)×, whole face \(whole.count ?? -1), \(before.measures.millimetresPerPixel ?? -1) mm/px")
        #expect(whole.isMeasured)
        #expect(whole.count == before.face.regions.reduce(0) { $0 + ($1.concerns.blemishes?.count ?? 0) })
        // Discs of radius 3.6 px (⌀ ≈ 3.3 mm at the face-width estimate), +14 a*, −3 L*, where
        // PoresAndSpotsTests paints its spots on the portrait as taken (cheeks, chin).
        let discs: [(zone: String, x: Double, y: Double)] = [("right_cheek", 195, 124), ("left_cheek", 253, 128), ("chin", 221, 163)].map {
            ($0.0, $0.1 * Double(factor), $0.2 * Double(factor))
        }
        for disc in discs {
            #expect(before.geometry.zone(at: FaceGeometry.Point(disc.x, disc.y)) == disc.zone, "\(disc.zone)")
        }
        let image = try Self.enlargedPortrait(pixels, factor: factor, arena: arena) { x, y, rgb in
            let cover = discs.map { discCoverage(distance: hypot(Double(x) + 0.5 - $0.x, Double(y) + 0.5 - $0.y), radius: 1.2 * Double(factor)) }.max() ?? 0
            guard cover > 0 else { return rgb }
            let lab = CIELab(sRGBRed: rgb.r, green: rgb.g, blue: rgb.b)
            let (r, g, b) = LabToSRGB.convert(l: lab.l - 3 * cover, a: lab.a + 14 * cover, b: lab.b)
            return RGB(r, g, b)
        }
        let after = try FaceAnalyzer.analyze(image, models: models, configuration: enlarged, arena: arena)
        for disc in discs {
            let old = try #require(before.face.regions.first { $0.region == disc.zone }?.concerns.blemishes?.count)
            let new = try #require(after.face.regions.first { $0.region == disc.zone }?.concerns.blemishes)
            print("blemishes: \(disc.zone) painted → \(old) → \(new.count ?? -1), ⌀ \(new.meanDiameterMillimetres ?? -1) mm, Δa* \(new.meanContrastDeltaAStar ?? -1)")
            #expect(new.count == old + 1, "\(disc.zone)")
        }
        let unchanged = after.face.regions.filter { region in !discs.contains { $0.zone == region.region } }
        for region in unchanged {
            let old = before.face.regions.first { $0.region == region.region }?.concerns.blemishes?.count
            #expect(region.concerns.blemishes?.count == old, "\(region.region)")
        }
    }
}
