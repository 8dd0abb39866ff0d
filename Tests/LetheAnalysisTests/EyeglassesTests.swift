import Foundation
import LetheAPI
@testable import LetheAnalysis
import LetheImaging
import LetheMemory
import LetheTestSupport
import Testing

/// Eyeglasses found at the bridge of the nose, and the zones behind their lenses left unmeasured
/// (`Eyeglasses`): a bar across the probe and a step, whose contrasts the test knows, then the
/// fixture portraits (Grace Hopper wears glasses, the astronaut and Obama do not).
@Suite("Eyeglasses")
struct EyeglassesTests {
    static let skin = RGB(180, 140, 120), frame = RGB(60, 40, 30)

    static func lStar(_ colour: RGB) -> Double {
        let linear = SRGB.linearTable
        return CIELab.fromLinear(red: linear[Int(colour.r)], green: linear[Int(colour.g)], blue: linear[Int(colour.b)]).l
    }

    /// Eyes at (70, 100) and (130, 100), inner corners at 85 and 115: the probe spans rows 85–115
    /// and columns 94–106 of a 200 × 200 image.
    static let probe = Eyeglasses.probe(
        frame: FaceFrame(rightEye: .init(70, 100), leftEye: .init(130, 100)), innerCorners: (.init(85, 100), .init(115, 100)))

    @Test("a dark bar across the probe reads its contrast with the skin; a step from dark to skin reads none")
    func barAndStep() throws {
        let arena = PlaintextArena()
        defer { _ = arena.wipeAll() }
        // A bridge 10 px tall (a sixth of the inter-ocular distance), from row 95 to 104.
        let bar = try SyntheticImages.make(width: 200, height: 200, arena: arena) { _, y in (95..<105).contains(y) ? Self.frame : Self.skin }
        let contrast = try #require(Eyeglasses.bridgeContrast(bar, probe: Self.probe))
        #expect(abs(contrast - (Self.lStar(Self.skin) - Self.lStar(Self.frame))) < 1e-9, "\(contrast)")
        // The same dark above the eyes' line and skin below it: a fringe's edge, not a bar.
        let step = try SyntheticImages.make(width: 200, height: 200, arena: arena) { _, y in y < 100 ? Self.frame : Self.skin }
        #expect(Eyeglasses.bridgeContrast(step, probe: Self.probe) == 0)
        // A light bar on dark skin counts the same (a silver bridge).
        let light = try SyntheticImages.make(width: 200, height: 200, arena: arena) { _, y in (95..<105).contains(y) ? Self.skin : Self.frame }
        #expect(abs((Eyeglasses.bridgeContrast(light, probe: Self.probe) ?? 0) - contrast) < 1e-9)
        // A probe outside the image reads nothing.
        let small = try SyntheticImages.make(width: 50, height: 50, arena: arena) { _, _ in Self.skin }
        #expect(Eyeglasses.bridgeContrast(small, probe: Self.probe) == nil)
    }

    @Test("the fixture portraits: Grace Hopper's frame is found and her under-eyes are covered by it, no dark circles; the astronaut's and Obama's faces wear none")
    func portraits() throws {
        let arena = PlaintextArena()
        defer { _ = arena.wipeAll() }
        let models = try FaceAnalysisTests.models()
        for (name, wearsGlasses) in [("grace_hopper.jpg", true), ("astronaut.png", false), ("obama_face.png", false), ("obama.jpg", false)] {
            let image = try SyntheticImages.decodeFixture(name, arena: arena)
            let (_, face, geometry) = try FaceAnalyzer.analyze(image, models: models, configuration: .init(), arena: arena)
            let contrast = try #require(Eyeglasses.bridgeContrast(image, probe: geometry.eyeglassesProbe))
            if wearsGlasses {
                // 20.2 L*: her amber frame's bridge; bare skin reads 1.4–3.2 (below).
                #expect(contrast > 15, "\(name): \(contrast)")
                let covered = try #require(face.coveredZones)
                #expect(covered.map(\.region) == Eyeglasses.lensZones)
                #expect(covered.allSatisfy { $0.cause == .eyeglasses && $0.coveredFraction == 1 && $0.skinPixelCount == 0 })
                #expect(face.darkCircles == nil, "the under-eyes are what dark circles compare")
                #expect(face.regions.map(\.region) == FaceGeometry.zoneNames.filter { !Eyeglasses.lensZones.contains($0) })
            } else {
                #expect(contrast < 5, "\(name): \(contrast)")
                #expect(face.coveredZones == nil && face.darkCircles != nil)
            }
        }
    }

    @Test("a dark bridge painted across the astronaut's nose between her eyes is found as eyeglasses")
    func paintedBridge() throws {
        let arena = PlaintextArena()
        defer { _ = arena.wipeAll() }
        let (image, bare, _) = try FaceZoneTests.portraitGeometry(arena: arena)
        #expect(bare.coveredZones == nil)
        let models = try FaceAnalysisTests.models()
        let (_, _, geometry) = try FaceAnalyzer.analyze(image, models: models, configuration: .init(), arena: arena)
        // The probe rows 0.05 d above to 0.03 d below the inner corners, widened across to the
        // lenses: a bridge 5 mm tall.
        let (top, bottom) = (geometry.eyeglassesProbe[20], geometry.eyeglassesProbe[28])
        let across = (top.last! - top.first!) * 0.5
        let bridge = [top.first! - across, top.last! + across, bottom.last! + across, bottom.first! - across]
        let painted = try FaceCoverageTests.painted(image, arena: arena) { x, y in
            FaceGeometry.contains(bridge, FaceGeometry.Point(Double(x) + 0.5, Double(y) + 0.5)) ? Self.frame : nil
        }
        let (_, face, _) = try FaceAnalyzer.analyze(painted, models: models, configuration: .init(), arena: arena)
        #expect(face.coveredZones?.map(\.region) == Eyeglasses.lensZones, "\(face.coveredZones ?? [])")
        #expect(face.coveredZones?.allSatisfy { $0.cause == .eyeglasses } == true)
    }
}
