import Foundation
import LetheAPI
@testable import LetheAnalysis
import LetheImaging
import LetheMemory
import LetheTestSupport
import Testing

/// Issue 16 step 7: spots are measured only where the pixels resolve the smallest spot looked for
/// (a mark just larger than a 0.5 mm pore, ≥ 2 working pixels across: ≤ 0.25 mm per working pixel),
/// and where they are measured, their count and area do not depend on the pixel scale.
@Suite("Spots by resolution")
struct SpotResolutionTests {
    @Test("at 0.25 mm/px spots are measured; at 0.26 mm/px they are not_measurable, unscored and out of the overall score; without a scale they are measured in pixels")
    func gate() throws {
        let patch = PoresAndSpotsTests.patch()
        let arena = PlaintextArena()
        defer { _ = arena.wipeAll() }
        let image = try patch.render(seed: 0, arena: arena)
        let edge = try PoresAndSpotsTests.concerns(image, millimetresPerPixel: 0.25, arena: arena)
        #expect(edge.spots.status == "measured" && edge.spots.count != nil && edge.scores.spots != nil)
        #expect(edge.spots.requiredMillimetresPerPixel == 0.25)
        let coarse = try PoresAndSpotsTests.concerns(image, millimetresPerPixel: 0.26, arena: arena)
        #expect(coarse.spots.status == "not_measurable")
        #expect(coarse.spots.count == nil && coarse.spots.areaFraction == nil && coarse.spots.meanContrastDeltaLStar == nil)
        #expect(coarse.spots.brown == nil && coarse.spots.red == nil)
        #expect(coarse.spots.requiredMillimetresPerPixel == 0.25)
        #expect(coarse.scores.spots == nil)
        // The overall score averages the measured ones only (pores and lines are not measurable either).
        let s = coarse.scores
        let scored = [s.redness] + [s.evenness, s.spots, s.pores, s.wrinkles, s.shine].compactMap { $0 }
        #expect(scored.count == 3 && s.overall == Int((Double(scored.reduce(0, +)) / Double(scored.count)).rounded()))
        // On the wire: a status and the requirement, no figures.
        let json = String(decoding: try JSONEncoder().encode(coarse.spots), as: UTF8.self)
        #expect(json.contains("\"not_measurable\"") && json.contains("required_mm_per_pixel") && !json.contains("area_fraction"))
        let scoresJSON = String(decoding: try JSONEncoder().encode(coarse.scores), as: UTF8.self)
        #expect(!scoresJSON.contains("spots"))
        // Without a scale (a close-up defined in pixels) spots are always measured.
        let unscaled = try PoresAndSpotsTests.concerns(image, millimetresPerPixel: nil, arena: arena)
        #expect(unscaled.spots.isMeasured && unscaled.spots.count != nil && unscaled.scores.spots != nil && unscaled.spots.requiredMillimetresPerPixel == nil)
    }

    @Test("the same generated skin photographed at ×0.8, ×1 and ×1.2 (0.1875 … 0.125 mm/px): every spot counted at each scale, the spot areas within 6 % of each other")
    func scaleInvariance() throws {
        // Spots 1–3 mm across at the nominal 0.15 mm/px (radius 3.3–10 px): at ×0.8 the smallest is
        // 5.3 px across, at ×1.2 the largest 24 px.
        for seed in [UInt64(3), 11, 29] {
            let skin = PigmentSpottedSkin(seed: seed, brown: 4, red: 2, size: 360, radiusPixels: 3.3...10)
            let truthArea = skin.spots.reduce(0.0) { $0 + .pi * $1.radiusPixels * $1.radiusPixels } / Double(skin.size * skin.size)
            var counts: [Int] = [], areas: [Double] = []
            for magnification in [0.8, 1.0, 1.2] {
                let arena = PlaintextArena()
                let image = try skin.render(arena: arena, magnification: magnification)
                let spots = try PoresAndSpotsTests.concerns(image, millimetresPerPixel: 0.15 / magnification, arena: arena).spots
                _ = arena.wipeAll()
                counts.append(try #require(spots.count))
                areas.append(try #require(spots.areaFraction))
            }
            print("spot scale: seed \(seed) truth \(skin.spots.count) spots, area \(String(format: "%.4f", truthArea)); ×0.8/×1/×1.2 counts \(counts), areas \(areas.map { String(format: "%.4f", $0) })")
            #expect(counts.allSatisfy { $0 == skin.spots.count }, "seed \(seed): \(counts)")
            // The same skin, the same area whatever the pixels: 1 point of the spots score is 0.001.
            #expect(areas.max()! / areas.min()! - 1 <= 0.06, "seed \(seed): \(areas)")
            // Each mark is its disc plus the pixels its blurred edge lifts over the 5 ΔL* threshold
            // (a rim of under a pixel, so relatively more at ×0.8): above the drawn area, within 25 %.
            for area in areas { #expect(area >= truthArea && area <= 1.25 * truthArea, "seed \(seed): \(areas) against \(truthArea)") }
        }
    }
}
