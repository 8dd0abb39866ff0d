import Foundation
import LetheAPI
import LetheAnalysis
import LetheImaging
import LetheMemory
import LetheTestSupport
import Testing

/// The face skin mask, zones and pose from the face mesh (issue 16.2), on the fixture portrait
/// with points stated by hand and on the portrait rotated or warped by a known amount.
@Suite("Face zones, skin mask and pose")
struct FaceZoneTests {
    /// Points of Fixtures/astronaut.png stated by hand from a 6× enlargement with a 10-pixel grid
    /// (before the zones were run on it), with the zone each should fall in. Eyes: the irises;
    /// brows: the middle of each brow's hairs; lips: upper and lower lip, the teeth between them.
    static let statedInZone: [(name: String, x: Double, y: Double, zone: String)] = [
        ("forehead skin below the fringe", 222, 84, "forehead"),
        ("between the brows", 225, 94, "glabella"),
        ("image-left cheek", 195, 122, "right_cheek"),
        ("image-right cheek", 252, 127, "left_cheek"),
        ("below the image-left eye", 202, 109, "right_under_eye"),
        ("below the image-right eye", 246, 111, "left_under_eye"),
        ("outside the image-left eye corner", 188, 102, "right_crows_feet"),
        ("nose bridge", 224, 112, "nose"),
        ("chin", 221, 163, "chin"),
    ]
    static let statedNotSkin: [(name: String, x: Double, y: Double)] = [
        ("image-left iris", 202.5, 101), ("image-right iris", 247, 102.75),
        ("image-left brow", 195, 91), ("image-left brow, inner", 203, 90),
        ("image-right brow", 245, 92), ("image-right brow, outer", 253, 93),
        ("upper lip", 225, 141.5), ("upper lip, image left", 213, 142), ("upper lip, image right", 235, 142),
        ("teeth", 222, 146), ("lower lip", 221, 150.5),
    ]

    static func portraitGeometry(arena: PlaintextArena) throws -> (DecodedImage, FaceAnalysisResult, SkinAnalysisResult) {
        let image = try SyntheticImages.decodeFixture("astronaut.png", arena: arena)
        let (measures, face, _) = try FaceAnalyzer.analyze(
            image, models: try FaceAnalysisTests.models(), configuration: .init(), reportLandmarks: true, arena: arena)
        return (image, face, measures)
    }

    static func polygon(_ zone: FaceZone) -> [FaceGeometry.Point] { zone.polygon.map { FaceGeometry.Point($0[0], $0[1]) } }

