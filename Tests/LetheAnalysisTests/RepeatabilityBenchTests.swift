import Foundation
import LetheAnalysis
import LetheImaging
import LetheMemory
import LetheTestSupport
import Testing

/// `lethe bench --repeatability` end to end on the two real portraits: every capture analysed,
/// every reported measure summarised and printed.
@Suite("Repeatability bench")
struct RepeatabilityBenchTests {
    static func photo(_ name: String) throws -> (name: String, photo: [UInt8]) {
        (name, [UInt8](try Data(contentsOf: Repository.fixture(name))))
    }

    @Test("two portraits × 3 re-captures: no refusal, every whole-face and zone measure of a direct analysis is in the report and the table")
    func portraits() throws {
        let models = try AnalysisModels.load(directory: FaceAnalysisTests.modelsDirectory)
        let settings = AnalysisSettings(kind: .face, models: models)
        let bench = RepeatabilityBench(settings: settings, recaptureCount: 3, seed: 5)
        let report = try bench.run(subjects: [try Self.photo("astronaut.png"), try Self.photo("grace_hopper.jpg")])
        #expect(report.refusals.isEmpty, "refused: \(report.refusals)")
        #expect(report.subjects == ["astronaut.png", "grace_hopper.jpg"] && report.recaptures.count == 3)

        // What the analysis reports directly on the portrait, by the same JSON paths.
        let arena = PlaintextArena()
        defer { _ = arena.wipeAll() }
        let direct = try PhotoAnalysis.run(SyntheticImages.decodeFixture("astronaut.png", arena: arena), settings: settings, arena: arena)
        let concerns = try #require(direct.measures?.concerns)
        let zones = try #require(direct.face?.regions.map(\.region))
        let reported = Set(report.measures.map(\.measure))
        for expected in ["skin_tone.ita_degrees", "redness.erythema_index", "concerns.scores.overall", "concerns.scores.redness",
                         "concerns.red_area_fraction", "concerns.shine.specular_fraction",
                         "concerns.evenness.melanin_index_standard_deviation"] {
            #expect(reported.contains(expected), "\(expected) missing")
        }
        // Pores are not measurable at the portrait's resolution: they must not appear as a 0.
        #expect(!concerns.pores.isMeasured && !reported.contains("concerns.scores.pores"))
        // Nor are lines (0.3 mm wide at the finest, the portrait has 1.5 mm per pixel).
        #expect(!concerns.wrinkles.isMeasured && !reported.contains("concerns.scores.wrinkles"))
        #expect(!reported.contains { $0.contains("wrinkles") })
        // Nor are spots (the smallest, 0.5 mm, needs 0.25 mm per pixel).
        #expect(!concerns.spots.isMeasured && !reported.contains { $0.contains("spots") })
        // Nor is the evenness band's spread (its σ 2 mm needs 0.8 mm per pixel): Grace Hopper's alone (0.60 mm/px).
        #expect(!concerns.evenness.isMeasured && concerns.scores.evenness == nil)
        let graceOnly: (String) -> Bool = { $0.hasSuffix("evenness.l_star_standard_deviation") || $0.hasSuffix("scores.evenness") }
        #expect(reported.contains("concerns.scores.evenness") && reported.contains("zones.forehead.concerns.scores.evenness"))
        for zone in zones {
            #expect(reported.contains("zones.\(zone).concerns.scores.overall"), "zone \(zone) missing")
        }
        // Framing figures are left out: they move with a re-capture by design.
        #expect(!reported.contains { $0.contains("box") || $0.contains("quality") || $0.hasSuffix("_pixels") })

        for row in report.measures {
            #expect(row.captured == (graceOnly(row.measure) ? 3 : 6) && row.attempted == 6, "\(row.measure): \(row.captured)/\(row.attempted)")
            #expect(row.mean.isFinite && row.withinSubjectSD >= 0 && row.largestRange >= 0)
            if row.isScore { #expect((0...100).contains(row.mean) && row.largestRange <= 100) }
        }
        let text = report.text
        for row in report.measures where !row.measure.hasPrefix("zones.") {
            #expect(text.contains(row.measure + " "), "\(row.measure) not printed")
        }
        for zone in zones { #expect(text.contains(zone)) }
        let json = try JSONEncoder().encode(report)
        #expect(try JSONDecoder().decode(RepeatabilityReport.self, from: json) == report)
    }

    @Test("a profile's grey card in every capture: in the capture's light, so the calibration takes exposure out of L* and radiance")
    func greyCard() throws {
        let models = try AnalysisModels.load(directory: FaceAnalysisTests.modelsDirectory)
        let profile = try DeviceProfile.load(file: Repository.root.appendingPathComponent("bench/profiles/face-grey-card.json").path)
        let card = try #require(profile.greyReference)
        // Exposure alone (4 draws from −0.31 to +0.29 EV at seed 3), on the portrait whose face does not clip.
        func run(_ settings: AnalysisSettings) throws -> RepeatabilityReport {
            try RepeatabilityBench(settings: settings, recaptureCount: 4, seed: 3, varying: [.exposure]).run(subjects: [try Self.photo("obama_face.png")])
        }
        let plain = try run(AnalysisSettings(kind: .face, models: models))
        let carded = try run(AnalysisSettings(kind: .face, profile: profile, models: models))
        #expect(plain.greyCard == nil && carded.greyCard == card)
        #expect(carded.text.contains("grey card") && !plain.text.contains("grey card"))
        #expect(carded.refusals.isEmpty && plain.refusals.isEmpty, "\(carded.refusals) \(plain.refusals)")
        func range(_ report: RepeatabilityReport, _ measure: String) throws -> Double {
            try #require(report.measures.first { $0.measure == measure }, "\(measure) missing").largestRange
        }
        let exposures = plain.recaptures.map(\.exposureEV)
        #expect((exposures.max() ?? 0) - (exposures.min() ?? 0) > 0.5, "\(exposures)")
        // Without the card, L* follows the exposure (≈ 11 here); with it, a tenth of that remains.
        for measure in ["skin_tone.l_star", "concerns.radiance.luminance"] {
            let (before, after) = (try range(plain, measure), try range(carded, measure))
            #expect(after < 0.25 * before, "\(measure): \(before) → \(after)")
        }
        // Calibrated by the card, the tone carries no capture-model uncertainty.
        #expect(plain.measures.contains { $0.measure.hasPrefix("skin_tone.uncertainty") })
        #expect(!carded.measures.contains { $0.measure.hasPrefix("skin_tone.uncertainty") })
        #expect(!carded.measures.contains { $0.measure.hasPrefix("colour_calibration") })
    }
}
