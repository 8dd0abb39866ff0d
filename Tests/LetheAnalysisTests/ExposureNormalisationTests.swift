import Foundation
import LetheAPI
@testable import LetheAnalysis
import LetheImaging
import LetheMemory
import LetheTestSupport
import Testing

/// Face measures read at a normalised exposure (docs/analysis/face.md, step 6): the same face
/// photographed ⅓ stop darker finds the same concerns (the zones' colour differences too), and its
/// colour still reads as the photo shows it.
@Suite("Face exposure normalisation")
struct ExposureNormalisationTests {
    /// The portrait itself has saturated pixels (2 % of its centre at 255), which the colour
    /// measures leave out, while a darker copy hides them (255 × 2^−⅓ is no longer at saturation):
    /// so the colour (L*, red area, redness score) is compared between −⅓ and −⅔ EV, neither with
    /// a pixel at saturation; the marks and the evenness between the photo and −⅓ EV, as before.
    @Test("Grace Hopper's portrait ⅓ stop darker (linear light × 2^−⅓, no clipping): spots, red area, evenness and zone ΔE within noise; L* lower as CIELAB says")
    func darkerPortrait() throws {
        let arena = PlaintextArena()
        defer { _ = arena.wipeAll() }
        let models = try FaceAnalysisTests.models()
        let original = try SyntheticImages.decodeFixture("grace_hopper.jpg", arena: arena)
        let gain = pow(2, -1.0 / 3)
        let darker = try SyntheticImages.exposed(original, stops: -1.0 / 3, arena: arena)
        // A stated 0.25 mm per pixel: at the face-width estimate (≈ 0.7 mm/px) spots are not
        // measurable; the marks' contrast threshold, what this test is about, is the same at any scale.
        func analyze(_ image: DecodedImage) throws -> SkinAnalysisResult {
            try FaceAnalyzer.analyze(image, models: models, configuration: .init(), millimetresPerPixel: 0.25, arena: arena).measures
        }
        let before = try analyze(original)
        let after = try analyze(darker)
        let darkest = try analyze(try SyntheticImages.exposed(original, stops: -2.0 / 3, arena: arena))
        let c = try #require(darkest.concerns)
        let a = try #require(before.concerns), b = try #require(after.concerns)
        print("""
            exposure −⅓ EV: L* \(before.skinTone.lStar) → \(after.skinTone.lStar); spots \(a.spots.areaFraction) → \(b.spots.areaFraction) \
            (score \(a.scores.spots) → \(b.scores.spots)); red area \(a.redAreaFraction) → \(b.redAreaFraction) (score \(a.scores.redness) → \
            \(b.scores.redness)); evenness L* s.d. \(a.evenness.lStarStandardDeviation) → \(b.evenness.lStarStandardDeviation); \
            shine \(a.shine.specularFraction) → \(b.shine.specularFraction)
            """)
        // CIELAB: exposure × k multiplies L* + 16 by k^⅓ (above L* 8).
        let expectedL = (after.skinTone.lStar + 16) * pow(gain, 1.0 / 3) - 16
        #expect(abs(darkest.skinTone.lStar - expectedL) < 0.5, "L* \(darkest.skinTone.lStar), expected \(expectedL)")
        #expect(a.spots.isMeasured && b.spots.isMeasured)
        #expect(abs((b.spots.areaFraction ?? 1) - (a.spots.areaFraction ?? 0)) < 0.002)
        #expect(abs(c.redAreaFraction - b.redAreaFraction) < 0.005)
        #expect(abs(try #require(b.evenness.lStarStandardDeviation) - (try #require(a.evenness.lStarStandardDeviation))) < 0.15)
        #expect(abs((b.scores.spots ?? 100) - (a.scores.spots ?? 0)) <= 2 && abs(c.scores.redness - b.scores.redness) <= 2)
        // The zones' colour differences at the normalised exposure: the same between −⅓ and −⅔ EV,
        // where between the colours as the photo shows them every ΔE would shrink with L* + 16, by 2^−⅑ (−7.4 %).
        let zoneDeltaE = (try #require(b.evenness.zoneDeltaE), try #require(c.evenness.zoneDeltaE))
        print("zone ΔE −⅓ → −⅔ EV: \(zoneDeltaE.0) → \(zoneDeltaE.1); as the photo shows them it would be × \(pow(gain, 1.0 / 3))")
        #expect(abs(zoneDeltaE.1 / zoneDeltaE.0 - 1) < 0.02)
    }
}
