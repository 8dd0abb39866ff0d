import Foundation
import Hummingbird
import LetheEnvelope
import LetheImaging
import LetheLedger
import LetheMemory
import Logging
import ServiceLifecycle

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
    private let logger: Logger

    /// Prepares everything a request needs; nothing is listening yet.
    public init(configuration: ServerConfiguration, logger: Logger) async throws {
        // Before any plaintext can exist: no core dumps, not ptrace-able by same-uid processes.
        hardening = ProcessHardening.apply()
        try VipsRuntime.start(configuration.vips)

        let keys: [OHTTPPrivateKey]
        if let keyFile = configuration.keyFile {
            keys = try OHTTPKeyFile.read(from: keyFile)
        } else {
            keys = [try .generate(keyID: 1, kem: .x25519), try .generate(keyID: 2, kem: .xWing)]
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

        let ledger = try DeletionLedger(directory: URL(fileURLWithPath: configuration.ledgerDirectory), configuration: configuration.ledger)
        self.configuration = configuration
        self.logger = logger
        self.pipeline = AnalysisPipeline(
            gateway: OHTTPGateway(keys: keys), tokens: tokens, ledger: ledger,
            configuration: configuration, logger: logger)

        logger.notice("hardening \(hardening.summary)")
        if !hardening.memoryProtected {
            logger.warning("hardening incomplete: plaintext may reach swap, a core dump or freed heap on this host")
        }
        let ledgerEntries = await ledger.count
        logger.notice("ready to serve", metadata: [
            "libvips": "\(VipsRuntime.version)", "heif": "\(VipsRuntime.heifAvailable)",
            "key_ids": "\(keys.map { "\($0.keyID):\($0.kem.rawValue)" }.joined(separator: ","))",
            "key_source": "\(configuration.keyFile ?? "generated in memory")",
            "devices": "\(tokens.count)", "ledger": "\(configuration.ledgerDirectory)",
            "ledger_entries": "\(ledgerEntries)", "ledger_recovered_bytes": "\(ledger.recoveredBytes)",
        ])
        // Auditors and devices pin this key to verify checkpoints and receipts.
        let checkpointedSize = await ledger.checkpointedSize
        logger.notice("ledger verifier key \(ledger.verifierKey)", metadata: [
            "origin": "\(ledger.origin)", "checkpoint_size": "\(checkpointedSize)",
        ])
    }

    /// Serves until SIGTERM or SIGINT, then drains gracefully.
    public func runUntilSignalled(onListening: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let group = ServiceGroup(
            services: [checkpointService, makeApplication(onListening: onListening)],
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        try await group.run()
    }

    /// Starts the server, runs `body` with the bound port, then shuts the server down gracefully.
    /// Used by `lethe analyze` without `--server` and by the end-to-end tests.
    public func withRunningServer<Result: Sendable>(
        _ body: @escaping @Sendable (_ port: Int) async throws -> Result
    ) async throws -> Result {
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let group = ServiceGroup(
            services: [checkpointService, makeApplication { continuation.yield($0); continuation.finish() }],
            gracefulShutdownSignals: [], logger: logger)
        return try await withThrowingTaskGroup(of: Result?.self) { tasks in
            tasks.addTask {
                try await group.run()
                return nil
            }
            defer { tasks.cancelAll() }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else {
                throw RequestFailure(code: "server_not_started", status: 500, message: "the worker did not start listening")
            }
            do {
                let result = try await body(port)
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
                return result
            } catch {
                await group.triggerGracefulShutdown()
                throw error
            }
        }
    }

    /// Listed before the application: the group stops services in reverse order, so the final
    /// checkpoint is signed after the server has drained.
    private var checkpointService: LedgerCheckpointService {
        LedgerCheckpointService(ledger: pipeline.ledger, logger: logger)
    }

    /// The C2SP verifier key of this worker's deletion log.
    public var ledgerVerifierKey: String { pipeline.ledger.verifierKey }

    private func makeApplication(onListening: @escaping @Sendable (Int) async -> Void) -> some ApplicationProtocol {
        let router = Router()
        GatewayRoutes(pipeline: pipeline).register(on: router)
        LedgerRoutes(ledger: pipeline.ledger).register(on: router)
        return Application(
            router: router,
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "lethe"),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? 0) },
            logger: logger)
    }
}
