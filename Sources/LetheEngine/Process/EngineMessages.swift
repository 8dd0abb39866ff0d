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
    /// Threads one request may compute on (`--request-threads`), on cores of the worker's
    /// `CoreLedger`, whose memory file comes with this message.
    public var requestThreads: Int
    /// The ledger's slots: the worker's cores.
    public var cores: Int
    /// The engine's `WipedPagePool` capacity (`--page-pool-megabytes`).
    public var pagePoolBytes: Int

    public init(
        vips: VipsConfiguration, modelsDirectory: String, codecPassLimit: Duration?, secretMemory: Bool,
        pagePoolBytes: Int = WipedPagePool.defaultCapacityBytes, lockDown: Bool = true,
        requestThreads: Int = 1, cores: Int = 1
    ) {
        self.requestThreads = requestThreads
        self.cores = cores
        self.vips = vips
        self.pagePoolBytes = pagePoolBytes
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

/// Gateway → engine: one request's `AnalysisJob`, its photos at `job.photos[i].range` of the memory
/// file that comes with it; nothing else of the request (headers, token) crosses.
public struct EngineJob: Codable, Sendable {
    /// The job, without models, its photo ranges within the memory file.
    public var job: AnalysisJob
    public var processingLimits: ProcessingDeadline.Limits
    /// Bytes of plaintext the engine may hold for this request (its share of the memory budget).
    public var memoryBudgetBytes: Int
    /// Bytes of the photos' memory file that are photos.
    public var photoBytes: Int

    /// The wire form of `job`, whose photos are laid out one after another from offset 0.
    public init(_ job: AnalysisJob, processingLimits: ProcessingDeadline.Limits, memoryBudgetBytes: Int) {
        var placed = job
        var offset = 0
        placed.photos = job.photos.map { photo in
            defer { offset += photo.range.count }
            return AnalysisJob.Photo(name: photo.name, range: offset..<(offset + photo.range.count), light: photo.light)
        }
        self.job = placed
        self.photoBytes = offset
        self.processingLimits = processingLimits
        self.memoryBudgetBytes = memoryBudgetBytes
    }

    /// The job again, with the engine's own models for a face analysis.
    /// - Throws: `engine_failed` when a photo's range lies outside the file (a broken gateway).
    public func analysisJob(models: AnalysisModels?) throws(LetheError) -> AnalysisJob {
        guard !job.photos.isEmpty, job.photos.allSatisfy({ $0.range.lowerBound >= 0 && $0.range.upperBound <= photoBytes }) else {
            throw .engineFailed("a job's photo ranges do not fit its \(photoBytes) bytes")
        }
        var local = job
        local.settings.models = job.settings.kind == .face ? models : nil
        return local
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
    /// libjpeg passes the job's deadline stopped (`ProcessingDeadline.codecPassesAborted`).
    public var codecPassesAborted: Int

    public init(byteCount: Int?, error: LetheError?, stageSeconds: [String: Double], codecPassesAborted: Int) {
        self.codecPassesAborted = codecPassesAborted
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
