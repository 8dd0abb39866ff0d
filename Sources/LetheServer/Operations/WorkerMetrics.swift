import Foundation
import LetheImaging
import LetheMemory
import Prometheus
import Synchronization

/// Lethe's Prometheus metrics (names prefixed `lethe_`): counts, sizes, timings, error codes and
/// hardening state — never image data, never results, never device identities.
public final class WorkerMetrics: Sendable {
    /// The stages of one request whose latency is measured.
    public enum Stage: String, Sendable, CaseIterable {
        case decapsulate, decode, analyse, simulate, encapsulate, wipe
        case ledgerAppend = "ledger_append"
    }

    /// The registry `/metrics` renders; one per worker so that tests can run several.
    public let registry = PrometheusCollectorRegistry()

    let inFlight: Gauge
    let queued: Gauge
    /// Request bodies being received right now (`UploadSlots`); the gauge reads it at scrape time.
    let uploadsInProgress = Atomic<Int>(0)
    /// Encapsulated keys the replay guard holds now; set at scrape time by the admin listener's owner.
    let replayCacheEntries = Atomic<Int>(0)
    private let uploads: Gauge
    private let replayCache: Gauge
    private let replaysRefused: Counter
    private let codecPassesAborted: Gauge
    private let wipes: Counter
    private let wipeVerifyFailures: Counter
    private let plaintextLifetime: DurationHistogram
    private let requestDuration: DurationHistogram
    private let memoryBudget: Gauge
    private let memoryReserved: Gauge
    private let plaintextBytes: Gauge
    private let residentMemory: Gauge
    private let cpuSeconds: Gauge

    private static let latencyBuckets: [Duration] = [
        .milliseconds(1), .milliseconds(2.5), .milliseconds(5), .milliseconds(10), .milliseconds(25),
        .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
        .seconds(1), .seconds(2.5), .seconds(5), .seconds(10),
    ]

    public init() {
        inFlight = registry.makeGauge(name: "lethe_requests_in_flight", help: "Requests admitted and being processed.")
        queued = registry.makeGauge(name: "lethe_requests_queued", help: "Requests waiting for admission.")
        uploads = registry.makeGauge(
            name: "lethe_uploads_in_progress", help: "Request bodies being received (each holds an upload slot, not a processing slot).")
        replayCache = registry.makeGauge(
            name: "lethe_replay_cache_entries", help: "Encapsulated keys remembered for replay detection (RFC 9458 §6.5).")
        replaysRefused = registry.makeCounter(
            name: "lethe_replays_refused_total", help: "Copies of already received encapsulated requests, refused before decryption.")
        codecPassesAborted = registry.makeGauge(
            name: "lethe_codec_passes_aborted", help: "libjpeg passes stopped at a request deadline since the worker started.")
        wipes = registry.makeCounter(name: "lethe_wipes_total", help: "Plaintext buffers wiped and read back.")
        wipeVerifyFailures = registry.makeCounter(
            name: "lethe_wipe_verify_failures_total", help: "Wiped buffers whose read-back found a non-zero byte.")
        plaintextLifetime = registry.makeDurationHistogram(
            name: "lethe_plaintext_lifetime_seconds", buckets: Self.latencyBuckets,
            help: "Time from decryption to the wipe of a request's last plaintext buffer.")
        requestDuration = registry.makeDurationHistogram(
            name: "lethe_request_duration_seconds", buckets: Self.latencyBuckets,
            help: "Time from a request's arrival at the gateway to its answer, queueing included.")
        memoryBudget = registry.makeGauge(
            name: "lethe_memory_budget_bytes", help: "Memory requests may reserve (the budget minus the start-up footprint and headroom); 0 when no budget is set.")
        memoryReserved = registry.makeGauge(name: "lethe_memory_reserved_bytes", help: "Memory reserved by requests right now.")
        plaintextBytes = registry.makeGauge(name: "lethe_plaintext_bytes", help: "Plaintext bytes held in wiped memory right now.")
        residentMemory = registry.makeGauge(name: "lethe_process_resident_memory_bytes", help: "Resident set size of the worker process.")
        cpuSeconds = registry.makeGauge(name: "lethe_process_cpu_seconds", help: "User and system CPU time the worker process has used.")
        // Every stage histogram exists from the start, so dashboards and alerts see zeros, not gaps.
        for stage in Stage.allCases { _ = stageHistogram(stage) }
    }

