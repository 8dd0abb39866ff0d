import Foundation
import LetheTestSupport
import LetheAPI
import LetheAnalysis
import LetheEngine
import LetheImaging
import LetheMemory
import Testing

/// The use case without a socket, a key or a token: photos in a wiped request buffer, the
/// result's JSON out, every pixel buffer released before the engine returns.
@Suite("Analysis engine")
struct AnalysisEngineTests {
    static let repository = Repository.root
    static let portrait = try! Data(contentsOf: repository.appendingPathComponent("Fixtures/astronaut.png"))
    static let models = try! AnalysisModels.load(directory: repository.appendingPathComponent("Config/models").path)

    /// The photos laid end to end in one `.requestBody` buffer, as a decrypted multipart body would
    /// hold them, and the job that names them.
    static func job(
        _ photos: [Data], kind: AnalysisKind = .face, session: Bool = false, simulation: SimulationRequest? = nil, arena: PlaintextArena
    ) throws -> (AnalysisJob, SecureBuffer) {
        var joined = photos.reduce(Data(), +)
        let request = try arena.adopt(&joined, bufferClass: .requestBody)
        var offset = 0
        let parts = photos.enumerated().map { index, photo in
            defer { offset += photo.count }
            return AnalysisJob.Photo(name: "p\(index)", range: offset..<(offset + photo.count))
        }
        let settings = AnalysisSettings(kind: kind, models: kind == .face ? models : nil)
        let job = AnalysisJob(
            requestID: "0123456789abcdef0123456789abcdef", settings: settings, photos: parts, isSession: session,
            simulation: simulation, decodeLimits: DecodeLimits())
        return (job, request)
    }

    /// The fixture portrait (512 × 512) as a JPEG: a face a reduced decode applies to.
    static func portraitJPEG() throws -> Data {
        let arena = PlaintextArena()
        defer { _ = arena.wipeAll() }
        let image = try portrait.withUnsafeBytes { try ImageDecoder.decode($0, limits: DecodeLimits(), arena: arena) }
        return Data(try image.pixels.withUnsafeBytes { try ImageEncoder.encode($0, width: 512, height: 512, as: .jpeg, quality: 95) })
    }

    static func decoded(_ body: SecureBuffer) throws -> AnalysisResponse {
        try body.withUnsafeBytes { try JSONDecoder().decode(AnalysisResponse.self, from: Data($0)) }
    }

    @Test("a face analysed with a second core gives the same result, byte for byte, as on one thread, and holds no core afterwards")
    func sameResultOnTwoCores() throws {
        let cores = CoreLedger(cores: 2)
        func analysed(threads: Int) throws -> Data {
            let arena = PlaintextArena()
            defer { _ = arena.wipeAll() }
            let (job, request) = try Self.job([Self.portrait], arena: arena)
            let deadline = ProcessingDeadline(limits: .init())
            deadline.useCores(cores, threads: threads)
            let body = try AnalysisEngine.run(job, photosIn: request, arena: arena, deadline: deadline)
            // Every plane of the split parts is released too: only the request and the result remain.
            #expect(arena.bytesHeld == request.count + body.count)
            return body.withUnsafeBytes { Data($0) }
        }
        let split = try analysed(threads: 2), serial = try analysed(threads: 1)
        #expect(split == serial)
        #expect(try JSONDecoder().decode(AnalysisResponse.self, from: split).face != nil)
        #expect(cores.held == 0)
    }

    @Test("a face with a preview: the result decodes, the preview is a JPEG of the stated size, and only the request and the result are held afterwards")
    func faceWithPreview() throws {
        let arena = PlaintextArena()
        let (job, request) = try Self.job([Self.portrait], simulation: SimulationRequest(concerns: [.spots, .redness]), arena: arena)
        var stages: [AnalysisEngine.Stage] = []
        let body = try AnalysisEngine.run(job, photosIn: request, arena: arena, deadline: ProcessingDeadline(limits: .init())) { stage, _ in
            stages.append(stage)
        }
        let response = try Self.decoded(body)
        #expect(response.requestID == job.requestID && response.kind == "face")
        #expect(response.face != nil && response.photos == nil)
        let preview = try #require(response.preview)
        #expect(preview.mediaType == "image/jpeg" && preview.data.starts(with: [0xFF, 0xD8, 0xFF]))
        let decodedPreview = try preview.data.withUnsafeBytes { try ImageDecoder.decode($0, limits: DecodeLimits(), arena: arena) }
        #expect(decodedPreview.width == preview.width && decodedPreview.height == preview.height)
        arena.release(decodedPreview.pixels)
        #expect(stages == [.decode, .analyse, .simulate])
        // Pixels, planes and renderings are gone; the request and the result's buffers remain.
        #expect(arena.bytesHeld == request.count + body.count)
        let report = arena.wipeAll()
        #expect(report.verified && (report.bytesByClass["pixels"] ?? 0) >= 3 * response.image.width * response.image.height)
    }

