import Foundation
import LetheAPI
@testable import LetheAnalysis
import LetheImaging
import LetheMemory
import LetheTestSupport
import Testing

/// Issue 16.4: measures routed by the light of the photo. One generated skin (`LitSkinScene`)
/// photographed under normal, cross-polarised and UV light, with the marks' truth the test chose.
@Suite("Measures by light: normal, cross-polarised, UV")
struct LightRoutingTests {
    /// 30 mm across 400 px.
    static let millimetresPerPixel = 0.075
    static let seeds: [UInt64] = [11, 23, 37, 41, 59]
    static let gate = SkinAnalysisConfiguration(minLaplacianVariance: 0)

    static func photo(
        _ scene: LitSkinScene, _ light: LitSkinScene.Light, gains: (Double, Double, Double) = (1, 1, 1), arena: PlaintextArena
    ) throws -> DecodedImage {
        let pixels = scene.pixels(under: light, gains: gains)
        let buffer = try arena.allocate(count: pixels.count, bufferClass: .pixels)
        buffer.withUnsafeMutableBytes { $0.copyBytes(from: pixels) }
        return DecodedImage(width: scene.size, height: scene.size, format: .png, pixels: buffer)
    }

    static func analyse(
        _ scene: LitSkinScene, _ light: LitSkinScene.Light, as deviceLight: DeviceProfile.Light, gains: (Double, Double, Double) = (1, 1, 1),
        arena: PlaintextArena
    ) throws -> PhotoAnalysisResult {
        let profile = DeviceProfile(name: "test", millimetresPerPixel: millimetresPerPixel, light: deviceLight, kinds: [.skin])
        return try PhotoAnalysis.run(
            try photo(scene, light, gains: gains, arena: arena), settings: AnalysisSettings(kind: .skin, profile: profile, quality: gate),
            light: deviceLight, arena: arena)
    }

    static func format(_ value: Double) -> String { String(format: "%.4f", value) }

    /// Each seed's scene (three brown, two red, two hidden spots, four glossy patches, twelve
    /// porphyrin dots) with an arena wiped afterwards.
    static func forEachScene(_ body: (UInt64, LitSkinScene, PlaintextArena) throws -> Void) rethrows {
        for seed in seeds {
            let arena = PlaintextArena()
            defer { _ = arena.wipeAll() }
            try body(seed, LitSkinScene(seed: seed, brown: 3, red: 2, hidden: 2, shine: 4, porphyrins: 12), arena)
        }
    }

    @Test("normal light: shine measured near the glossy patches' area; cross-polarised: shine not_measurable with the reason, spots and their pigment counted")
    func shineAndPigmentByLight() throws {
        try Self.forEachScene { seed, scene, arena in
            let normal = try #require(try Self.analyse(scene, .normal, as: .normal, arena: arena).measures?.concerns)
            let cross = try #require(try Self.analyse(scene, .crossPolarised, as: .crossPolarised, arena: arena).measures?.concerns)
            let shine = try #require(normal.shine.specularFraction)
            print("light: seed \(seed) shine truth \(Self.format(scene.shineAreaFraction)) normal \(Self.format(shine)); spots truth \(scene.brownSpots.count)+\(scene.redSpots.count) normal \(normal.spots.count ?? -1) (\(normal.spots.brown?.count ?? -1)/\(normal.spots.red?.count ?? -1)) contrast \(Self.format(normal.spots.meanContrastDeltaLStar ?? -1)) cross \(cross.spots.count ?? -1) (\(cross.spots.brown?.count ?? -1)/\(cross.spots.red?.count ?? -1)) contrast \(Self.format(cross.spots.meanContrastDeltaLStar ?? -1)); melanin s.d. normal \(Self.format(normal.evenness.melaninIndexStandardDeviation)) cross \(Self.format(cross.evenness.melaninIndexStandardDeviation))")
            // Measured: 0.0081–0.0103 against 0.0087–0.0110 (−0.0006 to −0.0007: the gloss's soft rim).
            #expect(abs(shine - scene.shineAreaFraction) <= 0.0015, "seed \(seed)")
            #expect(normal.scores.shine != nil)
            #expect(cross.shine.status == SkinConcerns.Shine.notMeasurable && cross.shine.specularFraction == nil)
            #expect(cross.shine.reason == DeviceProfile.Light.crossPolarisedShineReason && cross.scores.shine == nil)
            #expect(cross.spots.brown?.count == scene.brownSpots.count && cross.spots.red?.count == scene.redSpots.count, "seed \(seed)")
            // Without the surface veil the same pigment is darker against the skin.
            #expect((cross.spots.meanContrastDeltaLStar ?? 0) > (normal.spots.meanContrastDeltaLStar ?? .infinity), "seed \(seed)")
        }
    }

