import Foundation
import Hummingbird
import LetheEnvelope
import LetheLedger
import LetheMemory
import ServiceLifecycle
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Becomes true when graceful shutdown starts, so that readiness fails while the worker drains.
final class DrainState: Sendable {
    private let draining = Atomic<Bool>(false)
    var isDraining: Bool { draining.load(ordering: .relaxed) }
    func startDraining() { draining.store(true, ordering: .relaxed) }
}

/// Watches for graceful shutdown and flips `DrainState`; runs until the group is cancelled.
struct DrainWatcher: Service {
    let state: DrainState

    func run() async throws {
        try? await gracefulShutdown()
        state.startDraining()
    }
}

/// The operator listener (loopback by default, separate from the device-facing port): metrics,
/// liveness, readiness, the live dashboard and the ledger's private records. Nothing here carries
/// content. Failures are problem documents (`missing_token`/`invalid_token` on `/metrics` and
/// `/ledger/records`, `malformed_ledger_request`, `not_in_ledger`, `not_found`); `/readyz` answers
/// 503 with its readiness document when the worker should get no traffic.
struct AdminRoutes: Sendable {
    let metrics: WorkerMetrics
    let drain: DrainState
    let ledger: DeletionLedger
    /// The gateway's OHTTP keys: ready only while at least one key is published.
    let keyRing: OHTTPKeyRing
    var ledgerDirectory: String { ledger.directory.path }
    /// When set, `/metrics` and `/ledger/records` require `Authorization: Bearer <token>`; probes stay open.
    let bearerToken: String?
    /// `--require-hardening`: not ready while a protection is missing.
    let requireHardening: Bool
    /// Readiness fails when the ledger's volume has less free space than this.
    var ledgerMinFreeBytes: Int = 0
    /// The page served at `/dashboard`, read from the resource bundle at start.
    let dashboard: DashboardPage
    /// The engine processes (nil: analysis in the gateway, `--engine-processes 0`): not ready
    /// while the last engine start failed.
    var engines: EnginePool? = nil