    @Test("a session of two photos: each photo's result and the combined one, no renderings for the second")
    func session() throws {
        let arena = PlaintextArena()
        defer { _ = arena.wipeAll() }
        let (job, request) = try Self.job([Self.portrait, Self.portrait], kind: .skin, session: true, arena: arena)
        let response = try Self.decoded(try AnalysisEngine.run(job, photosIn: request, arena: arena, deadline: ProcessingDeadline(limits: .init())))
        let photos = try #require(response.photos)
        #expect(photos.map(\.name) == ["p0", "p1"])
        #expect(photos[0].measures == photos[1].measures && response.measures != nil && response.preview == nil)
    }

    @Test("a photo that is not an image gets its decoding code, and nothing of it is held")
    func notAnImage() throws {
        let arena = PlaintextArena()
        let (job, request) = try Self.job([Data("not a photo".utf8)], kind: .skin, arena: arena)
        #expect(throws: LetheError.expected("unsupported_media_type", among: LetheError.Code.imagingCodes)) {
            try AnalysisEngine.run(job, photosIn: request, arena: arena, deadline: ProcessingDeadline(limits: .init()))
        }
        #expect(arena.bytesHeld == request.count)
        _ = arena.wipeAll()
    }

    @Test("a deadline that has passed stops the job with processing_deadline_exceeded and releases its pixels")
    func deadline() throws {
        let arena = PlaintextArena()
        let (job, request) = try Self.job([Self.portrait], arena: arena)
        let deadline = ProcessingDeadline(limits: .init())
        deadline.expire()
        #expect(throws: LetheError.expected("processing_deadline_exceeded", among: LetheError.Code.imagingCodes)) {
            try AnalysisEngine.run(job, photosIn: request, arena: arena, deadline: deadline)
        }
        #expect(arena.bytesHeld == request.count)
        _ = arena.wipeAll()
    }

    @Test("without a simulation the full-resolution pixels are wiped inside the analysis, once its working image is cut; with one they live until the rendering, with the labels of what the measures counted")
    func pixelsWipedBeforeTheAnalysisEnds() throws {
        for simulation in [nil, SimulationRequest(concerns: [.spots])] {
            let arena = PlaintextArena()
            let (job, request) = try Self.job([Self.portrait], simulation: simulation, arena: arena)
            var heldWhenAnalysed: Int?
            var pixelBytes = 0
            _ = try AnalysisEngine.run(job, photosIn: request, arena: arena, deadline: ProcessingDeadline(limits: .init())) { stage, _ in
                // Called as the analysis stage ends, before the engine's own release of the pixels.
                if stage == .decode { pixelBytes = arena.bytesHeld - request.count }
                if stage == .analyse { heldWhenAnalysed = arena.bytesHeld }
            }
            #expect(pixelBytes == 512 * 512 * 3)
            // Every plane of the analysis is released by then; the pixels only when nothing renders
            // from them, and then the concern labels (a byte per working pixel of the face crop) are held too.
            let held = try #require(heldWhenAnalysed)
            if simulation == nil {
                #expect(held == request.count)
            } else {
                let labelBytes = held - request.count - pixelBytes
                #expect(labelBytes > 0 && labelBytes < pixelBytes / 3, "\(labelBytes) bytes of labels")
            }
            let report = arena.wipeAll()
            #expect(report.verified && (report.bytesByClass["pixels"] ?? 0) >= pixelBytes)
        }
    }

    @Test("a JPEG face above the overview's short side is decoded reduced and its crop at full resolution, never whole unless a simulation renders it at full size; the measures stay those of the whole decode")
    func reducedDecodeOfALargeFace() throws {
        let jpeg = try Self.portraitJPEG()
        let photoBytes = 512 * 512 * 3
        func analysed(overview: Int, simulation: SimulationRequest? = nil) throws -> (response: AnalysisResponse, pixelBytes: Int) {
            let arena = PlaintextArena()
            var (job, request) = try Self.job([jpeg], simulation: simulation, arena: arena)
            job.settings.face.overviewShortSidePixels = overview
            let response = try Self.decoded(try AnalysisEngine.run(job, photosIn: request, arena: arena, deadline: ProcessingDeadline(limits: .init())))
            let report = arena.wipeAll()
            #expect(report.verified)
            return (response, report.bytesByClass[BufferClass.pixels.rawValue] ?? 0)
        }
        let whole = try analysed(overview: 512), reduced = try analysed(overview: 256)
        #expect(whole.pixelBytes == photoBytes)
        // The overview (256 × 256) and the measured crop: less than the photo.
        #expect(reduced.pixelBytes > 256 * 256 * 3 && reduced.pixelBytes < photoBytes)
        #expect(reduced.response.image.width == 512 && reduced.response.image.height == 512)
        let wholeFace = try #require(whole.response.face), reducedFace = try #require(reduced.response.face)
        // In photo pixels, within the overview's resolution (2 photo pixels) and the detector's scale step.
        #expect(abs(wholeFace.box.x - reducedFace.box.x) <= 6 && 10 * abs(wholeFace.box.width - reducedFace.box.width) <= wholeFace.box.width)
        let wholeTone = try #require(whole.response.measures?.skinTone), reducedTone = try #require(reduced.response.measures?.skinTone)
        #expect(abs(wholeTone.lStar - reducedTone.lStar) < 1 && abs(wholeTone.aStar - reducedTone.aStar) < 1)
        // A simulation renders the whole photo at full resolution: decoded whole for it, after the analysis.
        let rendered = try analysed(overview: 256, simulation: SimulationRequest(concerns: [.spots]))
        #expect(rendered.pixelBytes > photoBytes)
        #expect(rendered.response.simulation?.width == 512 && rendered.response.simulation?.height == 512)
        // Renderings smaller than the photo decode it reduced in the DCT to the least that holds them
        // (at 256 pixels, ½: a quarter of the photo's pixels), never whole.
        var small = SimulationRequest(concerns: [.spots])
        small.output.maxDimension = 256
        let renderedSmall = try analysed(overview: 256, simulation: small)
        #expect(renderedSmall.pixelBytes == reduced.pixelBytes + 256 * 256 * 3)
        #expect(renderedSmall.response.simulation?.width == 256 && renderedSmall.response.simulation?.height == 256)
    }

    @Test("a reduced face with a second core gives the result of one thread byte for byte: decoded whole beside its overview, or, above the pixels decoded beside, its face window decoded beside the mesh", arguments: [true, false])
    func reducedFaceOnTwoCores(wholeBeside: Bool) throws {
        let jpeg = try Self.portraitJPEG()
        let cores = CoreLedger(cores: 2)
        func analysed(threads: Int) throws -> (body: Data, pixelBytes: Int) {
            let arena = PlaintextArena()
            var (job, request) = try Self.job([jpeg], arena: arena)
            job.settings.face.overviewShortSidePixels = 256
            if !wholeBeside { job.decodeLimits.maxPixelsWholeBesideOverview = 0 }
            let deadline = ProcessingDeadline(limits: .init())
            deadline.useCores(cores, threads: threads)
            let body = try AnalysisEngine.run(job, photosIn: request, arena: arena, deadline: deadline)
            #expect(arena.bytesHeld == request.count + body.count)
            let data = body.withUnsafeBytes { Data($0) }
            let report = arena.wipeAll()
            #expect(report.verified)
            return (data, report.bytesByClass[BufferClass.pixels.rawValue] ?? 0)
        }
        let serial = try analysed(threads: 1)
        // The overview (256 × 256), and the whole photo (512 × 512) or a window of it besides the crop.
        let overviewBytes = 256 * 256 * 3, photoBytes = 512 * 512 * 3
        #expect(serial.pixelBytes > overviewBytes && serial.pixelBytes < overviewBytes + photoBytes)
        // The test's own ledger has a free core at every fork: every run should decode beside.
        var decodedBeside = 0
        for _ in 0..<4 {
            let split = try analysed(threads: 2)
            #expect(split.body == serial.body)
            let beside = wholeBeside
                ? split.pixelBytes == overviewBytes + photoBytes
                : split.pixelBytes > serial.pixelBytes && split.pixelBytes < overviewBytes + photoBytes
            if beside { decodedBeside += 1 }
        }
        #expect(decodedBeside > 0, wholeBeside ? "no run decoded the photo whole beside the overview" : "no run decoded the face window beside the mesh")
        #expect(try JSONDecoder().decode(AnalysisResponse.self, from: serial.body).face != nil)
        #expect(cores.held == 0)
    }
}