    /// The captures of the share test: as rendered, ⅓ stop darker, a third of a stop brighter, and
    /// warmer and cooler light by the repeatability bench's largest white-balance shift (±4 %).
    static let captures: [(name: String, gains: (Double, Double, Double))] = [
        ("as rendered", (1, 1, 1)), ("−⅓ EV", (0.794, 0.794, 0.794)), ("+⅓ EV", (1.26, 1.26, 1.26)),
        ("warmer", (1.04, 1, 0.96)), ("cooler", (0.96, 1, 1.04)),
    ]

    @Test("normal light: the glossy patches' light above 1.3 × the skin's, as the scene returns it, under every exposure and white balance; the score from it")
    func shineShareByTruth() throws {
        let knee = 1 + SkinMeasureConfiguration().specularShareMargin
        try Self.forEachScene { seed, scene, arena in
            var ratios: [Double] = []
            for capture in Self.captures {
                let concerns = try #require(try Self.analyse(scene, .normal, as: .normal, gains: capture.gains, arena: arena).measures?.concerns)
                let share = try #require(concerns.shine.specularShare)
                let truth = scene.specularShare(knee: knee, gains: capture.gains)
                print("light: seed \(seed) \(capture.name) shine share truth \(Self.format(truth)) measured \(Self.format(share)); specular fraction \(Self.format(concerns.shine.specularFraction ?? -1))")
                ratios.append(share / truth)
                #expect(concerns.scores.shine == ConcernScores.linear(share, clear: 0.01, severe: 0.10))
            }
            // Measured: 0.89–0.93 of the truth (0.0077–0.0143 against 0.0083–0.0154; the +⅓ EV
            // truth is lower, the patches clip). The share reads L* smoothed as for the ridges
            // (σ 1.2 px), which spreads the generated patches' hard rims partly below the knee;
            // whatever the capture, each scene's ratio stays within 0.024.
            #expect(ratios.allSatisfy { (0.85...1.0).contains($0) }, "seed \(seed): \(ratios)")
            #expect((ratios.max() ?? 0) - (ratios.min() ?? 0) <= 0.03, "seed \(seed): \(ratios)")
        }
    }

    @Test("UV light: brown and hidden pigment counted as UV spots, porphyrin dots counted with their area and density per cm²")
    func ultravioletMeasures() throws {
        try Self.forEachScene { seed, scene, arena in
            let result = try Self.analyse(scene, .uv, as: .uv, arena: arena)
            #expect(result.measures == nil)
            let uv = try #require(result.ultraviolet)
            let squareCentimetres = Double(uv.analysedPixelCount) * Self.millimetresPerPixel * Self.millimetresPerPixel / 100
            print("light: seed \(seed) UV spots truth \(scene.brownSpots.count + scene.hiddenSpots.count) area \(Self.format(scene.uvSpotAreaFraction)) → \(uv.uvSpots.count) area \(Self.format(uv.uvSpots.areaFraction)) darkening \(Self.format(uv.uvSpots.meanDarkening ?? -1)); porphyrins truth \(scene.porphyrins.count) area \(Self.format(scene.porphyrinAreaFraction)) → \(uv.porphyrins.count) area \(Self.format(uv.porphyrins.areaFraction)) r \(Self.format(uv.porphyrins.meanRedChromaticity ?? -1)) per cm² \(Self.format(uv.porphyrins.densityPerSquareCentimetre ?? -1)); field \(Self.format(uv.analysedPixelFraction))")
            #expect(uv.uvSpots.count == scene.brownSpots.count + scene.hiddenSpots.count, "seed \(seed)")
            #expect(uv.porphyrins.count == scene.porphyrins.count, "seed \(seed)")
            // Measured: UV spots +0.0007 … +0.0011 over 0.0207–0.0324 (the anti-aliased rim passes the
            // 15 % threshold); porphyrins +0.0000 … +0.0001 over 0.0011–0.0015.
            #expect(abs(uv.uvSpots.areaFraction - scene.uvSpotAreaFraction) <= 0.002, "seed \(seed)")
            #expect(abs(uv.porphyrins.areaFraction - scene.porphyrinAreaFraction) <= 0.0003, "seed \(seed)")
            #expect(uv.analysedPixelFraction > 0.99)
            let density = try #require(uv.porphyrins.densityPerSquareCentimetre)
            #expect(abs(density - Double(uv.porphyrins.count) / squareCentimetres) < 1e-9)
            #expect(abs(density - Double(scene.porphyrins.count) / 9) <= 0.02, "30 × 30 mm = 9 cm²")
        }
    }

