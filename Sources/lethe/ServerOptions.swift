import ArgumentParser
import Foundation
import LetheAnalysis
import LetheImaging
import LetheServer

/// Worker options shared by `serve` and the embedded worker of `analyze`. Each flag falls back to
/// its `LETHE_*` environment variable, then to the config file (`--config`, `LETHE_CONFIG`),
/// then to the built-in default. The file needs no code per option: its keys are flag names and
/// become the flags' environment variables (`ConfigFile`), so an option only has to read
/// `environment` in `resolved` to work everywhere.
struct ServerOptions: ParsableArguments {
    @Option(help: "Config file of 'flag-name = value' lines (LETHE_CONFIG); flags and LETHE_* variables win over it. Default: none.")
    var config: String?
    @Option(help: "Address to listen on (LETHE_HOST). Default 127.0.0.1.")
    var host: String?
    @Option(help: "Port to listen on (LETHE_PORT). Default 8080.")
    var port: Int?
    @Option(help: "Deletion ledger directory (LETHE_LEDGER_DIR). Default ./lethe-ledger.")
    var ledgerDir: String?
    @Option(help: "Device tokens file, 'device-id token' per line (LETHE_TOKENS_FILE). Default: one demo device with a random token.")
    var tokensFile: String?
    @Option(help: "OHTTP private key file from 'lethe keys generate', or a directory of them such as a Kubernetes Secret mount (LETHE_KEY_FILE). Default: fresh keys in memory.")
    var keyFile: String?
    @Option(help: "Seconds between checks of the key file for rotated keys; SIGHUP checks at once (LETHE_KEY_RELOAD_INTERVAL). Default 10.")
    var keyReloadInterval: Double?
    @Option(help: "Seconds a key removed from the key file stays accepted, unpublished (LETHE_KEY_GRACE_PERIOD). Default 7200.")
    var keyGracePeriod: Double?
    @Option(help: "Largest photo in pixels, checked before decoding (LETHE_MAX_PIXELS). Default 50000000.")
    var maxPixels: Int?

