import Foundation
import LetheAPI
import LetheAnalysis
import LetheImaging
import LetheMemory
import LetheTestSupport
import Testing

/// The Haar-cascade face detector and `kind=face` on the fixture portrait and images built from it.
@Suite("Face detection and face analysis")
struct FaceAnalysisTests {
    static let modelsDirectory = Repository.root
        .appendingPathComponent("Config/models").path

    /// Where the face of Fixtures/astronaut.png is, read off the photo by eye (brow to chin,
    /// temple to temple is roughly x 170–275, y 60–165).
    static let expectedFace = PixelRect(x: 170, y: 60, width: 105, height: 105)

    static func detector() throws -> FaceDetector { try models().faceDetector }
    static func models() throws -> AnalysisModels { try AnalysisModels.load(directory: modelsDirectory) }

    /// `canvasWidth × canvasHeight` of a flat grey-beige, with the portrait's rows `rows` pasted at each x in `offsets`.
    static func compose(
        canvasWidth: Int, canvasHeight: Int, offsets: [Int], rows: Range<Int> = 0..<512, arena: PlaintextArena
    ) throws -> DecodedImage {
        let portrait = try SyntheticImages.decodeFixture("astronaut.png", arena: arena)
        let buffer = try arena.allocate(count: canvasWidth * canvasHeight * 3, bufferClass: .pixels)
        portrait.pixels.withUnsafeBytes { source in
            buffer.withUnsafeMutableBytes { target in
                for i in 0..<(canvasWidth * canvasHeight) { target[i * 3] = 170; target[i * 3 + 1] = 160; target[i * 3 + 2] = 150 }
                for offset in offsets {
                    for (targetY, y) in rows.enumerated() where targetY < canvasHeight {
                        for x in 0..<512 where offset + x < canvasWidth {
                            for c in 0..<3 { target[(targetY * canvasWidth + offset + x) * 3 + c] = source[(y * 512 + x) * 3 + c] }
                        }
                    }
                }
            }
        }
        arena.release(portrait.pixels)
        return DecodedImage(width: canvasWidth, height: canvasHeight, format: .png, pixels: buffer)
    }

    @Test("the cascade file parses: 25 stages, 2913 stumps, 24×24 window")
    func cascadeParses() throws {
        let cascade = try Self.detector().cascade
        #expect(cascade.stageCount == 25 && cascade.classifierCount == 2913)
        #expect(cascade.windowWidth == 24 && cascade.windowHeight == 24)
    }

    @Test("a malformed model is refused with model_unreadable")
    func malformedModel() {
        #expect(throws: analysisError("model_unreadable")) { try HaarCascade.parse(Data("<opencv_storage></opencv_storage>".utf8)) }
        #expect(throws: analysisError("model_unreadable")) { try HaarCascade.parse(Data("not xml at all <".utf8)) }
    }

    @Test("exactly one face on the fixture portrait, IoU ≥ 0.5 with the stated box")
    func fixtureFace() throws {
        let arena = PlaintextArena()
        let image = try SyntheticImages.decodeFixture("astronaut.png", arena: arena)
        let faces = try Self.detector().detect(in: image, arena: arena)
        print("fixture faces:", faces)
        #expect(faces.count == 1)
        let face = try #require(faces.first)
        let iou = face.box.intersectionOverUnion(Self.expectedFace)
        print("fixture face IoU:", iou)
        #expect(iou >= 0.5, "IoU \(iou) for \(face)")
        #expect(arena.wipeAll().verified)
    }

