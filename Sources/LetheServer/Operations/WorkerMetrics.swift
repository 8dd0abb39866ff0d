import Foundation
import LetheEngine
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

        /// The engine's stages are the worker's middle three.
        init(_ stage: AnalysisEngine.Stage) {
            switch stage {
            case .decode: self = .decode
            case .analyse: self = .analyse
            case .simulate: self = .simulate
            }
        }
    }

    /// The registry `/metrics` renders; one per worker so that tests can run several.
    public let registry = PrometheusCollectorRegistry()

    let inFlight: Gauge
    let queued: Gauge
    /// `DecodeBudget`'s figures: pixels (declared width × height, never anything of the content).
    let decodeBudgetCapacity: Gauge
    let decodeBudgetReserved: Gauge
    let decodeBudgetPeak: Gauge
    let decodeBudgetWaiting: Gauge
    let decodeBudgetWaits: Counter
    /// Waits that ended without room (answered 503 `memory_budget_exceeded`, the code of a
    /// refused memory reservation too): tells a decode-budget queue timeout from a memory refusal.
    let decodeBudgetTimeouts: Counter
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
    private let wipeDuration: DurationHistogram
    private let requestDuration: DurationHistogram
    private let stageDurations: [Stage: DurationHistogram]
    private let memoryBudget: Gauge
    private let memoryReserved: Gauge
    private let plaintextBytes: Gauge
    private let residentMemory: Gauge
    private let cpuSeconds: Gauge
    private let hardeningActive: [(mechanism: String, gauge: Gauge)]
    private let plaintextLockedBytes: Gauge
    private let plaintextMappedBytes: Gauge
    private let mlockFailures: Gauge
    private let ledgerEntries: Gauge
    private let ledgerUncoveredEntries: Gauge
    private let checkpointAge: Gauge
    private let ledgerLogEntries: Gauge
    private let ledgerFsyncs: Gauge
    private let ledgerClockSteps: Gauge
    private let ledgerFreeBytes: Gauge
    private let keysPublished: Gauge
    private let keysAccepted: Gauge

    private static let latencyBuckets: [Duration] = [
        .milliseconds(1), .milliseconds(2.5), .milliseconds(5), .milliseconds(10), .milliseconds(25),
        .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
        .seconds(1), .seconds(2.5), .seconds(5), .seconds(10),
    ]

    /// `lethe_<name>_<unit>`; an empty unit is left out of the name.
    private static func descriptor(_ name: String, unit: String = "", _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "lethe", metricName: name, unitName: unit, helpText: help)
    }

    // Labelled by values known only per event (kind, error code, refusal reason): the registry
    // keeps one counter per label set and hands it back. (`MetricNameDescriptor` is not Sendable,
    // so these are computed rather than stored statics; it is a few strings.)
    private static var requestsTotal: MetricNameDescriptor {
        descriptor("requests", unit: "total", "Requests finished, by kind, outcome, error code and its disposition.")
    }
    private static var refusalsTotal: MetricNameDescriptor {
        descriptor("refusals", unit: "total", "Requests refused before any plaintext existed, by reason.")
    }

    public init() {
        inFlight = registry.makeGauge(descriptor: Self.descriptor("requests_in_flight", "Requests admitted and being processed."))
        queued = registry.makeGauge(descriptor: Self.descriptor("requests_queued", "Requests waiting for admission."))
        decodeBudgetCapacity = registry.makeGauge(descriptor: Self.descriptor(
            "decode_budget", unit: "pixels", "Pixels the engines may hold decoded at once (--decode-budget-megapixels)."))
        decodeBudgetReserved = registry.makeGauge(descriptor: Self.descriptor(
            "decode_budget_reserved", unit: "pixels", "Declared pixels of the photos being analysed now."))
        decodeBudgetPeak = registry.makeGauge(descriptor: Self.descriptor(
            "decode_budget_reserved_peak", unit: "pixels", "Most declared pixels reserved at once since the worker started."))
        decodeBudgetWaiting = registry.makeGauge(descriptor: Self.descriptor(
            "decode_budget_waiting", "Requests waiting for room in the decode budget."))
        decodeBudgetWaits = registry.makeCounter(descriptor: Self.descriptor(
            "decode_budget_waits", unit: "total", "Requests that had to wait for room in the decode budget."))
        decodeBudgetTimeouts = registry.makeCounter(descriptor: Self.descriptor(
            "decode_budget_timeouts", unit: "total",
            "Waits for room in the decode budget that ended without it (queue timeout or cancellation), answered 503 memory_budget_exceeded."))
        uploads = registry.makeGauge(descriptor: Self.descriptor(
            "uploads_in_progress", "Request bodies being received (each holds an upload slot, not a processing slot)."))
        replayCache = registry.makeGauge(descriptor: Self.descriptor(
            "replay_cache_entries", "Encapsulated keys remembered for replay detection (RFC 9458 §6.5)."))
        replaysRefused = registry.makeCounter(descriptor: Self.descriptor(
            "replays_refused", unit: "total", "Copies of already received encapsulated requests, refused before decryption."))
        codecPassesAborted = registry.makeGauge(descriptor: Self.descriptor(
            "codec_passes_aborted", "libjpeg passes stopped at a request deadline since the worker started."))
        wipes = registry.makeCounter(descriptor: Self.descriptor("wipes", unit: "total", "Plaintext buffers wiped and read back."))
        wipeVerifyFailures = registry.makeCounter(descriptor: Self.descriptor(
            "wipe_verify_failures", unit: "total", "Wiped buffers whose read-back found a non-zero byte."))
        plaintextLifetime = registry.makeDurationHistogram(
            descriptor: Self.descriptor(
                "plaintext_lifetime", unit: "seconds", "Time from decryption to the wipe of a request's last plaintext buffer."),
            buckets: Self.latencyBuckets)
        wipeDuration = registry.makeDurationHistogram(
            descriptor: Self.descriptor(
                "wipe_duration", unit: "seconds",
                "Time a request's wipes took: every plaintext buffer zeroed and read back, in the gateway and its engine, summed over the buffers."),
            buckets: Self.latencyBuckets)
        requestDuration = registry.makeDurationHistogram(
            descriptor: Self.descriptor(
                "request_duration", unit: "seconds", "Time from a request's arrival at the gateway to its answer, queueing included."),
            buckets: Self.latencyBuckets)
        // Every stage histogram exists from the start, so dashboards and alerts see zeros, not gaps.
        let stage = Self.descriptor("stage_duration", unit: "seconds", "Latency of each request stage.")
        stageDurations = Dictionary(uniqueKeysWithValues: Stage.allCases.map { [registry] in
            ($0, registry.makeDurationHistogram(descriptor: stage, labels: [("stage", $0.rawValue)], buckets: Self.latencyBuckets))
        })
        memoryBudget = registry.makeGauge(descriptor: Self.descriptor(
            "memory_budget", unit: "bytes",
            "Memory requests may reserve (the budget minus the start-up footprint and headroom); 0 when no budget is set."))
        memoryReserved = registry.makeGauge(descriptor: Self.descriptor("memory_reserved", unit: "bytes", "Memory reserved by requests right now."))
        plaintextBytes = registry.makeGauge(descriptor: Self.descriptor("plaintext", unit: "bytes", "Plaintext bytes held in wiped memory right now."))
        residentMemory = registry.makeGauge(descriptor: Self.descriptor(
            "process_resident_memory", unit: "bytes", "Resident set size of the worker process."))
        cpuSeconds = registry.makeGauge(descriptor: Self.descriptor(
            "process_cpu", unit: "seconds", "User and system CPU time the worker process has used."))
        let hardening = Self.descriptor("hardening_active", "1 when the protection mechanism is active, else 0.")
        hardeningActive = ["non_dumpable", "core_limit_zero", "mlock", "heap_scrub", "glib_slices", "landlock"].map { [registry] in
            ($0, registry.makeGauge(descriptor: hardening, labels: [("mechanism", $0)]))
        }
        plaintextLockedBytes = registry.makeGauge(descriptor: Self.descriptor(
            "plaintext_locked", unit: "bytes", "Bytes of plaintext buffers locked in RAM (mlock) now."))
        plaintextMappedBytes = registry.makeGauge(descriptor: Self.descriptor(
            "plaintext_mapped", unit: "bytes", "Bytes of plaintext buffers mapped now, locked or not."))
        mlockFailures = registry.makeGauge(descriptor: Self.descriptor(
            "mlock_failures", "Plaintext buffers whose mlock was refused since start (raise RLIMIT_MEMLOCK)."))
        ledgerEntries = registry.makeGauge(descriptor: Self.descriptor(
            "ledger_entries", "Deletion records in this replica's ledger (one per request that held plaintext)."))
        ledgerUncoveredEntries = registry.makeGauge(descriptor: Self.descriptor(
            "ledger_uncovered_entries", "Deletion records not yet published under a signed checkpoint."))
        ledgerLogEntries = registry.makeGauge(descriptor: Self.descriptor(
            "ledger_log_entries", "Entries in the public log (commitments and period summaries)."))
        checkpointAge = registry.makeGauge(descriptor: Self.descriptor(
            "checkpoint_age", unit: "seconds", "0 when every record is checkpointed, else seconds since the last checkpoint."))
        ledgerFsyncs = registry.makeGauge(descriptor: Self.descriptor(
            "ledger_fsyncs", "fsyncs of the deletion records since start (group commit: fewer than the records)."))
        ledgerClockSteps = registry.makeGauge(descriptor: Self.descriptor(
            "ledger_clock_steps", "Steps of the wall clock the ledger saw and recorded since start."))
        ledgerFreeBytes = registry.makeGauge(descriptor: Self.descriptor(
            "ledger_free", unit: "bytes", "Free bytes on the ledger's volume."))
        keysPublished = registry.makeGauge(descriptor: Self.descriptor(
            "ohttp_keys_published", "OHTTP key configurations published for discovery."))
        keysAccepted = registry.makeGauge(descriptor: Self.descriptor(
            "ohttp_keys_accepted", "OHTTP key ids accepted for decryption (published, new, or in their grace period)."))
    }

    /// Counts a finished request by kind, outcome, stable error code and the code's disposition,
    /// so that an alert can select the worker's own faults (`internal`, `unavailable`) without a
    /// list of codes that goes stale when one is added.
    func countRequest(kind: String?, error: LetheError.Code?) {
        registry.makeCounter(
            descriptor: Self.requestsTotal,
            labels: [
                ("kind", kind ?? "unknown"), ("outcome", error == nil ? "ok" : "error"),
                ("code", error?.rawValue ?? "none"), ("disposition", error.map { Self.label($0.disposition) } ?? "none"),
            ]
        ).increment()
    }

    /// A disposition as a label value: snake_case like every other label value (`retry_later`).
    static func label(_ disposition: LetheError.Disposition) -> String {
        disposition.rawValue.reduce(into: "") { label, character in
            if character.isUppercase { label += "_" + character.lowercased() } else { label.append(character) }
        }
    }

    /// Counts a request refused before processing (admission, size, media type).
    func countRefusal(reason: String) {
        registry.makeCounter(descriptor: Self.refusalsTotal, labels: [("reason", reason)]).increment()
    }

    /// Counts a replayed request (aggregated only: a replay leaves no ledger entry of its own).
    func countReplay() {
        replaysRefused.increment()
    }

    /// Records how long a stage took.
    func observe(_ stage: Stage, _ duration: Duration) {
        stageDurations[stage]?.record(duration)
    }

    /// Records how long a gateway request took from arrival to answer.
    func observeRequest(_ duration: Duration) {
        requestDuration.record(duration)
    }

    /// Records a request's wipe.
    func recordWipe(_ report: WipeReport, plaintextLifetime lifetime: Duration) {
        wipes.increment(by: Int64(report.bufferCount))
        if !report.verified { wipeVerifyFailures.increment() }
        if report.bufferCount > 0 {
            plaintextLifetime.record(lifetime)
            wipeDuration.record(report.wipeDuration)
        }
    }

    /// What the admin listener reads at scrape time besides the process: the ledger's growth and
    /// the OHTTP keys.
    struct ScrapeState {
        var ledgerEntries: Int
        var ledgerUncoveredEntries: Int
        /// 0 when every entry is covered by a checkpoint, else seconds since the last checkpoint.
        var checkpointAgeSeconds: Double
        var ledgerLogEntries: Int
        var ledgerFsyncs: Int
        var ledgerClockSteps: Int
        var ledgerFreeBytes: Int
        var keysPublished: Int
        var keysAccepted: Int
    }

    /// The Prometheus text exposition, with the gauges that are read at scrape time refreshed.
    func exposition(hardening: HardeningStatus, state: ScrapeState) -> String {
        plaintextBytes.set(to: Double(PlaintextArena.bytesHeldNow.load(ordering: .relaxed)))
        uploads.set(to: Double(uploadsInProgress.load(ordering: .relaxed)))
        replayCache.set(to: Double(replayCacheEntries.load(ordering: .relaxed)))
        codecPassesAborted.set(to: Double(ProcessingDeadline.codecPassesAborted + EnginePool.codecPassesAborted.load(ordering: .relaxed)))
        let capacity = MemoryBudget.capacityBytes
        memoryBudget.set(to: capacity == .max ? 0 : Double(capacity))
        memoryReserved.set(to: Double(MemoryBudget.reservedBytes))
        if let process = ProcessStatistics.current() {
            residentMemory.set(to: Double(process.residentBytes))
            cpuSeconds.set(to: process.cpuSeconds)
        }
        let active: [String: Bool] = [
            "non_dumpable": hardening.nonDumpable, "core_limit_zero": hardening.coreLimitZero,
            "mlock": hardening.memoryLockAvailable, "heap_scrub": hardening.heapScrub,
            "glib_slices": hardening.glibSlicesScrubbed, "landlock": hardening.filesystem.isActive,
        ]
        for (mechanism, gauge) in hardeningActive { gauge.set(to: active[mechanism] == true ? 1 : 0) }
        plaintextLockedBytes.set(to: Double(hardening.lockedBytes))
        plaintextMappedBytes.set(to: Double(hardening.plaintextMappedBytes))
        mlockFailures.set(to: Double(hardening.lockFailures))
        ledgerEntries.set(to: Double(state.ledgerEntries))
        ledgerUncoveredEntries.set(to: Double(state.ledgerUncoveredEntries))
        checkpointAge.set(to: state.checkpointAgeSeconds)
        ledgerLogEntries.set(to: Double(state.ledgerLogEntries))
        ledgerFsyncs.set(to: Double(state.ledgerFsyncs))
        ledgerClockSteps.set(to: Double(state.ledgerClockSteps))
        ledgerFreeBytes.set(to: Double(state.ledgerFreeBytes))
        keysPublished.set(to: Double(state.keysPublished))
        keysAccepted.set(to: Double(state.keysAccepted))
        return registry.emitToString()
    }
}