    @Option(help: "Megapixels the engines may hold decoded at once; a photo waits for room, and one larger than this is refused (LETHE_DECODE_BUDGET_MEGAPIXELS). Default 64.")
    var decodeBudgetMegapixels: Int?
    @Option(help: "Largest photo in bytes (LETHE_MAX_BYTES). Default 31457280 (30 MiB).")
    var maxBytes: Int?
    @Option(help: "Directory of the trained models, loaded at start (LETHE_MODELS_DIR). Default Config/models.")
    var modelsDir: String?
    @Option(help: "true: serve the browser client under /web/ on the device port, with a strict CSP (LETHE_SERVE_WEB_CLIENT). Default false.")
    var serveWebClient: Bool?
    @Option(help: "Directory of the browser client's files, read at start (LETHE_WEB_CLIENT_DIR). Default Clients/web.")
    var webClientDir: String?
    @Option(help: "Origin (scheme://host[:port]) whose pages may call the gateway, exact match; repeatable (LETHE_CORS_ORIGIN, comma-separated). Default: none.")
    var corsOrigin: [String] = []
    @Option(help: "Directory of the device profiles, NAME.json each (LETHE_PROFILES_DIR). Default Config/profiles.")
    var profilesDir: String?
    @Option(help: "Smallest face width as a fraction of the photo width for kind=face (LETHE_MIN_FACE_WIDTH_FRACTION). Default 0.15.")
    var minFaceWidthFraction: Double?
    @Option(help: "Ledger signing key (PRIVATE+KEY+… from 'lethe keys ledger --generate') (LETHE_LEDGER_KEY_FILE). Default: LEDGER_DIR/ledger-signing.key, created on first start.")
    var ledgerKeyFile: String?
    @Option(help: "Device pseudonym key: 32 random bytes (e.g. head -c 32 /dev/urandom), read-only, outside the ledger directory (LETHE_PSEUDONYM_KEY_FILE). Default: LEDGER_DIR/pseudonym.key, created on first start.")
    var pseudonymKeyFile: String?
    @Option(help: "Origin (log name) for a newly created ledger key (LETHE_LEDGER_ORIGIN). Default lethe.local/<hostname>-<random>.")
    var ledgerOrigin: String?
    @Option(help: "Publish a batch before its period ends once it holds this many requests; smaller crowds to hide in (LETHE_CHECKPOINT_ENTRIES). Default 0 = only at the end of the period.")
    var checkpointEntries: Int?
    @Option(help: "Publication period in seconds: each period's records are published together, in random order, with its summary and a checkpoint (LETHE_CHECKPOINT_INTERVAL). Default 60.")
    var checkpointInterval: Double?
    @Option(help: "A C2SP witness that cosigns each checkpoint before it is published: NAME+KEYID+KEY=URL, its cosigner key (from 'lethe witness key') and submission prefix; repeat for several (LETHE_WITNESS, space-separated). Default none.")
    var witness: [String] = []
    @Option(help: "Close a ledger segment file at this size in bytes, or at the UTC day change (LETHE_LEDGER_SEGMENT_BYTES). Default 67108864.")
    var ledgerSegmentBytes: Int?
    @Option(help: "Remove ledger segments older than this many days, 0 = never (LETHE_LEDGER_RETENTION_DAYS). Default 183.")
    var ledgerRetentionDays: Int?
    @Option(help: "Readiness fails while the ledger volume has less free space than this many bytes (LETHE_LEDGER_MIN_FREE_BYTES). Default 268435456.")
    var ledgerMinFreeBytes: Int?
    @Option(help: "Operator listener address for /metrics, /healthz, /readyz, /dashboard (LETHE_ADMIN_HOST); 'auto' = 0.0.0.0 when an admin token is set, else 127.0.0.1. Default 127.0.0.1.")
    var adminHost: String?
    @Option(help: "Operator listener port (LETHE_ADMIN_PORT). Default 9090; 0 picks a free one.")
    var adminPort: Int?
    @Option(help: "Bearer token required for /metrics (LETHE_ADMIN_TOKEN). Default: none.")
    var adminToken: String?
    @Option(help: "true: not ready (/readyz 503) while non-dumpable, core limit 0, mlock of every plaintext buffer, heap scrubbing, glib slice scrubbing or Landlock is not in force (LETHE_REQUIRE_HARDENING). Default false; true in the deploy files.")
    var requireHardening: Bool?
    @Option(help: "Requests processed at once (LETHE_MAX_CONCURRENT). Default: the number of cores.")
    var maxConcurrent: Int?
    @Option(help: "Requests allowed to wait for a slot (LETHE_MAX_QUEUED). Default: twice the number of cores.")
    var maxQueued: Int?
    @Option(help: "Longest wait for a slot in seconds (LETHE_QUEUE_TIMEOUT). Default 10.")
    var queueTimeout: Double?
    @Option(help: "Memory ceiling of the whole process in MiB; requests that do not fit get 503 (LETHE_MEMORY_BUDGET_MIB). Default 2048; 0 = none.")
    var memoryBudgetMib: Int?
    @Option(help: "Analyses one device may start per minute, 429 beyond (LETHE_DEVICE_RATE). Default 0 = no limit.")
    var deviceRate: Int?
    @Option(help: "Requests a device may send in a burst above its rate (LETHE_DEVICE_BURST). Default: a tenth of --device-rate, at least 1.")
    var deviceBurst: Int?
    @Option(help: "Largest max_dimension a simulation request may ask for, in pixels (LETHE_MAX_SIMULATION_DIMENSION). Default 2048.")
    var maxSimulationDimension: Int?
    @Option(help: "Request bodies received at once, apart from the processing slots; 503 beyond (LETHE_MAX_UPLOADS). Default 64.")
    var maxUploads: Int?
    @Option(help: "Seconds a request body may take before the bytes it brings extend it (LETHE_UPLOAD_TIMEOUT). Default 30.")
    var uploadTimeout: Double?
    @Option(help: "Bytes per second that extend a body's deadline by a second each; slower bodies get 408 upload_too_slow (LETHE_MIN_UPLOAD_RATE). Default 65536.")
    var minUploadRate: Int?
    @Option(help: "At SIGTERM, seconds a request body still arriving may take to finish before 503 worker_draining (LETHE_DRAIN_TIMEOUT). Default 5.")
    var drainTimeout: Double?
    @Option(help: "Seconds a connection may stay silent (idle keep-alive, or headers that never end) before it is closed (LETHE_IDLE_TIMEOUT). Default 30.")
    var idleTimeout: Double?
    @Option(help: "Wall-clock seconds one request may spend from decryption to the end of its analysis; libvips and libjpeg stop at it (LETHE_REQUEST_DEADLINE). Default 30.")
    var requestDeadline: Double?
    @Option(help: "CPU seconds one request may use for decoding and analysis, 0 = only the wall clock (LETHE_REQUEST_CPU_LIMIT). Default 15.")
    var requestCpuLimit: Double?
    @Option(help: "Seconds the inner request's Date may be from the worker's clock, either way; encapsulated keys are remembered as long (LETHE_REPLAY_WINDOW). Default 60.")
    var replayWindow: Double?
    @Option(help: "Engine processes that decode and analyse photos without the keys; 0 = inside the gateway, UNSAFE, for comparison only (LETHE_ENGINE_PROCESSES). Default: the number of cores.")
    var engineProcesses: Int?
    @Option(help: "Requests an engine process serves before it is replaced; one that fails is replaced at once (LETHE_ENGINE_REQUESTS). Default 100.")
    var engineRequests: Int?
    @Option(help: "Threads one request may compute on at once, each on an idle core; 1 = one thread per request (LETHE_REQUEST_THREADS). Default: the number of cores.")
    var requestThreads: Int?
    @Option(help: "true: photos and results cross to engines in memfd_secret memory (out of the kernel's direct map) where the kernel has it; measured ~0.8 s slower on a 12 MP photo (LETHE_ENGINE_SECRET_MEMORY). Default false: sealed, mlocked memfds.")
    var engineSecretMemory: Bool?
    @Option(help: "Megabytes of wiped, locked pages each process keeps for the next requests' buffers instead of unmapping them; 0 = unmap every buffer at release (LETHE_PAGE_POOL_MEGABYTES). Default 64.")
    var pagePoolMegabytes: Int?
    @Option(help: "Most encapsulated keys remembered for replay detection; when all are inside their window new requests get 503 (LETHE_REPLAY_CACHE_ENTRIES). Default 100000.")
    var replayCacheEntries: Int?