    /// Counts a finished request by kind, outcome and stable error code.
    func countRequest(kind: String?, errorCode: String?) {
        registry.makeCounter(
            name: "lethe_requests_total",
            labels: [("kind", kind ?? "unknown"), ("outcome", errorCode == nil ? "ok" : "error"), ("code", errorCode ?? "none")],
            help: "Requests finished, by kind, outcome and error code."
        ).increment()
    }

    /// Counts a request refused before processing (admission, size, media type).
    func countRefusal(reason: String) {
        registry.makeCounter(
            name: "lethe_refusals_total", labels: [("reason", reason)],
            help: "Requests refused before any plaintext existed, by reason.").increment()
    }

    /// Counts a replayed request (aggregated only: a replay leaves no ledger entry of its own).
    func countReplay() {
        replaysRefused.increment()
    }

    /// Records how long a stage took.
    func observe(_ stage: Stage, _ duration: Duration) {
        stageHistogram(stage).record(duration)
    }

    /// Records how long a gateway request took from arrival to answer.
    func observeRequest(_ duration: Duration) {
        requestDuration.record(duration)
    }

    /// Records a request's wipe.
    func recordWipe(_ report: WipeReport, plaintextLifetime lifetime: Duration) {
        wipes.increment(by: Int64(report.bufferCount))
        if !report.verified { wipeVerifyFailures.increment() }
        if report.bufferCount > 0 { plaintextLifetime.record(lifetime) }
    }

    /// The Prometheus text exposition, with the gauges that are read at scrape time refreshed.
    func exposition(hardening: HardeningStatus, extraGauges: [(name: String, help: String, value: Double)] = []) -> String {
        plaintextBytes.set(to: Double(PlaintextArena.bytesHeldNow.load(ordering: .relaxed)))
        uploads.set(to: Double(uploadsInProgress.load(ordering: .relaxed)))
        replayCache.set(to: Double(replayCacheEntries.load(ordering: .relaxed)))
        codecPassesAborted.set(to: Double(ProcessingDeadline.codecPassesAborted))
        let capacity = MemoryBudget.capacityBytes
        memoryBudget.set(to: capacity == .max ? 0 : Double(capacity))
        memoryReserved.set(to: Double(MemoryBudget.reservedBytes))
        if let process = ProcessStatistics.current() {
            residentMemory.set(to: Double(process.residentBytes))
            cpuSeconds.set(to: process.cpuSeconds)
        }
        let mechanisms: [(String, Bool)] = [
            ("non_dumpable", hardening.nonDumpable), ("core_limit_zero", hardening.coreLimitZero),
            ("mlock", hardening.memoryLockAvailable), ("heap_scrub", hardening.heapScrub),
            ("glib_slices", hardening.glibSlicesScrubbed), ("landlock", hardening.filesystem.isActive),
        ]
        for (mechanism, active) in mechanisms {
            registry.makeGauge(
                name: "lethe_hardening_active", labels: [("mechanism", mechanism)],
                help: "1 when the protection mechanism is active, else 0.").set(to: active ? 1 : 0)
        }
        for gauge in extraGauges {
            registry.makeGauge(name: gauge.name, help: gauge.help).set(to: gauge.value)
        }
        return registry.emitToString()
    }

    private func stageHistogram(_ stage: Stage) -> DurationHistogram {
        registry.makeDurationHistogram(
            name: "lethe_stage_duration_seconds", labels: [("stage", stage.rawValue)], buckets: Self.latencyBuckets,
            help: "Latency of each request stage.")
    }
}
