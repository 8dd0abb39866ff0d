import Logging
import Synchronization

/// One request's stage latencies: each measurement goes to the stage histogram on `/metrics` and
/// is kept for the request's "request finished" log line. Durations only, never content.
final class StageTimings: Sendable {
    private let metrics: WorkerMetrics
    private let durations = Mutex<[WorkerMetrics.Stage: Duration]>([:])

    init(metrics: WorkerMetrics) {
        self.metrics = metrics
    }

    /// Runs one stage and records its latency (summed when a stage runs once per photo).
    func measure<T, E: Error>(_ stage: WorkerMetrics.Stage, _ body: () throws(E) -> T) throws(E) -> T {
        let started = ContinuousClock.now
        defer { record(stage, .now - started) }
        return try body()
    }

    /// Records a latency measured elsewhere.
    func record(_ stage: WorkerMetrics.Stage, _ duration: Duration) {
        metrics.observe(stage, duration)
        durations.withLock { $0[stage, default: .zero] += duration }
    }

    /// `<stage>_ms` fields for the log line, in pipeline order, for the stages that ran.
    var logMetadata: Logger.Metadata {
        let measured = durations.withLock { $0 }
        var metadata: Logger.Metadata = [:]
        for stage in WorkerMetrics.Stage.allCases {
            guard let duration = measured[stage] else { continue }
            metadata["\(stage.rawValue)_ms"] = "\(Self.milliseconds(duration))"
        }
        return metadata
    }

    /// Milliseconds with microsecond resolution, e.g. "12.345".
    static func milliseconds(_ duration: Duration) -> String {
        String(format: "%.3f", Double(duration.wholeMicroseconds) / 1000)
    }
}