    @Test("near the thresholds: dots of red chromaticity 0.47 count and 0.43 do not; UV spots 19 % darker count and 11 % do not")
    func nearThresholds() throws {
        var scene = LitSkinScene(size: 400)
        let base = LitSkinScene(size: 400)
        for (i, r) in [0.47, 0.43, 0.47, 0.43, 0.47, 0.43].enumerated() {
            let x = 60.0 + 55 * Double(i)
            scene.porphyrins.append(.init(x: x, y: 80, radius: 3, strength: base.porphyrinEmission(redChromaticity: r, x: x)))
        }
        for (i, darkening) in [0.19, 0.11, 0.19, 0.11].enumerated() {
            scene.hiddenSpots.append(.init(x: 70 + 85 * Double(i), y: 250, radius: 15, strength: LitSkinScene.melaninDensity(uvDarkening: darkening)))
        }
        let arena = PlaintextArena()
        defer { _ = arena.wipeAll() }
        let uv = try #require(try Self.analyse(scene, .uv, as: .uv, arena: arena).ultraviolet)
        print("light: near thresholds → porphyrins \(uv.porphyrins.count) r \(Self.format(uv.porphyrins.meanRedChromaticity ?? -1)), UV spots \(uv.uvSpots.count) darkening \(Self.format(uv.uvSpots.meanDarkening ?? -1))")
        #expect(uv.porphyrins.count == 3)
        #expect(uv.uvSpots.count == 2)
    }

    @Test("a session of the three lights: shine from the normal photo, pigment from the cross-polarised one, UV measures from the UV one, each named")
    func sessionRoutesByLight() throws {
        let scene = LitSkinScene(seed: 11, brown: 3, red: 2, hidden: 2, shine: 4, porphyrins: 12)
        let arena = PlaintextArena()
        defer { _ = arena.wipeAll() }
        let normal = try Self.analyse(scene, .normal, as: .normal, arena: arena)
        let cross = try Self.analyse(scene, .crossPolarised, as: .crossPolarised, arena: arena)
        let uv = try Self.analyse(scene, .uv, as: .uv, arena: arena)
        let session = SessionCombination.combine([
            SessionPhoto(name: "standard", light: .normal, measures: normal.measures),
            SessionPhoto(name: "cross", light: .crossPolarised, measures: cross.measures),
            SessionPhoto(name: "uv", light: .uv, measures: nil, ultraviolet: uv.ultraviolet),
        ])
        let concerns = try #require(session.measures?.concerns)
        #expect(concerns.shine == normal.measures?.concerns?.shine)
        #expect(concerns.spots == cross.measures?.concerns?.spots)
        #expect(concerns.evenness == cross.measures?.concerns?.evenness)
        #expect(session.measures?.skinTone == cross.measures?.skinTone)
        #expect(session.ultraviolet == uv.ultraviolet)
        #expect(session.sources["shine"] == ["standard"] && session.sources["spots"] == ["cross"] && session.sources["redness"] == ["cross"])
        #expect(session.sources["wrinkles"] == ["standard", "cross"] && session.sources["porphyrins"] == ["uv"])
        #expect(concerns.scores == ConcernScores.scores(for: concerns) && concerns.scores.shine != nil)

        // Two UV photos (here the same one twice): counts add up, fractions and densities stay.
        let ultraviolet = try #require(uv.ultraviolet)
        let twice = try #require(SessionCombination.combine([ultraviolet, ultraviolet]))
        #expect(twice.porphyrins.count == 2 * ultraviolet.porphyrins.count && twice.uvSpots.count == 2 * ultraviolet.uvSpots.count)
        #expect(abs(twice.porphyrins.areaFraction - ultraviolet.porphyrins.areaFraction) < 1e-12)
        #expect(abs((twice.porphyrins.densityPerSquareCentimetre ?? 0) - (ultraviolet.porphyrins.densityPerSquareCentimetre ?? 1)) < 1e-9)
        #expect(abs((twice.uvSpots.meanDarkening ?? 0) - (ultraviolet.uvSpots.meanDarkening ?? 1)) < 1e-9)
        #expect(twice.analysedPixelCount == 2 * ultraviolet.analysedPixelCount && abs(twice.analysedPixelFraction - ultraviolet.analysedPixelFraction) < 1e-12)

        // Without a normal photo, shine is not measurable in the combination either.
        let noSurface = SessionCombination.combine([SessionPhoto(name: "cross", light: .crossPolarised, measures: cross.measures)])
        #expect(noSurface.measures?.concerns?.shine.isMeasured == false && noSurface.sources["shine"] == nil)
    }

