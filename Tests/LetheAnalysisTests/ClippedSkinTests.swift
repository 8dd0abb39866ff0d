import Foundation
import LetheAPI
@testable import LetheAnalysis
import LetheImaging
import LetheMemory
import LetheTestSupport
import Testing

/// How much of a face's skin clipped (`quality.clipped_skin_fraction`) and a device profile's
/// retake limit on it (`max_clipped_skin_fraction`): docs/analysis/repeatability.md, "How much of
/// the face clips".
@Suite("Clipped skin")
struct ClippedSkinTests {
    @Test("the share counts the zone pixels with a channel at saturation, and only those: a quarter of the image clipped, half of it labelled → 0.5")
    func shareOfZonePixels() throws {
        let arena = PlaintextArena()
        defer { _ = arena.wipeAll() }
        // Left half: skin with its red at 255; right half: the same skin unclipped.
        let image = try SyntheticImages.make(width: 40, height: 40, arena: arena) { x, _ in x < 20 ? RGB(255, 150, 120) : RGB(200, 150, 120) }
        var work = try WorkingImage.make(image, crop: PixelRect(width: 40, height: 40), factor: 1, markClipped: true, arena: arena)
        defer { work.release(arena) }
        #expect(work.clippedSkinFraction() == nil, "no zones yet: no face's skin to count")
        // Top half labelled as a zone: 20 × 20 of its 800 pixels clipped; the clipped bottom-left
        // quarter is outside every zone and does not count.
        let labels = try Plane<UInt8>(width: work.width, height: work.height, what: "the zone labels", arena: arena)
        for i in 0..<(20 * 40) { labels.pixels[i] = 1 }
        work.zones = labels
        #expect(work.clippedSkinFraction() == 0.5)
    }

    /// Grace Hopper's portrait, brighter and darker by a third of a stop in linear light (as
    /// `ExposureNormalisationTests`): the red of her lit cheeks and forehead clips first.
    @Test("Grace Hopper's portrait: about a tenth of her skin clips, a third at +⅓ EV, none at −⅓ EV; a profile's limit refuses the brighter as lighting_too_bright and changes nothing below it")
    func portraitExposures() throws {
        let arena = PlaintextArena()
        defer { _ = arena.wipeAll() }
        let models = try FaceAnalysisTests.models()
        let original = try SyntheticImages.decodeFixture("grace_hopper.jpg", arena: arena)
        func exposed(_ stops: Double) throws -> DecodedImage { try SyntheticImages.exposed(original, stops: stops, arena: arena) }
        func analyze(_ image: DecodedImage, profile: DeviceProfile? = nil) throws -> SkinAnalysisResult {
            try FaceAnalyzer.analyze(image, models: models, configuration: .init(), profile: profile, arena: arena).measures
        }
        let photo = try analyze(original)
        let brighter = try exposed(1.0 / 3), darker = try exposed(-1.0 / 3)
        let bright = try #require(try analyze(brighter).quality.clippedSkinFraction)
        let dark = try #require(try analyze(darker).quality.clippedSkinFraction)
        let share = try #require(photo.quality.clippedSkinFraction)
        print("clipped skin: −⅓ EV \(dark), photo \(share), +⅓ EV \(bright)")
        #expect(dark < 0.005 && (0.05...0.15).contains(share) && bright > 0.25)

        let retake = DeviceProfile(name: "retake", kinds: [.face], maxClippedSkinFraction: 0.15)
        #expect(throws: analysisError("lighting_too_bright")) { try analyze(brighter, profile: retake) }
        #expect(try analyze(original, profile: retake) == photo)
    }

    @Test("a profile's max_clipped_skin_fraction is read from its file and must lie in (0, 1]")
    func profileLimit() throws {
        let directory = try DeviceProfileTests.directory(with: [
            "retake": #"{"name": "retake", "light": "normal", "kinds": ["face"], "max_clipped_skin_fraction": 0.1}"#,
            "zero": #"{"name": "zero", "light": "normal", "kinds": ["face"], "max_clipped_skin_fraction": 0}"#,
            "above": #"{"name": "above", "light": "normal", "kinds": ["face"], "max_clipped_skin_fraction": 1.5}"#,
        ])
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = { (name: String) in directory.appendingPathComponent("\(name).json").path }
        #expect(try DeviceProfile.load(file: file("retake")).maxClippedSkinFraction == 0.1)
        #expect(throws: analysisError("profile_unreadable")) { try DeviceProfile.load(file: file("zero")) }
        #expect(throws: analysisError("profile_unreadable")) { try DeviceProfile.load(file: file("above")) }
        #expect(throws: analysisError("profile_unreadable")) { try DeviceProfile.load(file: file("missing")) }
        #expect(throws: analysisError("profile_unreadable")) { try DeviceProfile.loadAll(directory: directory.path) }
    }
}
