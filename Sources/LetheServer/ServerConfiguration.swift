import Foundation
import LetheAnalysis
import LetheImaging
import LetheLedger
import LetheMemory

/// Everything `lethe serve` can be told. Defaults are safe and work out of the box.
public struct ServerConfiguration: Sendable {
    /// Address to listen on; loopback unless told otherwise.
    public var host: String = "127.0.0.1"
    /// TCP port; 0 picks a free one (the bound ports are passed to `runUntilSignalled`'s and
    /// `withRunningServer`'s callbacks as `LetheWorker.ListeningPorts`).
    public var port: Int = 8080
    /// Directory of the deletion ledger (the only place the worker writes).
    public var ledgerDirectory: String = "lethe-ledger"
    /// Device tokens file (`device-id token` per line); nil = one demo device with a random token.
    public var tokensFile: String?
    /// OHTTP private key file or directory of key files (a Kubernetes Secret mount); nil = fresh
    /// X25519 and X-Wing keys generated in memory at start.
    public var keyFile: String?
    /// How often the key file or directory is checked for rotated keys (also on SIGHUP).
    public var keyReloadIntervalSeconds: Double = 10
    /// How long a key that disappears from the key file stays accepted (not published). Keys
    /// rotated with `lethe keys rotate` carry their own end in the file.
    public var keyGracePeriodSeconds: Double = 7200
    /// Limits checked before any pixel is decoded.
    public var decodeLimits = DecodeLimits()
    /// Megapixels (declared width × height) the engines may hold decoded at once: a job waits for
    /// room (at most `queueTimeoutSeconds`, then 503 `memory_budget_exceeded`), and a photo larger than the
    /// whole budget is refused with 413 `image_too_large`. Default 64: one photo at the default
    /// `--max-pixels` (50 MP), or a 12 MP photo in each of several engines, at once.
    public var decodeBudgetMegapixels: Int = 64
    /// Quality-gate thresholds.
    public var skinAnalysis = SkinAnalysisConfiguration()
    /// Directory of the trained models (the face cascade), loaded at start.
    public var modelsDirectory: String = "Config/models"
    /// Serve the browser client (`/web/`) on the device port, with a strict CSP. Off by default.
    public var serveWebClient: Bool = false
    /// Directory of the browser client's files, read at start when `serveWebClient` is on.
    public var webClientDirectory: String = "Clients/web"
    /// Origins (exact `scheme://host[:port]`) whose pages may call the gateway (CORS); none by default.
    public var corsOrigins: [String] = []
    /// Directory of the device profiles (`NAME.json`), loaded at start; missing = no profiles.
    public var profilesDirectory: String = "Config/profiles"
    /// Face photos: minimum face size and region checks.
    public var faceAnalysis = FaceAnalysisConfiguration()
    /// Spots, pores, lines, shine and redness-area thresholds.
    public var skinMeasures = SkinMeasureConfiguration()
    /// Scalp (trichoscopy) thresholds.
    public var scalpAnalysis = ScalpAnalysisConfiguration()
    /// Simulations: the largest output dimension a request may ask for.
    public var simulation = SimulationLimits()
    /// Most photos in one multipart session (`too_many_photos` beyond).
    public var maxPhotosPerSession = 3
    /// Transparency log: signing key, origin, publication period, segments, retention.
    public var ledger = LedgerConfiguration()
    /// C2SP witnesses each checkpoint is submitted to before it is published (`--witness`).
    public var witnesses: [WitnessEndpoint] = []
    /// `/readyz` fails while the ledger's volume has less free space than this, so that traffic
    /// moves elsewhere before a full volume makes every request fail with `ledger_unwritable`.
    public var ledgerMinFreeBytes: Int = 256 << 20
    /// libvips start-up settings.
    public var vips = VipsConfiguration()
    /// Operator listener (metrics, probes): loopback by default, separate from the device port.
    public var adminHost: String = "127.0.0.1"
    /// Operator listener port; 0 picks a free one.
    public var adminPort: Int = 9090
    /// When set, `/metrics` on the admin listener requires `Authorization: Bearer <token>`.
    public var adminToken: String?
    /// When true, `/readyz` fails while any protection is not in force (non-dumpable, core limit
    /// 0, every plaintext buffer locked, heap scrubbing, glib slices scrubbed, Landlock): a
    /// deployment that promises them never takes traffic without them. Off for development
    /// machines without Landlock or memlock; on in the deploy files.
    public var requireHardening: Bool = false
    /// Requests processed at once (decryption to wipe); the rest queue. Default: the core count.
    public var maxConcurrentRequests: Int = ProcessInfo.processInfo.activeProcessorCount
    /// Requests allowed to wait for a slot; beyond that the device gets 503 with Retry-After.
    public var maxQueuedRequests: Int = 2 * ProcessInfo.processInfo.activeProcessorCount
    /// Longest wait for a slot before a queued request is refused with 503.
    public var queueTimeoutSeconds: Double = 10
    /// The whole process's memory ceiling in MiB: what the worker uses at start plus a fixed
    /// headroom is set aside, and requests reserve the rest (encrypted bodies, every plaintext
    /// buffer); a request that does not fit is refused with 503 `memory_budget_exceeded`.
    /// nil = no ceiling (only for embedding several workers in one process, e.g. tests).
    public var memoryBudgetMiB: Int? = 2048
    /// Analyses one device may start per minute; beyond that it gets 429 with Retry-After. 0 = no limit.
    public var deviceRequestsPerMinute: Int = 0
    /// Requests a device may send in a burst above its rate; nil = a tenth of a minute's rate (at least 1).
    public var deviceBurst: Int?
    /// Request bodies received at once; each holds an upload slot, not a processing slot, until
    /// it is complete. Beyond that a device gets 503 with Retry-After.
    public var maxConcurrentUploads: Int = 64
    /// Time a request body may take before the bytes it brings extend it (see `minUploadBytesPerSecond`).
    public var uploadTimeoutSeconds: Double = 30
    /// Every this many bytes received extend the body's deadline by one second; a body slower
    /// than that is refused with 408 `upload_too_slow` and its connection closed.
    public var minUploadBytesPerSecond: Int = 64 * 1024
    /// At SIGTERM, the longest a request body still arriving may take to finish (within its own
    /// deadline) before it is answered 503 `worker_draining`. Draining then takes at most this
    /// plus `processingLimits.wallClock`.
    public var drainTimeoutSeconds: Double = 5
    /// A connection that sends nothing for this long (an idle keep-alive connection, or request
    /// headers that never end) is closed.
    public var idleTimeoutSeconds: Double = 30
    /// Wall-clock time and CPU time one request may spend from decryption to the end of its
    /// analysis; libvips and libjpeg stop at it (`processing_deadline_exceeded`).
    public var processingLimits = ProcessingDeadline.Limits()
    /// RFC 9458 §6.5: how far the inner request's `Date` may be from the worker's clock, either
    /// way; encapsulated keys are remembered for as long (`request_stale`, `request_replayed`).
    public var replayWindowSeconds: Double = 60
    /// Most encapsulated keys the replay guard remembers; when all are inside their window new
    /// requests get 503 `replay_cache_full` (see README, "Replayed requests").
    public var replayCacheEntries: Int = 100_000
    /// Engine processes that decode and analyse photos, apart from the keys (README, "Decoders
    /// without keys"). 0 runs them inside the gateway, next to the keys: unsafe, for comparison
    /// only (`bench/run`). Default: the core count.
    public var engineProcesses: Int = ProcessInfo.processInfo.activeProcessorCount
    /// Requests an engine process serves before it is replaced by a fresh one (an engine that
    /// fails is replaced at once).
    public var engineRequests: Int = 100
    /// Threads one request may compute on at once (`RequestThreads`), each on a core no other
    /// request's thread holds; 1 = every request on its own thread alone. Default: the core count.
    public var requestThreads: Int = ProcessInfo.processInfo.activeProcessorCount
    /// The `lethe` executable started as `lethe engine`: the running one. A process that embeds
    /// the worker but is not `lethe` (the tests) points it at the built `lethe`.
    public var engineExecutable: String = "/proc/self/exe"
    /// Photos and results cross to and from engines in `memfd_secret` memory (pages removed from
    /// the kernel's direct map) where the kernel has it, instead of sealed, mlocked memfds.
    /// Off by default: measured here, it made a 12-megapixel request about 0.8 s slower.
    public var engineSecretMemory: Bool = false
    /// Wiped, still-locked pages each process (gateway and every engine) keeps for the next
    /// request's buffers instead of unmapping them (`WipedPagePool`); 0 unmaps every buffer at
    /// release. Bytes above it are unmapped, so an engine that served one 50-megapixel photo does
    /// not keep its 150 MB of pixel pages.
    public var pagePoolBytes: Int = WipedPagePool.defaultCapacityBytes

    public init() {}

    /// Largest encapsulated request read from the socket: the photo limit plus room for the
    /// OHTTP header, BHTTP framing, fields and AEAD tag. Enforced while reading.
    public var maxEnvelopeBytes: Int { decodeLimits.maxBytes + 64 * 1024 }

    /// Memory set aside beyond the worker's start-up footprint for what requests allocate outside
    /// the budget's accounting (libvips' decoder state, HTTP and JSON buffers, thread stacks).
    public static let memoryHeadroomBytes = 64 << 20

    /// The burst in effect: `deviceBurst`, or a tenth of a minute's rate.
    public var effectiveDeviceBurst: Int { deviceBurst ?? max(1, deviceRequestsPerMinute / 10) }
}
