import Foundation
import HTTPTypes
import Hummingbird
import LetheAnalysis
import LetheEnvelope
import LetheImaging
import LetheLedger
import LetheMemory
import Logging
import ServiceLifecycle
import UnixSignals

/// The device-facing worker: hardening, libvips, keys, tokens and ledger set up once, then the
/// Hummingbird server run under swift-service-lifecycle.
public struct LetheWorker: Sendable {
    /// The configuration it runs with.
    public let configuration: ServerConfiguration
    /// Which process protections are active.
    public let hardening: HardeningStatus
    /// The token of the demo device when no tokens file was given (embedded default configuration).
    public let demoToken: String?
    /// The published OHTTP key configurations (RFC 9540 `application/ohttp-keys`).
    public var keyConfigs: Data { pipeline.gateway.keyConfigs }

    let pipeline: AnalysisPipeline
    private let admission: AdmissionControl
    private let dashboard: DashboardPage
    private let uploads: UploadSlots
    /// The browser client's files when `serveWebClient` is on (read at start).
    private let webClient: WebClientFiles?
    private let drain = DrainState()
    private let logger: Logger

    /// The worker's Prometheus registry (also served on the admin listener's `/metrics`).
    public var metrics: WorkerMetrics { pipeline.metrics }

    /// The process-wide settings a program that serves `configuration` makes once, before its
    /// worker starts (`lethe serve`, the embedded worker of `lethe analyze`): no libjpeg pass
    /// outlives the request deadline, since libjpeg's multi-scan pass cannot tell which request it
    /// decodes (see `ProcessingDeadline`); and a request's freed bodies go back to the kernel
    /// instead of staying resident in the heap (`MemoryBudget.returnLargeBlocksToKernel`). Not
    /// done by `init`: a process that runs workers beside other work (the tests) keeps its own settings.
    public static func configureProcess(for configuration: ServerConfiguration) {
        ProcessingDeadline.setCodecPassLimit(configuration.processingLimits.wallClock)
        MemoryBudget.returnLargeBlocksToKernel()
        WipedPagePool.shared.setCapacity(configuration.pagePoolBytes)
    }

