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
            contrastErrors.append(blemishes.meanContrastDeltaAStar - truthContrast)
            let area = Double(skin.size * skin.size) * skin.millimetresPerPixel * skin.millimetresPerPixel / 100
            print("blemishes: seed \(seed) truth \(skin.papules.count) papules, mean ⌀ \(String(format: "%.2f", truthDiameter)) mm, Δa* \(String(format: "%.1f", truthContrast)); measured \(blemishes.count), ⌀ \(String(format: "%.2f", measuredDiameter)) mm, Δa* \(String(format: "%.1f", blemishes.meanContrastDeltaAStar)), \(String(format: "%.2f", blemishes.densityPerSquareCentimetre ?? -1)) per cm² (truth \(String(format: "%.2f", Double(skin.papules.count) / area)))")
            #expect(blemishes.count == skin.papules.count, "seed \(seed)")
            // Measured: diameters +0.05 … +0.08 mm, Δa* −1.5 … −0.8.
            #expect(measuredDiameter - truthDiameter >= -0.05 && measuredDiameter - truthDiameter <= 0.15, "seed \(seed)")
            #expect(blemishes.meanContrastDeltaAStar - truthContrast >= -2.5 && blemishes.meanContrastDeltaAStar - truthContrast <= 0.5, "seed \(seed)")
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
        print("blemishes: distractors only → \(blemishes.count); spots \(concerns.spots.count)")
        #expect(blemishes.count == 0)
        #expect(blemishes.areaFraction == 0)
    }

    @Test("without a scale, papule sizes are read at 0.2 mm per pixel (5–25 px)")
    func withoutScale() throws {
        // At 0.2 mm/px the generator's 1.2–4.5 mm papules are 6–22.5 px across.
        let skin = BlemishedSkin(seed: 7, papuleCount: 6, size: 300, millimetresPerPixel: 0.2)
        let blemishes = try #require(try Self.analyse(skin, millimetresPerPixel: nil).blemishes)
        print("blemishes: no scale, truth \(skin.papules.count) → \(blemishes.count), ⌀ \(blemishes.meanDiameterPixels) px")
        #expect(blemishes.count == skin.papules.count)
        #expect(blemishes.densityPerSquareCentimetre == nil)
        #expect(blemishes.meanDiameterMillimetres == nil)
    }

    @Test("red discs painted on the portrait's cheeks and chin are counted in their zones; the lips, nostrils and eyes give none")
    func portraitPapules() throws {
        let arena = PlaintextArena()
        defer { _ = arena.wipeAll() }
        let (models, pixels, before) = try FaceProductMeasureTests.portrait(arena: arena)
        for region in before.face.regions where (region.concerns.blemishes?.count ?? 0) > 0 {
            print("blemishes: portrait \(region.region) \(region.concerns.blemishes?.count ?? -1)")
        }
        let whole = try #require(before.measures.concerns?.blemishes)
        print("blemishes: portrait whole face \(whole.count)")
        #expect(whole.count == before.face.regions.reduce(0) { $0 + ($1.concerns.blemishes?.count ?? 0) })
        // Discs of radius 1.2 px (⌀ ≈ 3.3 mm at the face-width estimate), +14 a*, −3 L*, where
        // PoresAndSpotsTests paints its spots (cheeks, chin).
        let discs: [(zone: String, x: Double, y: Double)] = [("right_cheek", 195, 124), ("left_cheek", 253, 128), ("chin", 221, 163)]
        for disc in discs {
            #expect(before.geometry.zone(at: FaceGeometry.Point(disc.x, disc.y)) == disc.zone, "\(disc.zone)")
        }
        let image = try SyntheticImages.make(width: 512, height: 512, arena: arena) { x, y in
            let offset = (y * 512 + x) * 3
            let rgb = RGB(pixels[offset], pixels[offset + 1], pixels[offset + 2])
            let cover = discs.map { discCoverage(distance: hypot(Double(x) + 0.5 - $0.x, Double(y) + 0.5 - $0.y), radius: 1.2) }.max() ?? 0
            guard cover > 0 else { return rgb }
            let lab = CIELab(sRGBRed: rgb.r, green: rgb.g, blue: rgb.b)
            let (r, g, b) = LabToSRGB.convert(l: lab.l - 3 * cover, a: lab.a + 14 * cover, b: lab.b)
            return RGB(r, g, b)
        }
        let after = try FaceAnalyzer.analyze(image, models: models, configuration: .init(), arena: arena)
        for disc in discs {
            let old = try #require(before.face.regions.first { $0.region == disc.zone }?.concerns.blemishes)
            let new = try #require(after.face.regions.first { $0.region == disc.zone }?.concerns.blemishes)
            print("blemishes: \(disc.zone) painted → \(old.count) → \(new.count), ⌀ \(new.meanDiameterMillimetres ?? -1) mm, Δa* \(new.meanContrastDeltaAStar)")
            #expect(new.count == old.count + 1, "\(disc.zone)")
        }
        let unchanged = after.face.regions.filter { region in !discs.contains { $0.zone == region.region } }
        for region in unchanged {
            let old = before.face.regions.first { $0.region == region.region }?.concerns.blemishes?.count
            #expect(region.concerns.blemishes?.count == old, "\(region.region)")
        }
    }
}
