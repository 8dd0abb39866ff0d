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
/// liveness, readiness, the live dashboard and the ledger's private records. Nothing here
/// carries content.
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
            let readiness = Readiness(
                ready: !drain.isDraining && ledgerWritable && spaceLeft && publishedKeys > 0 && unmet.isEmpty, draining: drain.isDraining,
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
            ("/dashboard", "text/html; charset=utf-8", DashboardPage.html),
            ("/dashboard.css", "text/css; charset=utf-8", DashboardPage.stylesheet),
            ("/dashboard.js", "text/javascript; charset=utf-8", DashboardPage.script),
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
            if let bearerToken, !BearerCredential(token: bearerToken).admits(request.headers[.authorization]) {
                return Response(status: .unauthorized, headers: [.wwwAuthenticate: "Bearer"])
            }
            guard let start = request.uri.queryParameters.get("start", as: Int.self),
                let end = request.uri.queryParameters.get("end", as: Int.self), start >= 0, end > start, end - start <= 1000
            else { return Self.plain(.badRequest, "start and end (at most 1000 apart) are required") }
            guard let lines = try? await ledger.recordBytes(start..<end) else { return Self.plain(.notFound, "those records are not kept") }
            var body = Data()
            for line in lines {
                body.append(line)
                body.append(0x0A)
            }
            return Response(status: .ok, headers: [.contentType: "application/x-ndjson", .cacheControl: "no-store"], body: .init(byteBuffer: ByteBuffer(bytes: body)))
        }
        router.get("/metrics") { request, _ in
            if let bearerToken, !BearerCredential(token: bearerToken).admits(request.headers[.authorization]) {
                return Response(status: .unauthorized, headers: [.wwwAuthenticate: "Bearer"])
            }
            let now = Date()
            let keys = keyRing.keySet
            let hardening = ProcessHardening.current()
            let gauges = await ledgerGauges() + [
                ("lethe_plaintext_locked_bytes", "Bytes of plaintext buffers locked in RAM (mlock) now.", Double(hardening.lockedBytes)),
                ("lethe_plaintext_mapped_bytes", "Bytes of plaintext buffers mapped now, locked or not.", Double(hardening.plaintextMappedBytes)),
                ("lethe_mlock_failures", "Plaintext buffers whose mlock was refused since start (raise RLIMIT_MEMLOCK).", Double(hardening.lockFailures)),
                ("lethe_ohttp_keys_published", "OHTTP key configurations published for discovery.", Double(keys.published(at: now).count)),
                ("lethe_ohttp_keys_accepted", "OHTTP key ids accepted for decryption (published, new, or in their grace period).",
                 Double(keys.acceptedKeyIDs(at: now).count)),
            ]
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: metrics.exposition(hardening: hardening, extraGauges: gauges))))
        }
    }

    /// Ledger growth and how long records have waited for a signed checkpoint: 0 when every
    /// record is covered, else the time since the last checkpoint (alerted on when it grows).
    private func ledgerGauges() async -> [(name: String, help: String, value: Double)] {
        let entries = await ledger.recordCount
        let covered = await ledger.checkpointedRecords
        let (logSize, syncs, steps) = (await ledger.logSize, await ledger.recordSyncCount, await ledger.clockStepCount)
        var age = 0.0
        if entries > covered {
            let checkpoints = (try? FileManager.default.contentsOfDirectory(
                at: ledger.layout.checkpointsDirectory, includingPropertiesForKeys: [.contentModificationDateKey])) ?? []
            let latest = checkpoints.compactMap { try? $0.resourceValues(forKeys: [.contentModificationDateKey]).contentModificationDate }.max()
            age = latest.map { Date().timeIntervalSince($0) } ?? 0
        }
        return [
            ("lethe_ledger_entries", "Deletion records in this replica's ledger (one per request that held plaintext).", Double(entries)),
            ("lethe_ledger_uncovered_entries", "Deletion records not yet published under a signed checkpoint.", Double(entries - covered)),
            ("lethe_ledger_log_entries", "Entries in the public log (commitments and period summaries).", Double(logSize)),
            ("lethe_checkpoint_age_seconds", "0 when every record is checkpointed, else seconds since the last checkpoint.", age),
            ("lethe_ledger_fsyncs", "fsyncs of the deletion records since start (group commit: fewer than the records).", Double(syncs)),
            ("lethe_ledger_clock_steps", "Steps of the wall clock the ledger saw and recorded since start.", Double(steps)),
            ("lethe_ledger_free_bytes", "Free bytes on the ledger's volume.", Double(Self.freeBytes(ledgerDirectory) ?? 0)),
        ]
    }

    /// Bytes available to the worker on the volume holding `path` (statvfs), nil when unknown.
    static func freeBytes(_ path: String) -> Int? {
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { return nil }
        let (bytes, overflow) = UInt64(info.f_bavail).multipliedReportingOverflow(by: UInt64(info.f_frsize))
        return overflow ? Int.max : Int(clamping: bytes)
    }

    private static func plain(_ status: HTTPResponse.Status, _ message: String) -> Response {
        Response(status: status, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: message + "\n")))
    }

    private static func json(_ text: String) -> Response {
        Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}

/// The `/readyz` document: whether to send traffic here, why not, and which protections are active.
struct Readiness: Encodable {
    let ready: Bool
    let draining: Bool
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
        case ledgerWritable = "ledger_writable"
        case ledgerFreeBytes = "ledger_free_bytes"
        case ledgerMinFreeBytes = "ledger_min_free_bytes"
        case publishedKeys = "published_keys"
        case hardeningSummary = "hardening_summary"
        case hardeningRequired = "hardening_required"
        case hardeningMissing = "hardening_missing"
    }
}