    /// Prepares everything a request needs; nothing is listening yet.
    public init(configuration: ServerConfiguration, logger: Logger) async throws {
        // What the program applied before any plaintext can exist (no core dumps, not ptrace-able
        // by same-uid processes: `lethe`'s main.swift); a library changes no process-wide state.
        hardening = ProcessHardening.current()
        try VipsRuntime.start(configuration.vips)

        // Replicas share a key file or directory; rotated keys are picked up while running.
        let keyRing: OHTTPKeyRing
        if let keyFile = configuration.keyFile {
            keyRing = try OHTTPKeyRing(source: OHTTPKeySource(path: keyFile))
        } else {
            keyRing = OHTTPKeyRing(keys: [
                OHTTPScheduledKey(try .generate(keyID: 1, kem: .x25519)), OHTTPScheduledKey(try .generate(keyID: 2, kem: .xWing)),
            ])
        }

        let tokens: DeviceTokens
        if let tokensFile = configuration.tokensFile {
            tokens = try DeviceTokens.load(from: tokensFile)
            demoToken = nil
        } else {
            let demo = DeviceTokens.demo()
            tokens = demo.tokens
            demoToken = demo.token
        }

        var ledgerConfiguration = configuration.ledger
        if !configuration.witnesses.isEmpty {
            ledgerConfiguration.cosigning = WitnessSubmitter(witnesses: configuration.witnesses, logger: logger)
        }
        let ledger = try DeletionLedger(directory: URL(fileURLWithPath: configuration.ledgerDirectory), configuration: ledgerConfiguration)
        // Every key the worker accepts is in the log, under a signed checkpoint, before a request
        // can reach it (docs/ledger.md §17); reloads log theirs before the swap (KeyReloadService).
        try await ledger.logKeyConfigs(keyRing.keySet.acceptedConfigs(at: Date()).map { $0.encoded() })
        self.configuration = configuration
        self.logger = logger
        // A missing or broken model or profile stops the start rather than failing requests. The
        // models are kept only where this process analyses (`--engine-processes 0`): engines load
        // their own, so a gateway checks them and lets them go, their pages back to the kernel.
        let models: AnalysisModels?
        do {
            let checked = try AnalysisModels.load(directory: configuration.modelsDirectory)
            models = configuration.engineProcesses > 0 ? nil : checked
        }
        if models == nil { MemoryBudget.returnFreeHeapToKernel() }
        let profiles = try DeviceProfile.loadAll(directory: configuration.profilesDirectory)
        self.webClient = configuration.serveWebClient ? try WebClientFiles(directory: configuration.webClientDirectory) : nil
        let metrics = WorkerMetrics()
        dashboard = try DashboardPage.load()
        // The engines start now, so that the memory budget sees what they use at start.
        let engines = configuration.engineProcesses > 0 ? try EnginePool(configuration: .init(configuration), logger: logger) : nil
        await engines?.start()
        if engines == nil {
            logger.warning("--engine-processes 0: photos are decoded inside the gateway, next to its keys (UNSAFE, for comparison only)")
        }
        // The engines' ledger, shared with them through a memory file; in process, the worker's own.
        let cores = engines?.cores ?? CoreLedger()
        self.pipeline = AnalysisPipeline(
            gateway: OHTTPGateway(keyRing: keyRing), tokens: tokens, ledger: ledger, configuration: configuration, engines: engines, cores: cores,
            models: models, profiles: profiles, metrics: metrics,
            rateLimiter: DeviceRateLimiter(
                requestsPerMinute: configuration.deviceRequestsPerMinute, burst: configuration.effectiveDeviceBurst),
            // Independent of the key ring: reloading keys never forgets a request seen.
            replayGuard: ReplayGuard(window: configuration.replayWindowSeconds, capacity: configuration.replayCacheEntries),
            decodeBudget: DecodeBudget(
                capacityPixels: configuration.decodeBudgetMegapixels * 1_000_000,
                timeout: .milliseconds(Int(configuration.queueTimeoutSeconds * 1000)), metrics: metrics),
            logger: logger)
        try await Self.applyMemoryBudget(configuration, engines: engines, logger: logger)
        self.admission = AdmissionControl(
            maxConcurrent: configuration.maxConcurrentRequests, maxQueued: configuration.maxQueuedRequests,
            queueTimeout: .milliseconds(Int(configuration.queueTimeoutSeconds * 1000)), metrics: metrics, cores: cores)
        self.uploads = UploadSlots(capacity: configuration.maxConcurrentUploads, metrics: metrics)
        logger.notice("hardening \(hardening.summary)")
        if !hardening.memoryProtected {
            logger.warning("hardening incomplete: plaintext may reach swap, a core dump or freed heap on this host")
        }
        let writableKeys = configuration.ledger.keysInLedgerDirectory
        if !writableKeys.isEmpty {
            logger.warning("keys in the writable ledger directory: whoever can write \(configuration.ledgerDirectory) can read or replace \(writableKeys.joined(separator: " and ")); give --ledger-key-file and --pseudonym-key-file, read-only files outside it (docs/ledger.md §7)")
        }
        let ledgerEntries = await ledger.recordCount
        logger.notice("ready to serve", metadata: [
            "libvips": "\(VipsRuntime.version)", "heif": "\(VipsRuntime.heifAvailable)",
            "key_ids": "\(keyRing.keySet.published(at: Date()).map { "\($0.keyID):\($0.kem.rawValue)" }.joined(separator: ","))",
            "accepted_key_ids": "\(keyRing.keySet.acceptedKeyIDs(at: Date()).map(String.init).joined(separator: ","))",
            "key_source": "\(configuration.keyFile ?? "generated in memory")",
            "devices": "\(tokens.count)", "ledger": "\(configuration.ledgerDirectory)",
            "ledger_entries": "\(ledgerEntries)", "keys_in_ledger_dir": "\(writableKeys.isEmpty ? "none" : writableKeys.joined(separator: ","))", "ledger_recovered_bytes": "\(ledger.recoveredBytes)",
        ])
        // Auditors and devices pin this key to verify checkpoints and receipts.
        let checkpointedSize = await ledger.checkpointedSize
        logger.notice("ledger verifier key \(ledger.verifierKey)", metadata: [
            "origin": "\(ledger.origin)", "checkpoint_size": "\(checkpointedSize)",
        ])
    }

