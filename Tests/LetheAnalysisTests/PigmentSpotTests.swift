import Foundation
import LetheAPI
@testable import LetheAnalysis
import LetheImaging
import LetheMemory
import LetheTestSupport
import Testing

/// Issue 16.4: brown vs red spots, split by the melanin and erythema indices of the brown and red
/// unevenness, on generated skin whose spots' pigment the test chose (Beer–Lambert densities).
@Suite("Brown and red spots")
struct PigmentSpotTests {
    static let seeds: [UInt64] = (1...6).map { 97 * $0 + 3 }

    @Test("generated skin with brown (melanin 0.12–0.3) and red (haemoglobin 0.2–0.4) spots, 2–6 mm: each kind counted exactly")
    func splitsByPigment() throws {
        for (k, seed) in Self.seeds.enumerated() {
            let skin = PigmentSpottedSkin(seed: seed, brown: 1 + k % 4, red: 1 + (k + 2) % 4)
            let arena = PlaintextArena()
            defer { _ = arena.wipeAll() }
            let image = try skin.render(arena: arena)
            let spots = try #require(try SkinAnalyzer.analyze(
                image, configuration: SkinAnalysisConfiguration(minLaplacianVariance: 0), millimetresPerPixel: 0.1, arena: arena).concerns).spots
            let brown = try #require(spots.brown), red = try #require(spots.red)
            print("pigment spots: seed \(seed) truth brown \(skin.brownCount) red \(skin.redCount) → spots \(spots.count): brown \(brown.count) red \(red.count), area \(String(format: "%.4f", brown.areaFraction)) / \(String(format: "%.4f", red.areaFraction))")
            #expect(spots.count == skin.spots.count, "seed \(seed)")
            #expect(brown.count == skin.brownCount, "seed \(seed)")
            #expect(red.count == skin.redCount, "seed \(seed)")
            #expect(abs(brown.areaFraction + red.areaFraction - (spots.areaFraction ?? -1)) < 1e-9)
            // Area truth: the discs' area over the image.
            let truth = { (pick: (PigmentSpottedSkin.Spot) -> Bool) in
                skin.spots.filter(pick).reduce(0.0) { $0 + .pi * $1.radiusPixels * $1.radiusPixels } / Double(skin.size * skin.size)
            }
            let brownTruth = truth { $0.melanin > 0 }, redTruth = truth { $0.haemoglobin > 0 }
            let brownError = (brown.areaFraction - brownTruth) / brownTruth, redError = (red.areaFraction - redTruth) / redTruth
            print("pigment spots: seed \(seed) area truth brown \(String(format: "%.4f", brownTruth)) (\(String(format: "%+.1f", 100 * brownError)) %) red \(String(format: "%.4f", redTruth)) (\(String(format: "%+.1f", 100 * redError)) %)")
            // Measured: brown +3.9 … +13.3 %, red +0.5 … +5.2 % (the mark threshold takes in the anti-aliased rim).
            #expect(brownError >= -0.05 && brownError <= 0.18, "seed \(seed)")
            #expect(redError >= -0.05 && redError <= 0.10, "seed \(seed)")
        }
    }
}