    func register(on router: Router<BasicRequestContext>) {
        router.get("/healthz") { _, _ in
            Self.json(#"{"status":"ok"}"#)
        }
        router.get("/readyz") { _, _ in
            let hardening = ProcessHardening.current()
            // Writable now, and with room left: unready before the volume is full, so that the
            // load balancer moves traffic away while every request can still be recorded.
            let freeBytes = Self.freeBytes(ledgerDirectory)
            let ledgerHealthy = await ledger.isWritable
            let ledgerWritable = access(ledgerDirectory, W_OK) == 0 && ledgerHealthy
            let spaceLeft = freeBytes.map { $0 >= ledgerMinFreeBytes } ?? false
            let publishedKeys = keyRing.keySet.published(at: Date()).count
            let unmet = requireHardening ? hardening.unmet : []
            let engineFailure = await engines?.startFailure
            let readiness = Readiness(
                ready: !drain.isDraining && ledgerWritable && spaceLeft && publishedKeys > 0 && unmet.isEmpty && engineFailure == nil,
                draining: drain.isDraining, engineProcesses: await engines?.pids.count ?? 0, engineFailure: engineFailure,
                ledgerWritable: ledgerWritable, ledgerFreeBytes: freeBytes ?? 0, ledgerMinFreeBytes: ledgerMinFreeBytes,
                publishedKeys: publishedKeys, hardening: hardening, hardeningSummary: hardening.summary, hardeningRequired: requireHardening,
                hardeningMissing: unmet)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            return Response(
                status: readiness.ready ? .ok : .serviceUnavailable, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(bytes: (try? encoder.encode(readiness)) ?? Data())))
        }
        // The page is static and carries no numbers; its script reads /metrics (with the token).
        for (path, type, body) in [
            ("/dashboard", "text/html; charset=utf-8", dashboard.html),
            ("/dashboard.css", "text/css; charset=utf-8", dashboard.stylesheet),
            ("/dashboard.js", "text/javascript; charset=utf-8", dashboard.script),
        ] {
            router.get(RouterPath(path)) { _, _ in
                Response(
                    status: .ok,
                    headers: [
                        .contentType: type, .cacheControl: "no-store", .xContentTypeOptions: "nosniff",
                        .contentSecurityPolicy: DashboardPage.contentSecurityPolicy,
                    ],
                    body: .init(byteBuffer: ByteBuffer(string: body)))
            }
        }
        router.get("/ledger/records") { request, _ in
            // The private detail (exact times, sizes, lifetimes, device pseudonyms) for the
            // operator's own audit; never on the device-facing port.
            try authorize(request, "/ledger/records")
            guard let start = request.uri.queryParameters.get("start", as: Int.self),
                let end = request.uri.queryParameters.get("end", as: Int.self), start >= 0, end > start, end - start <= 1000
            else { throw LetheError(.malformedLedgerRequest, "start and end (at most 1000 apart) are required") }
            guard let lines = try? await ledger.recordBytes(start..<end) else {
                throw LetheError(.notInLedger, "records \(start)..<\(end) are not kept")
            }
            var body = Data()
            for line in lines {
                body.append(line)
                body.append(0x0A)
            }
            return Response(status: .ok, headers: [.contentType: "application/x-ndjson", .cacheControl: "no-store"], body: .init(byteBuffer: ByteBuffer(bytes: body)))
        }
        router.get("/metrics") { request, _ in
            try authorize(request, "/metrics")
            let state = await scrapeState()
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: metrics.exposition(hardening: ProcessHardening.current(), state: state))))
        }
    }

    /// Admits a request for `route` that carries the admin token, when one is configured.
    private func authorize(_ request: Request, _ route: String) throws(LetheError) {
        guard let bearerToken, !BearerCredential(token: bearerToken).admits(request.headers[.authorization]) else { return }
        throw request.headers[.authorization] == nil
            ? LetheError(.missingToken, "\(route) needs 'Authorization: Bearer <admin token>'")
            : LetheError(.invalidToken, "the admin token is not recognised")
    }

    /// Ledger growth, how long records have waited for a signed checkpoint (0 when every record is
    /// covered, else the time since the last checkpoint; alerted on when it grows), and the keys.
    private func scrapeState() async -> WorkerMetrics.ScrapeState {
        let entries = await ledger.recordCount
        let covered = await ledger.checkpointedRecords
        var age = 0.0
        if entries > covered {
            let checkpoints = (try? FileManager.default.contentsOfDirectory(
                at: ledger.layout.checkpointsDirectory, includingPropertiesForKeys: [.contentModificationDateKey])) ?? []
            let latest = checkpoints.compactMap { try? $0.resourceValues(forKeys: [.contentModificationDateKey]).contentModificationDate }.max()
            age = latest.map { Date().timeIntervalSince($0) } ?? 0
        }
        let now = Date()
        let keys = keyRing.keySet
        return WorkerMetrics.ScrapeState(
            ledgerEntries: entries, ledgerUncoveredEntries: entries - covered, checkpointAgeSeconds: age,
            ledgerLogEntries: await ledger.logSize, ledgerFsyncs: await ledger.recordSyncCount,
            ledgerClockSteps: await ledger.clockStepCount, ledgerFreeBytes: Self.freeBytes(ledgerDirectory) ?? 0,
            keysPublished: keys.published(at: now).count, keysAccepted: keys.acceptedKeyIDs(at: now).count)
    }

    /// Bytes available to the worker on the volume holding `path` (statvfs), nil when unknown.
    static func freeBytes(_ path: String) -> Int? {
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { return nil }
        let (bytes, overflow) = UInt64(info.f_bavail).multipliedReportingOverflow(by: UInt64(info.f_frsize))
        return overflow ? Int.max : Int(clamping: bytes)
    }

    private static func json(_ text: String) -> Response {
        Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}

/// The `/readyz` document: whether to send traffic here, why not, and which protections are active.
struct Readiness: Encodable {
    let ready: Bool
    let draining: Bool
    /// Engine processes running now (0 with `--engine-processes 0`).
    let engineProcesses: Int
    /// Why the last engine could not start; the worker is not ready until one starts.
    let engineFailure: String?
    let ledgerWritable: Bool
    let ledgerFreeBytes: Int
    let ledgerMinFreeBytes: Int
    let publishedKeys: Int
    let hardening: HardeningStatus
    let hardeningSummary: String
    /// `--require-hardening` is set.
    let hardeningRequired: Bool
    /// With `--require-hardening`, the protections that keep the worker unready.
    let hardeningMissing: [String]

    enum CodingKeys: String, CodingKey {
        case ready, draining, hardening
        case engineProcesses = "engine_processes"
        case engineFailure = "engine_failure"
        case ledgerWritable = "ledger_writable"
        case ledgerFreeBytes = "ledger_free_bytes"
        case ledgerMinFreeBytes = "ledger_min_free_bytes"
        case publishedKeys = "published_keys"
        case hardeningSummary = "hardening_summary"
        case hardeningRequired = "hardening_required"
        case hardeningMissing = "hardening_missing"
    }
}