    /// A duration in seconds (for defaults shown as numbers).
    private static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    /// The process environment with the config file's settings beneath it (see `ConfigFile`).
    func environment(process: [String: String] = ProcessInfo.processInfo.environment) throws -> [String: String] {
        guard let path = config ?? process["LETHE_CONFIG"] else { return process }
        let file = try ConfigFile.load(path: path)
        try file.validate(against: Serve.self)
        return file.environment(over: process)
    }

    /// The worker configuration: flags, then `LETHE_*` variables and the config file
    /// (`environment()` unless given), then defaults.
    func resolved(environment given: [String: String]? = nil) throws -> ServerConfiguration {
        let environment = try given ?? self.environment()
        var configuration = ServerConfiguration()
        func integer(_ name: String) throws -> Int? {
            guard let text = environment[name] else { return nil }
            guard let value = Int(text) else { throw ValidationError("\(name) must be an integer, got '\(text)'") }
            return value
        }
        func boolean(_ name: String) throws -> Bool? {
            guard let text = environment[name] else { return nil }
            guard let value = Bool(text) else { throw ValidationError("\(name) must be true or false, got '\(text)'") }
            return value
        }
        func number(_ name: String) throws -> Double? {
            guard let text = environment[name] else { return nil }
            guard let value = Double(text) else { throw ValidationError("\(name) must be a number, got '\(text)'") }
            return value
        }
        configuration.host = host ?? environment["LETHE_HOST"] ?? configuration.host
        configuration.port = try port ?? integer("LETHE_PORT") ?? configuration.port
        configuration.ledgerDirectory = ledgerDir ?? environment["LETHE_LEDGER_DIR"] ?? configuration.ledgerDirectory
        configuration.tokensFile = tokensFile ?? environment["LETHE_TOKENS_FILE"]
        configuration.keyFile = keyFile ?? environment["LETHE_KEY_FILE"]
        configuration.keyReloadIntervalSeconds = try keyReloadInterval ?? number("LETHE_KEY_RELOAD_INTERVAL") ?? configuration.keyReloadIntervalSeconds
        configuration.keyGracePeriodSeconds = try keyGracePeriod ?? number("LETHE_KEY_GRACE_PERIOD") ?? configuration.keyGracePeriodSeconds
        guard configuration.keyReloadIntervalSeconds > 0, configuration.keyGracePeriodSeconds >= 0 else {
            throw ValidationError("--key-reload-interval must be > 0 and --key-grace-period ≥ 0")
        }
        configuration.decodeLimits.maxPixels = try maxPixels ?? integer("LETHE_MAX_PIXELS") ?? configuration.decodeLimits.maxPixels
        configuration.decodeLimits.maxBytes = try maxBytes ?? integer("LETHE_MAX_BYTES") ?? configuration.decodeLimits.maxBytes
        configuration.decodeBudgetMegapixels = try decodeBudgetMegapixels ?? integer("LETHE_DECODE_BUDGET_MEGAPIXELS") ?? configuration.decodeBudgetMegapixels
        configuration.ledger.signingKeyFile = ledgerKeyFile ?? environment["LETHE_LEDGER_KEY_FILE"]
        configuration.ledger.pseudonymKeyFile = pseudonymKeyFile ?? environment["LETHE_PSEUDONYM_KEY_FILE"]
        configuration.ledger.origin = ledgerOrigin ?? environment["LETHE_LEDGER_ORIGIN"]
        configuration.ledger.checkpointEveryEntries = try checkpointEntries ?? integer("LETHE_CHECKPOINT_ENTRIES") ?? configuration.ledger.checkpointEveryEntries
        if let interval = checkpointInterval ?? environment["LETHE_CHECKPOINT_INTERVAL"].flatMap(Double.init) {
            configuration.ledger.checkpointIntervalSeconds = interval
        } else if let text = environment["LETHE_CHECKPOINT_INTERVAL"] {
            throw ValidationError("LETHE_CHECKPOINT_INTERVAL must be a number of seconds, got '\(text)'")
        }
        configuration.ledger.maxSegmentBytes = try ledgerSegmentBytes ?? integer("LETHE_LEDGER_SEGMENT_BYTES") ?? configuration.ledger.maxSegmentBytes
        configuration.ledger.retentionDays = try ledgerRetentionDays ?? integer("LETHE_LEDGER_RETENTION_DAYS") ?? configuration.ledger.retentionDays
        let witnesses = witness.isEmpty ? (environment["LETHE_WITNESS"]?.split(separator: " ").map(String.init) ?? []) : witness
        configuration.witnesses = try witnesses.map { text in
            do { return try WitnessEndpoint(configuration: text) } catch { throw ValidationError("--witness: \(error)") }
        }
        configuration.ledgerMinFreeBytes = try ledgerMinFreeBytes ?? integer("LETHE_LEDGER_MIN_FREE_BYTES") ?? configuration.ledgerMinFreeBytes
        guard configuration.ledger.checkpointEveryEntries >= 0, configuration.ledger.checkpointIntervalSeconds >= 0.001,
            configuration.ledger.maxSegmentBytes > 0, configuration.ledger.retentionDays >= 0, configuration.ledgerMinFreeBytes >= 0
        else { throw ValidationError("the checkpoint interval and segment bytes must be positive; checkpoint entries, retention days and ledger free bytes ≥ 0") }
        configuration.modelsDirectory = modelsDir ?? environment["LETHE_MODELS_DIR"] ?? configuration.modelsDirectory
        configuration.profilesDirectory = profilesDir ?? environment["LETHE_PROFILES_DIR"] ?? configuration.profilesDirectory
        configuration.serveWebClient = try serveWebClient ?? boolean("LETHE_SERVE_WEB_CLIENT") ?? configuration.serveWebClient
        configuration.webClientDirectory = webClientDir ?? environment["LETHE_WEB_CLIENT_DIR"] ?? configuration.webClientDirectory
        let origins = corsOrigin.isEmpty
            ? (environment["LETHE_CORS_ORIGIN"] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            : corsOrigin
        for origin in origins {
            // An origin is scheme://host[:port]: no path, no wildcard, so matching stays exact.
            guard let url = URL(string: origin), let scheme = url.scheme, ["http", "https"].contains(scheme), url.host != nil,
                url.path.isEmpty, url.query == nil, !origin.hasSuffix("/"), !origin.contains("*")
            else { throw ValidationError("--cors-origin must be an origin such as https://kiosk.example, got '\(origin)'") }
        }
        configuration.corsOrigins = origins.isEmpty ? configuration.corsOrigins : origins
        if let fraction = minFaceWidthFraction ?? environment["LETHE_MIN_FACE_WIDTH_FRACTION"].flatMap(Double.init) {
            guard fraction > 0, fraction < 1 else { throw ValidationError("the minimum face width fraction must be in (0, 1)") }
            configuration.faceAnalysis.minFaceWidthFraction = fraction
        } else if let text = environment["LETHE_MIN_FACE_WIDTH_FRACTION"] {
            throw ValidationError("LETHE_MIN_FACE_WIDTH_FRACTION must be a number, got '\(text)'")
        }
        configuration.adminHost = adminHost ?? environment["LETHE_ADMIN_HOST"] ?? configuration.adminHost
        configuration.adminPort = try adminPort ?? integer("LETHE_ADMIN_PORT") ?? configuration.adminPort
        configuration.adminToken = (adminToken ?? environment["LETHE_ADMIN_TOKEN"]).flatMap { $0.isEmpty ? nil : $0 }
        // `auto` (the container image's default): reachable from other hosts only when /metrics
        // asks for the token; the probes stay open, and a network cannot read unguarded metrics.
        if configuration.adminHost == "auto" {
            configuration.adminHost = configuration.adminToken == nil ? "127.0.0.1" : "0.0.0.0"
        }
        configuration.requireHardening = try requireHardening ?? boolean("LETHE_REQUIRE_HARDENING") ?? configuration.requireHardening
        configuration.maxConcurrentRequests = try maxConcurrent ?? integer("LETHE_MAX_CONCURRENT") ?? configuration.maxConcurrentRequests
        configuration.maxQueuedRequests = try maxQueued ?? integer("LETHE_MAX_QUEUED") ?? configuration.maxQueuedRequests
        if let text = environment["LETHE_QUEUE_TIMEOUT"], queueTimeout == nil {
            guard let seconds = Double(text) else { throw ValidationError("LETHE_QUEUE_TIMEOUT must be a number, got '\(text)'") }
            configuration.queueTimeoutSeconds = seconds
        }
        configuration.queueTimeoutSeconds = queueTimeout ?? configuration.queueTimeoutSeconds
        guard (0...65535).contains(configuration.port), (0...65535).contains(configuration.adminPort) else {
            throw ValidationError("ports must be 0…65535")
        }
        guard configuration.maxConcurrentRequests >= 1, configuration.maxQueuedRequests >= 0, configuration.queueTimeoutSeconds > 0 else {
            throw ValidationError("--max-concurrent must be ≥ 1, --max-queued ≥ 0, --queue-timeout > 0")
        }
        if let budget = try memoryBudgetMib ?? integer("LETHE_MEMORY_BUDGET_MIB") {
            guard budget >= 0 else { throw ValidationError("--memory-budget-mib must be ≥ 0 (0 = no ceiling)") }
            configuration.memoryBudgetMiB = budget == 0 ? nil : budget
        }
        configuration.deviceRequestsPerMinute = try deviceRate ?? integer("LETHE_DEVICE_RATE") ?? configuration.deviceRequestsPerMinute
        configuration.deviceBurst = try deviceBurst ?? integer("LETHE_DEVICE_BURST")
        guard configuration.deviceRequestsPerMinute >= 0, configuration.effectiveDeviceBurst >= 1 else {
            throw ValidationError("--device-rate must be ≥ 0 and --device-burst ≥ 1")
        }
        configuration.simulation.maxDimension = try maxSimulationDimension ?? integer("LETHE_MAX_SIMULATION_DIMENSION") ?? configuration.simulation.maxDimension
        guard configuration.simulation.maxDimension >= SimulationLimits.minDimension else {
            throw ValidationError("--max-simulation-dimension must be at least \(SimulationLimits.minDimension)")
        }
        guard configuration.decodeLimits.maxPixels > 0, configuration.decodeLimits.maxBytes > 0, configuration.decodeBudgetMegapixels > 0 else {
            throw ValidationError("limits must be positive")
        }
        configuration.maxConcurrentUploads = try maxUploads ?? integer("LETHE_MAX_UPLOADS") ?? configuration.maxConcurrentUploads
        configuration.uploadTimeoutSeconds = try uploadTimeout ?? number("LETHE_UPLOAD_TIMEOUT") ?? configuration.uploadTimeoutSeconds
        configuration.minUploadBytesPerSecond = try minUploadRate ?? integer("LETHE_MIN_UPLOAD_RATE") ?? configuration.minUploadBytesPerSecond
        configuration.idleTimeoutSeconds = try idleTimeout ?? number("LETHE_IDLE_TIMEOUT") ?? configuration.idleTimeoutSeconds
        configuration.drainTimeoutSeconds = try drainTimeout ?? number("LETHE_DRAIN_TIMEOUT") ?? configuration.drainTimeoutSeconds
        guard configuration.maxConcurrentUploads >= 1, configuration.minUploadBytesPerSecond >= 1,
              (0...86_400).contains(configuration.uploadTimeoutSeconds), configuration.uploadTimeoutSeconds > 0,
              (0...86_400).contains(configuration.idleTimeoutSeconds), configuration.idleTimeoutSeconds > 0,
              (0...86_400).contains(configuration.drainTimeoutSeconds) else {
            throw ValidationError("--max-uploads and --min-upload-rate must be ≥ 1, --upload-timeout and --idle-timeout in (0, 86400] seconds, --drain-timeout in [0, 86400]")
        }
        let deadlineSeconds = try requestDeadline ?? number("LETHE_REQUEST_DEADLINE")
            ?? Self.seconds(configuration.processingLimits.wallClock)
        let cpuSeconds = try requestCpuLimit ?? number("LETHE_REQUEST_CPU_LIMIT")
            ?? configuration.processingLimits.cpu.map(Self.seconds) ?? 0
        guard deadlineSeconds > 0, deadlineSeconds <= 86_400, cpuSeconds >= 0, cpuSeconds <= 86_400 else {
            throw ValidationError("--request-deadline must be in (0, 86400] seconds and --request-cpu-limit in [0, 86400]")
        }
        configuration.processingLimits = .init(
            wallClock: .nanoseconds(Int64(deadlineSeconds * 1e9)), cpu: cpuSeconds == 0 ? nil : .nanoseconds(Int64(cpuSeconds * 1e9)))
        configuration.replayWindowSeconds = try replayWindow ?? number("LETHE_REPLAY_WINDOW") ?? configuration.replayWindowSeconds
        configuration.replayCacheEntries = try replayCacheEntries ?? integer("LETHE_REPLAY_CACHE_ENTRIES") ?? configuration.replayCacheEntries
        guard configuration.replayWindowSeconds >= 1, configuration.replayWindowSeconds <= 86_400, configuration.replayCacheEntries >= 1 else {
            throw ValidationError("--replay-window must be in [1, 86400] seconds and --replay-cache-entries ≥ 1")
        }
        configuration.engineProcesses = try engineProcesses ?? integer("LETHE_ENGINE_PROCESSES") ?? configuration.engineProcesses
        configuration.engineRequests = try engineRequests ?? integer("LETHE_ENGINE_REQUESTS") ?? configuration.engineRequests
        configuration.engineSecretMemory = try engineSecretMemory ?? boolean("LETHE_ENGINE_SECRET_MEMORY") ?? configuration.engineSecretMemory
        configuration.requestThreads = try requestThreads ?? integer("LETHE_REQUEST_THREADS") ?? configuration.requestThreads
        guard (1...256).contains(configuration.requestThreads) else { throw ValidationError("--request-threads must be in [1, 256]") }
        let pagePoolMegabytes = try pagePoolMegabytes ?? integer("LETHE_PAGE_POOL_MEGABYTES") ?? configuration.pagePoolBytes >> 20
        guard (0...1 << 20).contains(pagePoolMegabytes) else { throw ValidationError("--page-pool-megabytes must be in [0, 1048576]") }
        configuration.pagePoolBytes = pagePoolMegabytes << 20
        guard (0...256).contains(configuration.engineProcesses), configuration.engineRequests >= 1 else {
            throw ValidationError("--engine-processes must be in [0, 256] (0 = in the gateway, unsafe) and --engine-requests ≥ 1")
        }
        return configuration
    }
}
