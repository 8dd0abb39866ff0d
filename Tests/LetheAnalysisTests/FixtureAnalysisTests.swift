import Foundation
import LetheAnalysis
import LetheImaging
import LetheMemory
import Testing

/// The astronaut portrait (NASA, public domain) as a real-photo sanity check of the thresholds.
@Suite("Astronaut fixture")
struct FixtureAnalysisTests {
    @Test("the portrait passes the gate with plausible skin values")
    func portraitPasses() throws {
        let arena = PlaintextArena()
        let image = try SyntheticImages.decodeFixture("astronaut.png", arena: arena)
        let result = try SkinAnalyzer.analyze(image, configuration: .init(), arena: arena)
        print("astronaut:", result)
        #expect(result.quality.width == 512 && result.quality.height == 512)
        #expect(result.quality.meanLuma > 60 && result.quality.meanLuma < 160)
        // Comfortably inside the focus limits (blur index ≤ 0.42, Laplacian variance ≥ 2).
        #expect(result.quality.laplacianVariance > 300)
        #expect(result.quality.blurIndex < 0.4)
        #expect(result.skinPixelFraction > 0.05 && result.skinPixelFraction < 0.6)
        // A light-skinned subject under studio light: ITA° in the light / intermediate band.
        #expect(result.skinTone.itaDegrees > 20 && result.skinTone.itaDegrees < 55, "ITA \(result.skinTone.itaDegrees)")
        #expect(["light", "intermediate"].contains(SkinToneCategory(itaDegrees: result.skinTone.itaDegrees).rawValue))
        // No device profile: uncalibrated, so an ITA° interval, and a category only when it falls in one.
        let tone = result.skinTone, range = try #require(tone.uncertainty)
        #expect(tone.calibration == "uncalibrated" && range.itaDegreesLow < tone.itaDegrees && tone.itaDegrees < range.itaDegreesHigh)
        #expect(tone.category != nil || (tone.spannedCategories ?? []).contains(SkinToneCategory(itaDegrees: tone.itaDegrees).rawValue))
        #expect(result.skinTone.lStar > 50 && result.skinTone.lStar < 80)
        #expect(result.skinTone.aStar > 5 && result.skinTone.aStar < 30)
        #expect(result.redness.erythemaIndex > 0)
        let report = arena.wipeAll()
        #expect(report.verified && image.pixels.isWiped)
    }

    @Test("the portrait blurred with a Gaussian of sigma 4 → image_blurry")
    func blurredPortraitFails() throws {
        let arena = PlaintextArena()
        let image = try SyntheticImages.decodeFixture("astronaut.png", arena: arena)
        let blurred = try SyntheticImages.gaussianBlur(image, sigma: 4, arena: arena)
        let error = #expect(throws: LetheError.self) {
            try SkinAnalyzer.analyze(blurred, configuration: .init(), arena: arena)
        }
        print("blurred astronaut:", String(describing: error))
        #expect(error?.code.rawValue == "image_blurry")
        #expect(arena.wipeAll().verified)
    }
}
