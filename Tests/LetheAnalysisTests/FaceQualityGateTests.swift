import Foundation
import LetheAPI
@testable import LetheAnalysis
import LetheImaging
import LetheMemory
import LetheTestSupport
import Testing

/// `kind=face`: exposure and focus are judged on the face box, not on the whole frame (issue 16,
/// step 6 follow-up). Ground truth made from the real portraits: the same face sharp or blurred,
/// on a sharp or blurred, bright or dark backdrop.
@Suite("Face quality gate")
struct FaceQualityGateTests {
    static let portraits = ["astronaut.png", "grace_hopper.jpg", "obama_face.png", "obama.jpg"]
    static let configuration = SkinAnalysisConfiguration()
    /// The fixture portrait (also /work/shared/fixtures/astronaut.png, byte for byte): its face is a
    /// small part of the frame, so the whole frame's figures are the backdrop's — the case the face
    /// gate is for; the test checks that the whole-frame gate got it the wrong way round. The other
    /// portraits' faces fill a large part of their frames, which then read partly as the face.
    static let fixturePortrait = "astronaut.png"

    /// The detector's face box on `image`.
    static func faceBox(_ image: DecodedImage, arena: PlaintextArena) throws -> PixelRect {
        try FaceAnalyzer.locateFace(image, detector: FaceAnalysisTests.detector(), configuration: .init(), arena: arena).box
    }

    /// Source pixels per working pixel for a face box.
    static func workingScale(_ box: PixelRect) -> Double {
        Double(RegionLumaPlane.size(of: box, workingWidth: configuration.faceGateWorkingWidthPixels).scale)
    }

    /// Portrait `name` changed by `change` (given the photo, its face box grown by `growth` of its
    /// width on every side, and the box), with the changed photo's whole-frame figures.
    static func composite(
        _ name: String, growth: Double, arena: PlaintextArena, _ change: (DecodedImage, PixelRect, PixelRect) throws -> DecodedImage
    ) throws -> (photo: DecodedImage, frame: QualityFigures) {
        let image = try SyntheticImages.decodeFixture(name, arena: arena)
        let box = try faceBox(image, arena: arena)
        let photo = try change(image, FaceComposites.grown(box, by: growth, width: image.width, height: image.height), box)
        return (photo, try QualityGate.measureFrame(photo, configuration: configuration, arena: arena).figures)
    }

    /// The result of `kind=face` on `image`: nil when accepted, else the refusal.
    static func refusal(_ image: DecodedImage, arena: PlaintextArena) throws -> LetheError? {
        do {
            _ = try FaceAnalyzer.analyze(image, models: FaceAnalysisTests.models(), configuration: configuration, arena: arena)
            return nil
        } catch let error as LetheError {
            return error
        }
    }

