import LetheAnalysis
import LetheImaging
import LetheMemory

/// Gateway → engine, once at start: what the engine loads before it locks itself down.
public struct EngineSetup: Codable, Sendable {
    public var vips: VipsConfiguration
    /// The trained models' directory (read before lock-down, never after).
    public var modelsDirectory: String
    /// The longest libjpeg pass (the request deadline), see `ProcessingDeadline.setCodecPassLimit`.
    public var codecPassLimit: Duration?
    /// Results cross in `memfd_secret` memory (`--engine-secret-memory`).
    public var secretMemory: Bool
    /// Lock down after warm-up (seccomp, Landlock, no new privileges). Off only for the test of
    /// the lock-down itself.
    public var lockDown: Bool

    public init(vips: VipsConfiguration, modelsDirectory: String, codecPassLimit: Duration?, secretMemory: Bool, lockDown: Bool = true) {
        self.vips = vips
        self.secretMemory = secretMemory
        self.modelsDirectory = modelsDirectory
        self.codecPassLimit = codecPassLimit
        self.lockDown = lockDown
    }
}

/// Engine → gateway, once: the engine is warmed up, locked down and waiting for jobs.
public struct EngineReady: Codable, Sendable {
    /// The lock-down in force, as one line (`EngineSandbox.Status.summary`).
    public var sandbox: String
}

/// Gateway → engine: one request's `AnalysisJob` on the wire. Its photos lie in the memory file
/// that comes with it, at `photos[i].range`; nothing else of the request (headers, token) crosses.
public struct EngineJob: Codable, Sendable {
    public struct Photo: Codable, Sendable {
        public var name: String
        public var start: Int
        public var end: Int
    }

    public var requestID: String
    public var kind: AnalysisKind
    public var profile: DeviceProfile?
    public var millimetresPerPixel: Double?
    public var quality: SkinAnalysisConfiguration
    public var face: FaceAnalysisConfiguration
    public var measures: SkinMeasureConfiguration
    public var scalp: ScalpAnalysisConfiguration
    public var landmarks: Bool
    public var photos: [Photo]
    public var isSession: Bool
    public var simulation: SimulationRequest?
    public var decodeLimits: DecodeLimits
    public var processingLimits: ProcessingDeadline.Limits
    /// Bytes of plaintext the engine may hold for this request (its share of the memory budget).
    public var memoryBudgetBytes: Int
    /// Bytes of the photos' memory file that are photos.
    public var photoBytes: Int

    /// The wire form of `job`, whose photos are laid out one after another from offset 0.
    public init(_ job: AnalysisJob, processingLimits: ProcessingDeadline.Limits, memoryBudgetBytes: Int) {
        requestID = job.requestID
        kind = job.settings.kind
        profile = job.settings.profile
        millimetresPerPixel = job.settings.millimetresPerPixel
        quality = job.settings.quality
        face = job.settings.face
        measures = job.settings.measures
        scalp = job.settings.scalp
        landmarks = job.settings.landmarks
        var offset = 0
        photos = job.photos.map { photo in
            defer { offset += photo.range.count }
            return Photo(name: photo.name, start: offset, end: offset + photo.range.count)
        }
        photoBytes = offset
        isSession = job.isSession
        simulation = job.simulation
        decodeLimits = job.decodeLimits
        self.processingLimits = processingLimits
        self.memoryBudgetBytes = memoryBudgetBytes
    }

    /// The job again, with the engine's own models for a face analysis.
    /// - Throws: `engine_failed` when a photo's range lies outside the file (a broken gateway).
    public func analysisJob(models: AnalysisModels?) throws(LetheError) -> AnalysisJob {
        guard !photos.isEmpty, photoBytes >= 0, photos.allSatisfy({ 0 <= $0.start && $0.start <= $0.end && $0.end <= photoBytes }) else {
            throw .engineFailed("a job's photo ranges do not fit its \(photoBytes) bytes")
        }
        let settings = AnalysisSettings(
            kind: kind, profile: profile, millimetresPerPixel: millimetresPerPixel, quality: quality, face: face, measures: measures,
            scalp: scalp, models: kind == .face ? models : nil, landmarks: landmarks)
        return AnalysisJob(
            requestID: requestID, settings: settings, photos: photos.map { .init(name: $0.name, range: $0.start..<$0.end) },
            isSession: isSession, simulation: simulation, decodeLimits: decodeLimits)
    }
}

/// Engine → gateway: how the job ended. On success the result (JSON) is in the memory file that
/// comes with the frame, `byteCount` bytes; otherwise `error` says why, by its stable code.
public struct EngineResult: Codable, Sendable {
    public struct Failure: Codable, Sendable {
        public var code: String
        public var disposition: String
        public var message: String
        public var retryAfterSeconds: Int?
    }

    public var byteCount: Int?
    public var error: Failure?
    /// Seconds per `AnalysisEngine.Stage`, summed over the photos.
    public var stageSeconds: [String: Double]

    public init(byteCount: Int?, error: LetheError?, stageSeconds: [String: Double]) {
        self.byteCount = byteCount
        self.error = error.map {
            Failure(code: $0.code.rawValue, disposition: $0.code.disposition.rawValue, message: $0.message, retryAfterSeconds: $0.retryAfterSeconds)
        }
        self.stageSeconds = stageSeconds
    }

    /// The engine's error as the gateway raises it (same code, message and retry advice).
    public var failure: LetheError? {
        guard let error else { return nil }
        let disposition = LetheError.Disposition(rawValue: error.disposition) ?? .internal
        return LetheError(.init(error.code, disposition), error.message, retryAfterSeconds: error.retryAfterSeconds)
    }
}

/// Engine → gateway: what the engine wiped for the request, in its own memory (the deletion
/// record counts each process's wipes).
public struct EngineWipe: Codable, Sendable {
    public var report: WipeReport
}