    @Test("face analysis reports the box and the thirteen mesh zones restricted to skin")
    func faceAnalysis() throws {
        let arena = PlaintextArena()
        let image = try SyntheticImages.decodeFixture("astronaut.png", arena: arena)
        let (measures, face, _) = try FaceAnalyzer.analyze(image, models: try Self.models(), configuration: .init(), arena: arena)
        #expect(face.regions.count == 13)
        #expect(face.regions.allSatisfy { $0.skinPixelCount > 0 && $0.skinPixelCount <= $0.box.width * $0.box.height })
        let forehead = try #require(face.regions.first { $0.region == "forehead" })
        let chin = try #require(face.regions.first { $0.region == "chin" })
        #expect(forehead.box.y < chin.box.y)
        let left = try #require(face.regions.first { $0.region == "left_cheek" })
        let right = try #require(face.regions.first { $0.region == "right_cheek" })
        #expect(left.box.x > right.box.x, "the subject's left cheek is on the image's right")
        #expect(measures.scaleSource == "face_width_estimate")
        #expect(["light", "intermediate", "very_light"].contains(SkinToneCategory(itaDegrees: measures.skinTone.itaDegrees).rawValue))
        #expect(measures.skinTone.calibration == "uncalibrated" && measures.colourCalibration?.status == "uncalibrated")
        #expect((0...100).contains(measures.concerns?.scores.overall ?? -1))
        #expect(arena.wipeAll().verified)
    }

    @Test("a photo without a face gives face_not_found")
    func noFace() throws {
        let arena = PlaintextArena()
        var random = SeededGenerator(seed: 11)
        let image = try SyntheticImages.make(width: 400, height: 300, arena: arena) { x, y in
            let n = Int.random(in: -12...12, using: &random)
            return RGB(SyntheticImages.clamp(180 + n + x / 20), SyntheticImages.clamp(140 + n), SyntheticImages.clamp(110 + n + y / 30))
        }
        #expect(try Self.detector().detect(in: image, arena: arena).isEmpty)
        #expect(throws: analysisError("face_not_found")) {
            try FaceAnalyzer.analyze(image, models: try Self.models(), configuration: .init(minLaplacianVariance: 0), arena: arena)
        }
        #expect(arena.wipeAll().verified)
    }

    @Test("two portraits side by side give multiple_faces")
    func twoFaces() throws {
        let arena = PlaintextArena()
        let image = try Self.compose(canvasWidth: 1024, canvasHeight: 512, offsets: [0, 512], arena: arena)
        #expect(throws: analysisError("multiple_faces")) {
            try FaceAnalyzer.analyze(image, models: try Self.models(), configuration: .init(), arena: arena)
        }
        #expect(arena.wipeAll().verified)
    }

    @Test("a face under the minimum width fraction gives face_too_small")
    func smallFace() throws {
        let arena = PlaintextArena()
        let image = try Self.compose(canvasWidth: 1024, canvasHeight: 512, offsets: [0], arena: arena)
        do {
            _ = try FaceAnalyzer.analyze(image, models: try Self.models(), configuration: .init(), arena: arena)
            Issue.record("expected face_too_small")
        } catch let error as LetheError {
            #expect(error.code.rawValue == "face_too_small")
            #expect(error.message.contains("10") && error.message.contains("15"), "message names the measured and required widths: \(error.message)")
        }
        #expect(arena.wipeAll().verified)
    }

    @Test("a face cut by the border gives face_out_of_bounds")
    func cutFace() throws {
        let arena = PlaintextArena()
        // The portrait cut through the forehead (rows 70…511): the face box (found at y ≈ 3) is
        // pressed against the top border.
        let image = try Self.compose(canvasWidth: 512, canvasHeight: 442, offsets: [0], rows: 70..<512, arena: arena)
        #expect(throws: analysisError("face_out_of_bounds")) {
            try FaceAnalyzer.analyze(image, models: try Self.models(), configuration: .init(), arena: arena)
        }
        #expect(arena.wipeAll().verified)
    }

    @Test("a strong colour cast is refused with colour_cast and the measured ratio")
    func colourCast() throws {
        let arena = PlaintextArena()
        let portrait = try SyntheticImages.decodeFixture("astronaut.png", arena: arena)
        portrait.pixels.withUnsafeMutableBytes { bytes in
            for i in 0..<(512 * 512) { bytes[i * 3 + 2] = bytes[i * 3 + 2] / 4 }
        }
        do {
            _ = try FaceAnalyzer.analyze(portrait, models: try Self.models(), configuration: .init(), arena: arena)
            Issue.record("expected colour_cast")
        } catch let error as LetheError {
            #expect(error.code.rawValue == "colour_cast")
            #expect(error.message.contains("2.5"))
        }
        #expect(arena.wipeAll().verified)
    }
}