    @Test("calibration: each portrait's face sharp is below the face limit, blurred by σ ≥ 1 working pixel above it, as it is and read at half its width",
          arguments: portraits, [1, 2])
    func calibration(name: String, factor: Int) throws {
        let arena = PlaintextArena()
        defer { _ = arena.wipeAll() }
        let image = try SyntheticImages.decodeFixture(name, arena: arena)
        let box = try Self.faceBox(image, arena: arena)
        let frame = try QualityGate.measureFrame(image, configuration: Self.configuration, arena: arena).figures
        // Factor 1: the working width as configured (the portraits' boxes, 103–303 px, are all read
        // as they are); factor 2: the box read at half its width, as a face twice as large would be.
        let workingWidth = factor == 1 ? Self.configuration.faceGateWorkingWidthPixels : box.width / 2
        let scale = Double(RegionLumaPlane.size(of: box, workingWidth: workingWidth).scale)
        #expect(scale == Double(factor))
        func figures(_ photo: DecodedImage) throws -> QualityFigures {
            try QualityGate.measureRegion(photo, region: box, workingWidth: workingWidth, arena: arena)
        }
        let sharp = try figures(image)
        let limit = Self.configuration.maxFaceBlurIndex
        // The grey-world ratio of the face box alone (brightest over darkest channel mean), to show
        // why the colour cast stays a frame figure.
        var channels = [0.0, 0.0, 0.0]
        image.pixels.withUnsafeBytes { pixels in
            for y in box.y..<(box.y + box.height) {
                for x in box.x..<(box.x + box.width) {
                    for c in 0..<3 { channels[c] += Double(pixels[(y * image.width + x) * 3 + c]) }
                }
            }
        }
        let faceCast = channels.max()! / channels.min()!
        var line = "face gate calibration: \(name) box \(box.width) px, factor \(factor); frame blur index \(frame.blurIndex); face cast ratio \(faceCast); face sharp \(sharp.blurIndex)"
        #expect(sharp.blurIndex <= limit - 0.05, "\(name): sharp face \(sharp.blurIndex)")
        #expect(sharp.laplacianVariance >= 100 * Self.configuration.minLaplacianVariance, "\(name): \(sharp.laplacianVariance)")
        var previous = sharp.blurIndex
        for sigma in [0.5, 1, 2, 3] {
            // σ in working pixels: the face box is blurred by σ × (box width ÷ working width) of its own.
            let blurred = try FaceComposites.blur(image, inside: box, sigma: sigma * scale, arena: arena)
            let read = try figures(blurred)
            line += "; σ \(sigma): \(read.blurIndex) (Laplacian \(read.laplacianVariance))"
            #expect(read.blurIndex > previous, "\(name) σ \(sigma): \(read.blurIndex) after \(previous)")
            // Half a working pixel is what one resampling of a photo softens it by: accepted.
            if sigma == 0.5 { #expect(read.blurIndex <= limit, "\(name) σ \(sigma): \(read.blurIndex)") }
            if sigma >= 1 { #expect(read.blurIndex > limit + 0.02, "\(name) σ \(sigma): \(read.blurIndex)") }
            previous = read.blurIndex
            arena.release(blurred.pixels)
        }
        print(line)
    }

    @Test("the fixture portrait rotated by 10° with bilinear interpolation (one resampling of a 103 px face, read as it is) is accepted")
    func resampledFace() throws {
        let arena = PlaintextArena()
        defer { _ = arena.wipeAll() }
        let image = try FaceZoneTests.rolledPortrait(degrees: 10, arena: arena)
        let (measures, _, _) = try FaceAnalyzer.analyze(image, models: FaceAnalysisTests.models(), configuration: Self.configuration, arena: arena)
        print("face gate: the fixture portrait rotated by 10° (bilinear): face blur index \(measures.quality.blurIndex)")
        #expect(measures.quality.blurIndex > 0.373, "softer than the portrait as it is")
    }

    @Test("a sharp face on a strongly blurred backdrop is accepted (the fixture portrait's whole frame reads blurred)", arguments: portraits)
    func sharpFaceOnBlurredBackdrop(name: String) throws {
        let arena = PlaintextArena()
        defer { _ = arena.wipeAll() }
        let (photo, frame) = try Self.composite(name, growth: 0.25, arena: arena) { image, kept, box in
            let backdrop = try SyntheticImages.gaussianBlur(image, sigma: 4 * Self.workingScale(box), arena: arena)
            return try FaceComposites.paste(FaceComposites.crop(image, kept, arena: arena), into: backdrop, at: (kept.x, kept.y), arena: arena)
        }
        // The whole frame is what the gate judged before: it would have refused this photo.
        if name == Self.fixturePortrait { #expect(frame.blurIndex > Self.configuration.maxBlurIndex, "\(name): frame \(frame.blurIndex)") }
        let (measures, _, _) = try FaceAnalyzer.analyze(photo, models: FaceAnalysisTests.models(), configuration: Self.configuration, arena: arena)
        print("face gate: \(name) sharp face on a blurred backdrop: frame \(frame.blurIndex), face \(measures.quality.blurIndex)")
        #expect(measures.quality.blurIndex <= Self.configuration.maxFaceBlurIndex)
        #expect(measures.quality.blurIndex < frame.blurIndex)
    }

    @Test("the same face blurred by σ = 2 working pixels on the sharp backdrop is image_blurry (the fixture portrait's whole frame reads sharp)",
          arguments: portraits)
    func blurredFaceOnSharpBackdrop(name: String) throws {
        let arena = PlaintextArena()
        defer { _ = arena.wipeAll() }
        let (photo, frame) = try Self.composite(name, growth: 0.1, arena: arena) { image, region, box in
            try FaceComposites.blur(image, inside: region, sigma: 2 * Self.workingScale(box), arena: arena)
        }
        if name == Self.fixturePortrait { #expect(frame.blurIndex <= Self.configuration.maxBlurIndex, "\(name): frame \(frame.blurIndex)") }
        let error = try Self.refusal(photo, arena: arena)
        print("face gate: \(name) blurred face on a sharp backdrop: frame \(frame.blurIndex), \(String(describing: error))")
        #expect(error?.code.rawValue == "image_blurry", "\(name): \(String(describing: error))")
        #expect(error?.message.contains("blur index") == true, "\(name): \(String(describing: error))")
    }

    @Test("a well exposed face on a near-white or near-black backdrop is accepted (the fixture portrait's whole frame is too bright or too dark)",
          arguments: portraits, [(RGB(245, 245, 245), "lighting_too_bright"), (RGB(8, 8, 8), "lighting_too_dark")])
    func faceOnPlainBackdrop(name: String, backdrop: (colour: RGB, frameCode: String)) throws {
        let arena = PlaintextArena()
        defer { _ = arena.wipeAll() }
        let (photo, frame) = try Self.composite(name, growth: 0.3, arena: arena) { image, kept, _ in
            try FaceComposites.map(image, region: kept, arena: arena, outside: { _ in backdrop.colour })
        }
        if name == Self.fixturePortrait {
            #expect(throws: analysisError(backdrop.frameCode)) { try frame.checkExposure(Self.configuration) }
        }
        let (measures, _, _) = try FaceAnalyzer.analyze(photo, models: FaceAnalysisTests.models(), configuration: Self.configuration, arena: arena)
        print("face gate: \(name) on \(backdrop.colour): frame luma \(frame.meanLuma), face luma \(measures.quality.meanLuma)")
        #expect((Self.configuration.minMeanLuma...Self.configuration.maxMeanLuma).contains(measures.quality.meanLuma))
    }

    @Test("a dark face on its own backdrop is lighting_too_dark (the whole frame is well exposed)", arguments: portraits)
    func darkFaceOnNormalBackdrop(name: String) throws {
        let arena = PlaintextArena()
        defer { _ = arena.wipeAll() }
        func darker(_ code: UInt8) -> UInt8 { UInt8((Double(code) * 0.22).rounded()) }
        let (photo, frame) = try Self.composite(name, growth: 0.1, arena: arena) { image, region, _ in
            try FaceComposites.map(image, region: region, arena: arena, inside: { RGB(darker($0.r), darker($0.g), darker($0.b)) })
        }
        try frame.checkExposure(Self.configuration)
        let error = try Self.refusal(photo, arena: arena)
        print("face gate: \(name) dark face: frame luma \(frame.meanLuma), \(String(describing: error))")
        #expect(error?.code.rawValue == "lighting_too_dark", "\(name): \(String(describing: error))")
    }

    @Test("the portrait in black and white → image_greyscale (it read ITA° 90°, a skin tone no skin has, and a redness score); in colour it is measured")
    func blackAndWhitePortrait() throws {
        let arena = PlaintextArena()
        defer { _ = arena.wipeAll() }
        let portrait = try SyntheticImages.decodeFixture(Self.fixturePortrait, arena: arena)
        let grey = try SyntheticImages.decodeFixture(Self.fixturePortrait, arena: arena)
        grey.pixels.withUnsafeMutableBytes { Greyscale.convert($0) }
        #expect(try Self.refusal(portrait, arena: arena) == nil)
        let error = try Self.refusal(grey, arena: arena)
        #expect(error?.code.rawValue == "image_greyscale", "\(String(describing: error))")
    }

    @Test("the portrait saved as a JPEG of quality 20 → image_too_compressed (its scores moved up to 11 points); at 50 it is measured")
    func compressedPortrait() throws {
        let arena = PlaintextArena()
        defer { _ = arena.wipeAll() }
        let portrait = try SyntheticImages.decodeFixture(Self.fixturePortrait, arena: arena)
        func saved(quality: Int) throws -> DecodedImage {
            let bytes = try portrait.pixels.withUnsafeBytes { try ImageEncoder.encode($0, width: portrait.width, height: portrait.height, as: .jpeg, quality: quality) }
            return try bytes.withUnsafeBytes { try ImageDecoder.decode($0, limits: DecodeLimits(), arena: arena) }
        }
        #expect(try Self.refusal(try saved(quality: 50), arena: arena) == nil)
        let error = try Self.refusal(try saved(quality: 20), arena: arena)
        #expect(error?.code.rawValue == "image_too_compressed", "\(String(describing: error))")
        #expect(error?.message.contains("quality 20, below 35") == true, "\(String(describing: error))")
    }

    @Test("no face: the frame's exposure and focus refusals come before face_not_found")
    func noFacePrecedence() throws {
        let arena = PlaintextArena()
        defer { _ = arena.wipeAll() }
        // The faceless texture of FaceAnalysisTests.noFace: sharp and well exposed, so face_not_found …
        var random = SeededGenerator(seed: 11)
        let texture = try SyntheticImages.make(width: 400, height: 300, arena: arena) { x, y in
            let n = Int.random(in: -12...12, using: &random)
            return RGB(SyntheticImages.clamp(180 + n + x / 20), SyntheticImages.clamp(140 + n), SyntheticImages.clamp(110 + n + y / 30))
        }
        #expect(try Self.refusal(texture, arena: arena)?.code.rawValue == "face_not_found")
        // … blurred, image_blurry; black, lighting_too_dark; white, lighting_too_bright.
        let blurred = try SyntheticImages.gaussianBlur(texture, sigma: 3, arena: arena)
        #expect(try Self.refusal(blurred, arena: arena)?.code.rawValue == "image_blurry")
        let black = try SyntheticImages.uniform(RGB(6, 6, 6), width: 400, height: 300, arena: arena)
        #expect(try Self.refusal(black, arena: arena)?.code.rawValue == "lighting_too_dark")
        let white = try SyntheticImages.uniform(RGB(255, 255, 255), width: 400, height: 300, arena: arena)
        #expect(try Self.refusal(white, arena: arena)?.code.rawValue == "lighting_too_bright")
    }

    @Test("the face box is box-averaged by a whole factor to the working width: a plane of known cells, and never enlarged")
    func regionPlane() throws {
        let arena = PlaintextArena()
        defer { _ = arena.wipeAll() }
        // Grey levels that differ in every pixel, a region of 80 × 40 at working width 25: factor
        // 3, a plane of 26 × 13 cells; the last 2 columns and the last row only count for exposure.
        func grey(_ x: Int, _ y: Int) -> UInt8 { UInt8((x * 7 + y * 13) % 200 + 20) }
        let image = try SyntheticImages.make(width: 100, height: 50, arena: arena) { x, y in RGB(grey(x, y), grey(x, y), grey(x, y)) }
        let region = PixelRect(x: 10, y: 5, width: 80, height: 40)
        let size = RegionLumaPlane.size(of: region, workingWidth: 25)
        #expect(size.width == 26 && size.height == 13 && size.scale == 3)
        var plane = [Float](repeating: -1, count: size.width * size.height)
        let exposure = image.pixels.withUnsafeBytes { pixels in
            plane.withUnsafeMutableBufferPointer { RegionLumaPlane.fill($0, from: pixels, imageWidth: 100, region: region, workingWidth: 25) }
        }
        for row in 0..<size.height {
            for column in 0..<size.width {
                var sum = 0.0
                for y in 0..<3 { for x in 0..<3 { sum += Double(grey(region.x + 3 * column + x, region.y + 3 * row + y)) } }
                #expect(abs(Double(plane[row * size.width + column]) - sum / 9) < 0.001, "cell \(column), \(row)")
            }
        }
        var all = 0.0
        for y in 0..<region.height { for x in 0..<region.width { all += Double(grey(region.x + x, region.y + y)) } }
        #expect(abs(exposure.meanLuma - all / Double(region.area)) < 0.001 && exposure.clippedHighlightFraction == 0)
        // A region narrower than twice the working width is read as it is.
        let small = RegionLumaPlane.size(of: PixelRect(x: 0, y: 0, width: 49, height: 20), workingWidth: 25)
        #expect(small.width == 49 && small.height == 20 && small.scale == 1)
    }

    @Test("the portrait rolled 20–30° either way, which the upright cascade does not find, is found rolled and refused for its roll (face_roll_out_of_range, not face_not_found)")
    func rolledBeyondTheCascade() throws {
        let arena = PlaintextArena()
        defer { _ = arena.wipeAll() }
        let models = try FaceAnalysisTests.models()
        let baseline = try #require(try FaceZoneTests.portraitGeometry(arena: arena).1.pose)
        for degrees in [20.0, 30, -25, -30] {
            let image = try FaceZoneTests.rolledPortrait(degrees: degrees, arena: arena)
            defer { arena.release(image.pixels) }
            // The frontal cascade alone: no face (what the worker answered until 2026-12-07).
            let upright = try models.faceDetector.detect(in: image, arena: arena)
            var uprightCode: String?
            do { _ = try FaceAnalyzer.locateFace(in: upright, imageWidth: image.width, configuration: .init()) } catch { uprightCode = error.code.rawValue }
            #expect(uprightCode == "face_not_found")
            // Searched rolled: one face, its box about the face centre the portrait turned about.
            let rolled = try #require(try FaceAnalyzer.locateRolledFace(in: image, detector: models.faceDetector, configuration: .init(), arena: arena))
            let (cx, cy) = FaceZoneTests.faceCentre
            let centre = (x: Double(rolled.box.x) + Double(rolled.box.width) / 2, y: Double(rolled.box.y) + Double(rolled.box.height) / 2)
            print("face zones: rolled \(degrees)°: upright search \(upright.count) detections; rolled search box \(rolled.box), centre off the face centre by \(hypot(centre.x - cx, centre.y - cy)) px")
            #expect(hypot(centre.x - cx, centre.y - cy) <= 0.15 * Double(rolled.box.width))
            var refusal: LetheError?
            do { _ = try FaceAnalyzer.analyze(image, models: models, configuration: .init(), arena: arena) } catch { refusal = error }
            let error = try #require(refusal, "expected face_roll_out_of_range")
            #expect(error.code.rawValue == "face_roll_out_of_range", "\(error.code.rawValue): \(error.message)")
            // "the face's roll is 22.3°, …": the roll the turned mesh measured.
            let word = error.message.split(separator: " ").first { $0.hasSuffix("°,") }
            let measured = try #require(word.flatMap { Double(String($0.dropLast(2))) })
            print("face zones: rolled \(degrees)°: \(error.message)")
            // One turned pass from a first mesh that read the roll short: within 2° out here (−30°:
            // 1.4° short), within 0.4° inside the ±15° the zones are drawn for (`FaceLandmarkerTests`).
            #expect(abs(measured) > 15 && abs(measured - baseline.rollDegrees - degrees) <= 2)
        }
    }

    @Test("the portrait turned −25° on a canvas grown to hold it: the upright search's one box, on the backdrop, is blurred and no face to the mesh; the rolled search finds the face (face_roll_out_of_range, not the box's image_blurry)")
    func falsePositiveBesideARolledFace() throws {
        let arena = PlaintextArena()
        defer { _ = arena.wipeAll() }
        let models = try FaceAnalysisTests.models()
        let baseline = try #require(try FaceZoneTests.portraitGeometry(arena: arena).1.pose)
        let image = try FaceZoneTests.rotatedOnCanvas(degrees: -25, arena: arena)
        defer { arena.release(image.pixels) }
        // The upright cascade's one detection: a box the mesh does not take for a face, whose own
        // focus check refuses it (the worker's answer until 2026-12-07).
        let box = try FaceAnalyzer.locateFace(in: try models.faceDetector.detect(in: image, arena: arena), imageWidth: image.width, configuration: .init())
        let presence = try models.faceLandmarker.landmarks(in: image, face: box, arena: arena).presence
        print("face quality: turned −25° on a \(image.width)-px canvas: upright box \(box.box), mesh presence \(presence)")
        #expect(presence < FaceLandmarker.minimumPresence)
        let configuration = SkinAnalysisConfiguration()
        let boxQuality = try QualityGate.measureRegion(image, region: box.box, workingWidth: configuration.faceGateWorkingWidthPixels, arena: arena)
        var boxCode: String?
        do { try boxQuality.checkFocus(configuration, maxBlurIndex: configuration.maxFaceBlurIndex) } catch { boxCode = error.code.rawValue }
        #expect(boxCode == "image_blurry")
        var refusal: LetheError?
        do { _ = try FaceAnalyzer.analyze(image, models: models, configuration: configuration, arena: arena) } catch { refusal = error }
        let error = try #require(refusal, "expected face_roll_out_of_range")
        print("face quality: turned −25° on a canvas: \(error.code.rawValue): \(error.message)")
        #expect(error.code.rawValue == "face_roll_out_of_range", "\(error.code.rawValue): \(error.message)")
        let word = error.message.split(separator: " ").first { $0.hasSuffix("°,") }
        let measured = try #require(word.flatMap { Double(String($0.dropLast(2))) })
        #expect(abs(measured - baseline.rollDegrees + 25) <= 2)
    }

    @Test("the face mesh confirms the detector's box: the portrait's face reads a presence near 1, the same box on its suit below 0.5 (face_not_found alone, no second face beside the face)")
    func meshConfirmsTheFace() throws {
        let arena = PlaintextArena()
        defer { _ = arena.wipeAll() }
        let models = try FaceAnalysisTests.models()
        let image = try SyntheticImages.decodeFixture("astronaut.png", arena: arena)
        let face = try #require(try models.faceDetector.detect(in: image, arena: arena).first)
        let real = try models.faceLandmarker.landmarks(in: image, face: face, arena: arena)
        #expect(real.presence > 0.99)
        try FaceAnalyzer.confirmFace(real)
        // A box of the same size on the suit below the face: what a false positive of the cascade would hand the mesh.
        let suit = FaceDetection(box: PixelRect(x: face.box.x, y: 380, width: face.box.width, height: face.box.height), neighbours: face.neighbours)
        let none = try models.faceLandmarker.landmarks(in: image, face: suit, arena: arena)
        print("face quality: mesh presence on the face \(real.presence), on the suit \(none.presence)")
        #expect(none.presence < FaceLandmarker.minimumPresence)
        var code: String?
        do { try FaceAnalyzer.confirmFace(none) } catch { code = error.code.rawValue }
        #expect(code == "face_not_found")
        // Where the cascade counts two, the mesh decides (two real faces stay two: FaceAnalysisTests.twoFaces).
        let landmarker = models.faceLandmarker
        #expect(try FaceAnalyzer.confirmedFace(among: [suit, face], in: image, landmarker: landmarker, configuration: .init(), arena: arena).face == face)
        var alone: String?
        do { _ = try FaceAnalyzer.confirmedFace(among: [suit], in: image, landmarker: landmarker, configuration: .init(), arena: arena) } catch {
            alone = error.code.rawValue
        }
        #expect(alone == "face_not_found")
    }

    @Test("where the cascade counts two boxes and the mesh confirms one (the portrait turned 5° on a grown canvas), the face is analysed with the mesh that confirmed it: the same points as the mesh of that box evaluated alone")
    func confirmedAmongTwo() throws {
        let arena = PlaintextArena()
        defer { _ = arena.wipeAll() }
        let models = try FaceAnalysisTests.models()
        let image = try FaceZoneTests.rotatedOnCanvas(degrees: 5, arena: arena)
        defer { arena.release(image.pixels) }
        let candidates = FaceAnalyzer.candidateFaces(in: try models.faceDetector.detect(in: image, arena: arena), imageWidth: image.width, configuration: .init())
        #expect(candidates.count == 2)
        let confirmed = try FaceAnalyzer.confirmedFace(among: candidates, in: image, landmarker: models.faceLandmarker, configuration: .init(), arena: arena)
        let alone = try models.faceLandmarker.landmarks(in: image, face: confirmed.face, arena: arena)
        #expect(confirmed.mesh == alone)
        let (_, face, geometry) = try FaceAnalyzer.analyze(image, models: models, configuration: .init(), arena: arena)
        #expect(face.box == confirmed.face.box)
        #expect(geometry == FaceGeometry(landmarks: alone))
    }
}
