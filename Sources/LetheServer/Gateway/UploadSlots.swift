import Synchronization

/// The bound on request bodies being received at once, apart from the processing slots: a body
/// takes an upload slot while it arrives and a processing slot (`AdmissionControl`) only once it
/// is complete, so that slow senders can never hold the slots that decrypt and analyse.
/// No queue: when every upload slot is taken the request is refused at once (503, Retry-After).
struct UploadSlots: Sendable {
    let capacity: Int
    /// Holds the count (`WorkerMetrics.uploadsInProgress`, read by `/metrics` at scrape time).
    private let metrics: WorkerMetrics

    init(capacity: Int, metrics: WorkerMetrics) {
        self.capacity = max(1, capacity)
        self.metrics = metrics
    }

    /// Uploads in progress.
    var inUse: Int { metrics.uploadsInProgress.load(ordering: .relaxed) }

    /// Takes a slot, or returns false when all are taken. Checked and taken in one atomic step.
    func tryTake() -> Bool {
        var current = metrics.uploadsInProgress.load(ordering: .relaxed)
        while current < capacity {
            let (exchanged, original) = metrics.uploadsInProgress.compareExchange(
                expected: current, desired: current + 1, ordering: .acquiringAndReleasing)
            if exchanged { return true }
            current = original
        }
        return false
    }

    /// Gives a slot back.
    func release() {
        metrics.uploadsInProgress.subtract(1, ordering: .acquiringAndReleasing)
    }
}