    /// Sets the memory budget: the configured ceiling minus what the worker (gateway and engines)
    /// uses now (everything loaded, nothing requested yet) minus the headroom, for requests;
    /// refuses a ceiling that leaves requests nothing. With engines, each engine that can hold a
    /// request at once (at most `min(engines, max-concurrent)`) gets an equal share of it; the
    /// gateway, whose plaintext is the compressed photo and the result, keeps the whole as its
    /// ceiling (its reservations are a few times the photo's encoded size).
    private static func applyMemoryBudget(_ configuration: ServerConfiguration, engines: EnginePool?, logger: Logger) async throws {
        guard let mebibytes = configuration.memoryBudgetMiB else {
            MemoryBudget.setCapacity(.max)
            await engines?.setEngineBudget(.max)
            return
        }
        let ceiling = mebibytes << 20
        let enginePids = await engines?.pids ?? []
        let atStart = (["self"] + enginePids.map(String.init)).reduce(0) { $0 + (ProcessStatistics.current(process: $1)?.residentBytes ?? 0) }
        let forRequests = ceiling - atStart - ServerConfiguration.memoryHeadroomBytes
        guard forRequests >= 16 << 20 else {
            throw LetheError(
                .memoryBudgetTooSmall,
                "a memory budget of \(mebibytes) MiB leaves requests \(max(0, forRequests) >> 20) MiB: the worker uses \(atStart >> 20) MiB at start plus \(ServerConfiguration.memoryHeadroomBytes >> 20) MiB headroom; at least 16 MiB must remain")
        }
        let shares = engines == nil ? 1 : min(configuration.engineProcesses, configuration.maxConcurrentRequests)
        MemoryBudget.setCapacity(forRequests)
        await engines?.setEngineBudget(forRequests / shares)
        logger.notice("memory budget \(mebibytes) MiB", metadata: [
            "resident_at_start_bytes": "\(atStart)", "request_budget_bytes": "\(forRequests)", "budget_shares": "\(shares)",
        ])
    }

    /// The ports the worker listens on once started.
    public struct ListeningPorts: Sendable {
        /// The device-facing OHTTP gateway.
        public let gateway: Int
        /// The operator listener: `/metrics`, `/healthz`, `/readyz`.
        public let admin: Int
    }

    /// Serves until SIGTERM or SIGINT, then drains gracefully: readiness fails first, in-flight
    /// requests finish (wiped and recorded), then the listeners close.
    public func runUntilSignalled(onListening: @escaping @Sendable (ListeningPorts) async -> Void = { _ in }) async throws {
        try await makeServiceGroup(signals: [.sigterm, .sigint], announcer: ListeningAnnouncer(onListening), reloadKeysOnHangup: true).run()
    }

    /// Starts the server, runs `body` with the bound ports, then shuts the server down gracefully.
    /// Used by `lethe analyze` without `--server` and by the end-to-end tests.
    public func withRunningServer<Result: Sendable>(
        _ body: @escaping @Sendable (_ ports: ListeningPorts) async throws -> Result
    ) async throws -> Result {
        let (bound, continuation) = AsyncStream.makeStream(of: ListeningPorts.self)
        let group = makeServiceGroup(
            signals: [], announcer: ListeningAnnouncer { continuation.yield($0); continuation.finish() })
        return try await group.running(announcedOn: bound, notStarted: LetheError(.serverNotStarted, "the worker did not start listening"), body)
    }

    /// The C2SP verifier key of this worker's deletion log.
    public var ledgerVerifierKey: String { pipeline.ledger.verifierKey }

    /// The device-facing routes: key discovery, the gateway, the public ledger, liveness and,
    /// when configured, CORS and the browser client. Every failure is a problem document.
    /// (Served by `makeServiceGroup`; tests drive it without a socket, `app.test(.router)`.)
    public func makeGatewayRouter() -> Router<BasicRequestContext> {
        // HEAD answers wherever GET does (RFC 9110 §9.3.2).
        let gatewayRouter = Router(options: .autoGenerateHeadEndpoints)
        if !configuration.corsOrigins.isEmpty {
            // Added before the routes: Hummingbird applies a middleware to routes registered after it.
            gatewayRouter.add(middleware: GatewayCORSMiddleware(allowedOrigins: Set(configuration.corsOrigins), path: GatewayRoutes.gatewayPath))
        }
        // A plain OPTIONS lists the gateway's methods with or without CORS (openapi.yaml declares it).
        gatewayRouter.on(RouterPath(GatewayRoutes.gatewayPath), method: .options) { _, _ in
            Response(status: .noContent, headers: [.allow: Self.gatewayMethods.map(\.rawValue).joined(separator: ", ")])
        }
        gatewayRouter.add(middleware: ProblemMiddleware(allowedMethods: Self.gatewayRouterMethods))
        GatewayRoutes(pipeline: pipeline, admission: admission, uploads: uploads).register(on: gatewayRouter)
        if let webClient { WebClientRoutes(files: webClient).register(on: gatewayRouter) }
        LedgerRoutes(
            ledger: pipeline.ledger, keyConfigs: { [keyRing = pipeline.gateway.keyRing] in keyRing.keySet.acceptedConfigs(at: Date()).map { $0.encoded() } },
            logger: logger
        ).register(on: gatewayRouter)
        return gatewayRouter
    }

    /// The methods of the OHTTP gateway's path (key discovery, requests, CORS preflight).
    static let gatewayMethods: [HTTPRequest.Method] = [.get, .head, .post, .options]

