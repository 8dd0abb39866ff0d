import Foundation
import LetheAPI
import LetheClient
import LetheImaging
import LetheTestSupport
import Testing

/// Issue 16.4 through the encrypted API: a multi-light device (`skin-camera-multi-light`: standard,
/// cross-polarised and UV captures) sends one generated skin under its three lights in one session.
@Suite("Sessions by light end to end")
struct LightSessionTests {
    static let scene = LitSkinScene(seed: 11, brown: 3, red: 2, hidden: 2, shine: 4, porphyrins: 12)

    static func png(_ light: LitSkinScene.Light) throws -> Data {
        let pixels = scene.pixels(under: light)
        return Data(try pixels.withUnsafeBytes { try ImageEncoder.encode($0, width: scene.size, height: scene.size, as: .png) })
    }

    @Test("standard, cross and uv parts: shine from standard, pigment from cross, UV spots and porphyrins from uv, each photo's light reported; one verified record")
    func routesByLight() async throws {
        let photos: [(name: String, photo: Data)] = [("standard", try Self.png(.normal)), ("cross", try Self.png(.crossPolarised)), ("uv", try Self.png(.uv))]
        try await WorkerHarness().run { session in
            var client = session.client
            client.analysisParameters = ["profile": "skin-camera-multi-light"]
            let response = try await client.analyzeSession(photos: photos, kind: "skin")
            let perPhoto = try #require(response.photos)
            #expect(perPhoto.map(\.light) == ["normal", "cross_polarised", "uv"])
            #expect(perPhoto[1].measures?.concerns?.shine.status == "not_measurable" && perPhoto[2].measures == nil)
            let combined = try #require(response.measures?.concerns)
            #expect(combined.shine == perPhoto[0].measures?.concerns?.shine)
            #expect(combined.spots == perPhoto[1].measures?.concerns?.spots)
            #expect(combined.spots.brown?.count == Self.scene.brownSpots.count && combined.spots.red?.count == Self.scene.redSpots.count)
            let shine = try #require(combined.shine.specularFraction)
            #expect(abs(shine - Self.scene.shineAreaFraction) <= 0.0015)
            let uv = try #require(response.ultraviolet)
            #expect(uv.uvSpots.count == Self.scene.brownSpots.count + Self.scene.hiddenSpots.count)
            #expect(uv.porphyrins.count == Self.scene.porphyrins.count)
            #expect(abs((uv.porphyrins.densityPerSquareCentimetre ?? 0) - 12.0 / 9) <= 0.02, "30 mm field: 9 cm²")
            let sources = try #require(response.measureSources)
            #expect(sources["shine"] == ["standard"] && sources["spots"] == ["cross"] && sources["porphyrins"] == ["uv"] && sources["uv_spots"] == ["uv"])
            #expect(sources["wrinkles"] == ["standard", "cross"])
            let entries = try session.ledgerEntries()
            #expect(entries.count == 1 && entries.first?.outcome == "ok" && entries.first?.wipeVerified == true)
            #expect(entries.first?.bytesWiped["pixels"] == 3 * 400 * 400 * 3)
        }
    }

    @Test("a part named after no capture of the profile is refused with unknown_capture; a single photo takes its profile's light (UV: UV measures); both recorded as wiped")
    func refusesUnknownCaptures() async throws {
        let photos: [(name: String, photo: Data)] = [("standard", try Self.png(.normal)), ("infrared", try Self.png(.normal))]
        let uv = try Self.png(.uv)
        try await WorkerHarness().run { session in
            var client = session.client
            client.analysisParameters = ["profile": "skin-camera-multi-light"]
            do {
                _ = try await client.analyzeSession(photos: photos, kind: "skin")
                Issue.record("an unknown capture was analysed")
            } catch let error as LetheClientError {
                #expect(error.code == "unknown_capture" && error.status == 400)
                #expect(error.message.contains("infrared") && error.message.contains("cross, standard, uv"))
            }
            client.analysisParameters = ["profile": "skin-macro-uv"]
            let single = try await client.analyze(photo: uv, kind: "skin")
            #expect(single.light == "uv" && single.measures == nil && single.ultraviolet?.porphyrins.count == Self.scene.porphyrins.count)
            client.analysisParameters = [:]
            let entries = try session.ledgerEntries()
            #expect(entries.map(\.errorCode) == ["unknown_capture", nil])
            #expect(entries.allSatisfy { $0.wipeVerified })
        }
    }
}