    @Test("on the portrait, the zones hold the stated points, and the stated eyes, brows and lips are in no zone")
    func zonesHoldStatedPoints() throws {
        let arena = PlaintextArena()
        defer { _ = arena.wipeAll() }
        let (_, face, _) = try Self.portraitGeometry(arena: arena)
        let zones = try #require(face.zones)
        let oval = Self.polygon(try #require(zones.first { $0.kind == "oval" }))
        let excluded = zones.filter { $0.kind == "excluded" }.map(Self.polygon)
        func zone(at x: Double, _ y: Double) -> String? {
            let point = FaceGeometry.Point(x, y)
            guard FaceGeometry.contains(oval, point), !excluded.contains(where: { FaceGeometry.contains($0, point) }) else { return nil }
            // The first zone in priority order that holds the point, as the measures assign pixels.
            return zones.filter { $0.kind == "zone" && FaceGeometry.contains(Self.polygon($0), point) }
                .map(\.name).min { FaceGeometry.zonePriority.firstIndex(of: $0)! < FaceGeometry.zonePriority.firstIndex(of: $1)! }
        }
        for stated in Self.statedInZone {
            #expect(zone(at: stated.x, stated.y) == stated.zone, "\(stated.name) at (\(stated.x), \(stated.y))")
        }
        for stated in Self.statedNotSkin {
            #expect(zone(at: stated.x, stated.y) == nil, "\(stated.name) at (\(stated.x), \(stated.y)) is in \(zone(at: stated.x, stated.y) ?? "-")")
        }
        #expect(face.regions.map(\.region) == FaceGeometry.zoneNames)
        #expect(face.regions.allSatisfy { $0.skinPixelCount > 0 }, "every zone has skin")
        #expect(face.landmarks?.count == 468)
    }

    @Test("on the portrait, no concern mask falls on the stated eyes, brows and lips")
    func masksAvoidEyesBrowsLips() throws {
        let arena = PlaintextArena()
        defer { _ = arena.wipeAll() }
        let image = try SyntheticImages.decodeFixture("astronaut.png", arena: arena)
        let settings = AnalysisSettings(kind: .face, models: try FaceAnalysisTests.models())
        let analysis = try PhotoAnalysis.run(image, settings: settings, labelling: true, arena: arena)
        let request = SimulationRequest(
            concerns: [.spots, .pores, .wrinkles, .redness], output: SimulationOutput(maxDimension: 512, format: .png))
        let rendering = try SimulationRenderer.render(image, analysis: analysis, request: request, arena: arena)
        #expect(rendering.width == 512)
        var marked = 0
        for mask in rendering.masks {
            let decoded = try mask.image.encoded.withUnsafeBytes { try ImageDecoder.decode($0, limits: DecodeLimits(), arena: arena) }
            let pixels = decoded.pixels.withUnsafeBytes { Array($0) }
            // Decoded over white (RGB): a mask pixel is one that is not white.
            func inMask(_ x: Int, _ y: Int) -> Bool { (0..<3).contains { pixels[(y * decoded.width + x) * 3 + $0] != 255 } }
            marked += (0..<(decoded.width * decoded.height)).filter { inMask($0 % decoded.width, $0 / decoded.width) }.count
            for stated in Self.statedNotSkin {
                // The stated pixel and its 8 neighbours (the statement is good to about a pixel).
                for dy in -1...1 {
                    for dx in -1...1 {
                        let x = Int(stated.x) + dx, y = Int(stated.y) + dy
                        #expect(!inMask(x, y), "\(mask.concern) mask on the \(stated.name) at (\(x), \(y))")
                    }
                }
            }
        }
        print("face zones: \(marked) mask pixels on the portrait")
        #expect(marked > 0, "the masks mark something, so the check above can fail")
    }

    /// The portrait resampled (bilinear) through `source(x, y)`: the input position each output pixel shows.
    static func warpedPortrait(
        width: Int = 512, height: Int = 512, blackOutside: Bool = false, arena: PlaintextArena, _ source: @escaping (Double, Double) -> (Double, Double)
    ) throws -> DecodedImage {
        let portrait = try SyntheticImages.decodeFixture("astronaut.png", arena: arena)
        let pixels = portrait.pixels.withUnsafeBytes { Array($0) }
        arena.release(portrait.pixels)
        return try SyntheticImages.make(width: width, height: height, arena: arena) { x, y in
            let (sx, sy) = source(Double(x), Double(y))
            if blackOutside, sx < 0 || sy < 0 || sx > 511 || sy > 511 { return RGB(0, 0, 0) }
            let cx = min(max(sx, 0), 510.999), cy = min(max(sy, 0), 510.999)
            let x0 = Int(cx), y0 = Int(cy), fx = cx - Double(x0), fy = cy - Double(y0)
            func channel(_ c: Int) -> UInt8 {
                func at(_ px: Int, _ py: Int) -> Double { Double(pixels[(py * 512 + px) * 3 + c]) }
                let top = at(x0, y0) * (1 - fx) + at(x0 + 1, y0) * fx, bottom = at(x0, y0 + 1) * (1 - fx) + at(x0 + 1, y0 + 1) * fx
                return UInt8((top * (1 - fy) + bottom * fy).rounded())
            }
            return RGB(channel(0), channel(1), channel(2))
        }
    }

    /// Centre of the portrait's face (between the stated eyes and mouth).
    static let faceCentre = (x: 224.0, y: 120.0)

    /// The portrait with its face turned clockwise by `degrees` about the face centre (bilinear).
    static func rolledPortrait(degrees: Double, arena: PlaintextArena) throws -> DecodedImage {
        let angle = degrees * Double.pi / 180
        let (cx, cy) = faceCentre
        // Output (x, y) shows the input point rotated back by −angle about the face centre.
        return try warpedPortrait(arena: arena) { x, y in
            let dx = x - cx, dy = y - cy
            return (cx + dx * cos(angle) + dy * sin(angle), cy - dx * sin(angle) + dy * cos(angle))
        }
    }

    /// The whole portrait turned clockwise by `degrees` about its centre onto a canvas grown to
    /// hold it, black beyond it (bilinear), as `vips rotate` turns a photo.
    static func rotatedOnCanvas(degrees: Double, arena: PlaintextArena) throws -> DecodedImage {
        let angle = degrees * Double.pi / 180
        let side = Int((512 * (abs(cos(angle)) + abs(sin(angle)))).rounded(.up))
        let centre = Double(side) / 2
        return try warpedPortrait(width: side, height: side, blackOutside: true, arena: arena) { x, y in
            let dx = x - centre, dy = y - centre
            return (256 + dx * cos(angle) + dy * sin(angle), 256 - dx * sin(angle) + dy * cos(angle))
        }
    }

    @Test("on the portrait, the pose is near frontal")
    func portraitPose() throws {
        let arena = PlaintextArena()
        defer { _ = arena.wipeAll() }
        let pose = try #require(try Self.portraitGeometry(arena: arena).1.pose)
        print("face zones: portrait pose yaw \(pose.yawDegrees)° pitch \(pose.pitchDegrees)° roll \(pose.rollDegrees)°")
        #expect(abs(pose.yawDegrees) < 8 && abs(pose.pitchDegrees) < 8 && abs(pose.rollDegrees) < 5)
    }

    @Test("the portrait rotated by 10°: roll measured within 2°, and refused with face_roll_out_of_range above a 5° limit")
    func rolledFace() throws {
        let arena = PlaintextArena()
        defer { _ = arena.wipeAll() }
        let image = try Self.rolledPortrait(degrees: 10, arena: arena)
        let models = try FaceAnalysisTests.models()
        let baseline = try #require(try Self.portraitGeometry(arena: arena).1.pose)
        let (_, face, _) = try FaceAnalyzer.analyze(image, models: models, configuration: .init(), arena: arena)
        let pose = try #require(face.pose)
        print("face zones: rotated by 10°, roll \(pose.rollDegrees)° (portrait \(baseline.rollDegrees)°)")
        #expect(abs(pose.rollDegrees - baseline.rollDegrees - 10) <= 2)
        #expect(throws: analysisError("face_roll_out_of_range")) {
            try FaceAnalyzer.analyze(
                image, models: models, configuration: .init(), face: FaceAnalysisConfiguration(pose: .init(maxRollDegrees: 5)), arena: arena)
        }
    }

    @Test("the portrait warped as a face turned sideways is refused with face_yaw_out_of_range")
    func yawedFace() throws {
        let arena = PlaintextArena()
        defer { _ = arena.wipeAll() }
        let (cx, _) = Self.faceCentre
        // The image-left half of the face compressed, the right stretched, about the nose: the nose
        // tip ends up well left of the eyes' midpoint, as in a head turned to the image left.
        let image = try Self.warpedPortrait(arena: arena) { x, y in
            let dx = x - cx
            return (cx + dx * (dx < 0 ? 1.5 : 0.7), y)
        }
        do {
            _ = try FaceAnalyzer.analyze(image, models: try FaceAnalysisTests.models(), configuration: .init(), arena: arena)
            Issue.record("expected face_yaw_out_of_range")
        } catch let error as LetheError {
            print("face zones: warped face: \(error.code.rawValue): \(error.message)")
            #expect(error.code.rawValue == "face_yaw_out_of_range")
        }
    }
}