    @Test("profiles: captures name each part's light; `polarised` reads as cross-polarised; bad capture names stop the load")
    func profileCaptures() throws {
        let json = #"{"name": "booth", "light": "polarised", "kinds": ["skin"], "captures": {"standard": "normal", "cross": "cross_polarised", "uv": "uv", "parallel": "parallel_polarised"}}"#
        let profile = try JSONDecoder().decode(DeviceProfile.self, from: Data(json.utf8))
        #expect(profile.light == .crossPolarised)
        #expect(profile.light(ofPart: nil) == .crossPolarised && profile.light(ofPart: "uv") == .uv && profile.light(ofPart: "front") == nil)
        #expect(profile.light(ofPart: "parallel")?.showsSurfaceReflection == true && DeviceProfile.Light.crossPolarised.showsSurfaceReflection == false)
        #expect(DeviceProfile(name: "plain", light: .uv, kinds: [.skin]).light(ofPart: "anything") == .uv)
        #expect((try? JSONDecoder().decode(DeviceProfile.self, from: Data(#"{"name": "x", "light": "infrared", "kinds": ["skin"]}"#.utf8))) == nil)

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lethe-captures-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try Data(#"{"name": "bad", "light": "normal", "kinds": ["skin"], "captures": {"cross light": "cross_polarised"}}"#.utf8)
            .write(to: directory.appendingPathComponent("bad.json"))
        #expect(throws: LetheError.self) { _ = try DeviceProfile.loadAll(directory: directory.path) }
        do { _ = try DeviceProfile.loadAll(directory: directory.path) } catch { #expect(error.code == .profileUnreadable) }
    }

    @Test("UV photos of kind face or scalp, and simulations of a UV photo, are refused with light_not_supported")
    func uvNeedsSkin() throws {
        let scene = LitSkinScene(seed: 5, brown: 1, red: 0, hidden: 0, shine: 0, porphyrins: 2)
        let arena = PlaintextArena()
        defer { _ = arena.wipeAll() }
        for kind in [AnalysisKind.face, .scalp] {
            let image = try Self.photo(scene, .uv, arena: arena)
            do {
                _ = try PhotoAnalysis.run(image, settings: AnalysisSettings(kind: kind, millimetresPerPixel: 0.075), light: .uv, arena: arena)
                Issue.record("kind \(kind) under UV was analysed")
            } catch {
                #expect(error.code == .lightNotSupported)
            }
        }
        let image = try Self.photo(scene, .uv, arena: arena)
        let settings = AnalysisSettings(kind: .skin, millimetresPerPixel: 0.075, quality: Self.gate)
        let analysis = try PhotoAnalysis.run(image, settings: settings, light: .uv, arena: arena)
        do {
            _ = try SimulationRenderer.render(image, analysis: analysis, request: SimulationRequest(concerns: [.spots]), arena: arena)
            Issue.record("a UV photo was rendered")
        } catch {
            #expect(error.code == .lightNotSupported)
        }
    }

    @Test("a cross-polarised face photo: shine not_measurable on the whole face and in every zone, no oiliness, no shine score; the same photo as normal light keeps them")
    func crossPolarisedFace() throws {
        let arena = PlaintextArena()
        defer { _ = arena.wipeAll() }
        let portrait = try SyntheticImages.decodeFixture("astronaut.png", arena: arena)
        let settings = AnalysisSettings(kind: .face, models: try FaceAnalysisTests.models())
        let normal = try PhotoAnalysis.run(portrait, settings: settings, light: .normal, arena: arena)
        let cross = try PhotoAnalysis.run(portrait, settings: settings, light: .crossPolarised, arena: arena)
        let normalFace = try #require(normal.face), crossFace = try #require(cross.face)
        #expect(normal.measures?.concerns?.shine.isMeasured == true && normal.measures?.concerns?.scores.shine != nil)
        #expect(normalFace.oiliness != nil && normalFace.regions.allSatisfy { $0.concerns.shine.isMeasured })
        let concerns = try #require(cross.measures?.concerns)
        #expect(concerns.shine.reason == DeviceProfile.Light.crossPolarisedShineReason && concerns.scores.shine == nil)
        #expect(crossFace.oiliness == nil)
        #expect(crossFace.regions.count == normalFace.regions.count)
        for region in crossFace.regions {
            #expect(!region.concerns.shine.isMeasured && region.concerns.scores.shine == nil, "\(region.region)")
        }
        // Everything but shine is the same measurement of the same pixels.
        #expect(concerns.spots == normal.measures?.concerns?.spots && concerns.wrinkles == normal.measures?.concerns?.wrinkles)
    }
}