    /// Every path of the device port and its methods: any other method on these paths is 405
    /// with `Allow`. `/web` is listed whether or not the browser client is served (openapi.yaml
    /// declares it; unserved, its GET answers 404).
    static let gatewayRouterMethods = AllowedMethods([
        (GatewayRoutes.gatewayPath, gatewayMethods),
        ("/healthz", [.get, .head]),
        ("/ledger", [.get, .head]),
        ("/ledger/**", [.get, .head]),
        (WebClientRoutes.pathPrefix, [.get, .head]),
        (WebClientRoutes.pathPrefix + "/:file", [.get, .head]),
    ])

    /// The operator's routes: probes, metrics, the dashboard and the private records.
    public func makeAdminRouter() -> Router<BasicRequestContext> {
        let adminRouter = Router()
        adminRouter.add(middleware: ProblemMiddleware())
        AdminRoutes(
            metrics: pipeline.metrics, drain: drain, ledger: pipeline.ledger, keyRing: pipeline.gateway.keyRing,
            bearerToken: configuration.adminToken, requireHardening: configuration.requireHardening,
            ledgerMinFreeBytes: configuration.ledgerMinFreeBytes, dashboard: dashboard, engines: pipeline.engines
        ).register(on: adminRouter)
        return adminRouter
    }

    /// The checkpoint signer, the engine pool, the gateway, the operator listener, the drain
    /// watcher and the key reloader. The group stops services in reverse order: readiness flips to
    /// draining first, then the gateway finishes its in-flight requests, the operator listener
    /// (probes, metrics) closes, the engines stop, and the final checkpoint is signed once nothing
    /// can append any more.
    private func makeServiceGroup(signals: [UnixSignal], announcer: ListeningAnnouncer, reloadKeysOnHangup: Bool = false) -> ServiceGroup {
        let gatewayRouter = makeGatewayRouter()
        let uploadLimits = UploadGuard.Limits(
            uploadTimeout: .nanoseconds(Int64(configuration.uploadTimeoutSeconds * 1e9)),
            minBytesPerSecond: configuration.minUploadBytesPerSecond, maxBodyBytes: configuration.maxEnvelopeBytes,
            drainTimeout: .nanoseconds(Int64(configuration.drainTimeoutSeconds * 1e9)))
        let gateway = Application(
            router: gatewayRouter,
            // Slow senders: the idle timeout closes connections whose headers never end or that
            // sit idle between requests; UploadGuard bounds how long a body may take.
            server: .http1(configuration: .init(
                additionalChannelHandlers: [UploadGuard(limits: uploadLimits)],
                idleTimeout: .nanoseconds(Int64(configuration.idleTimeoutSeconds * 1e9)))),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "lethe"),
            onServerRunning: { channel in await announcer.bound(gateway: channel.localAddress?.port ?? 0) },
            logger: logger)

        let adminRouter = makeAdminRouter()
        let admin = Application(
            router: adminRouter,
            configuration: .init(address: .hostname(configuration.adminHost, port: configuration.adminPort), serverName: "lethe-admin"),
            onServerRunning: { channel in await announcer.bound(admin: channel.localAddress?.port ?? 0) },
            logger: logger)

        return ServiceGroup(configuration: .init(
            services: [
                .init(service: LedgerCheckpointService(ledger: pipeline.ledger, logger: logger)),
                // Stopped after the gateway has drained: in-flight requests keep their engines.
                .init(service: EnginePoolService(pool: pipeline.engines)),
                .init(service: admin),
                .init(service: gateway),
                .init(service: DrainWatcher(state: drain), successTerminationBehavior: .ignore),
                .init(
                    service: KeyReloadService(
                        keyRing: pipeline.gateway.keyRing, interval: .milliseconds(Int(configuration.keyReloadIntervalSeconds * 1000)),
                        gracePeriodSeconds: configuration.keyGracePeriodSeconds, reloadOnHangup: reloadKeysOnHangup,
                        logKeys: { [ledger = pipeline.ledger] configs in try await ledger.logKeyConfigs(configs.map { $0.encoded() }) },
                        logger: logger),
                    successTerminationBehavior: .ignore),
            ],
            gracefulShutdownSignals: signals, logger: logger))
    }
}

/// Calls back once both listeners are bound, with both ports.
private actor ListeningAnnouncer {
    private let onListening: @Sendable (LetheWorker.ListeningPorts) async -> Void
    private var gateway: Int?
    private var admin: Int?

    init(_ onListening: @escaping @Sendable (LetheWorker.ListeningPorts) async -> Void) {
        self.onListening = onListening
    }

    func bound(gateway port: Int) async {
        gateway = port
        await announceWhenBoth()
    }

    func bound(admin port: Int) async {
        admin = port
        await announceWhenBoth()
    }

    private func announceWhenBoth() async {
        guard let gateway, let admin else { return }
        await onListening(LetheWorker.ListeningPorts(gateway: gateway, admin: admin))
    }
}
