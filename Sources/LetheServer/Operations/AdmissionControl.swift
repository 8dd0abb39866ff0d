import LetheImaging

/// Bounded concurrency with a bounded, deadline-limited queue: at most `maxConcurrent` requests
/// are processed at once and at most `maxQueued` wait, each at most `queueTimeout`. Past that a
/// request is refused at once (503 with Retry-After) instead of piling up memory. The requests it
/// holds, and those on their way in (`arrive()`), are recorded in the worker's core ledger
/// (`RequestThreads`).
actor AdmissionControl {
    /// Why a request was not admitted.
    enum Refusal: String, Error {
        case queueFull = "queue_full"
        case queueTimeout = "queue_timeout"
    }

    private struct Waiter {
        let id: Int
        let continuation: CheckedContinuation<Bool, Never>
    }

    let maxConcurrent: Int
    let maxQueued: Int
    let queueTimeout: Duration
    private let metrics: WorkerMetrics
    /// Where the requests held are recorded (nil: nowhere).
    private let cores: CoreLedger?
    private var running = 0 { didSet { record() } }
    /// Queue places taken: counted when a request is let into the queue, before it suspends to
    /// wait, so that requests arriving meanwhile see it (the bound is checked and reserved in one
    /// step on this actor). `waiters` only holds those whose wait has begun.
    private var queuePlacesTaken = 0 { didSet { record() } }
    /// Requests whose body is on its way in (`arrive()`, until `withAdmission(arrived: true)`
    /// admits, queues or refuses them, or `leftBeforeAdmission()`): counted from their first byte,
    /// so that a burst's first request, admitted while the others still arrive, does not start a
    /// helper thread on the core its followers are about to need (at four devices an engine
    /// working beside itself at the burst's start held ~94 MiB beside the other's peak).
    private var arriving = 0 { didSet { record() } }
    private var waiters: [Waiter] = []
    private var nextID = 0
    /// Waiters whose deadline passed before they were queued, and waiters `leave()` admitted.
    private var expiredBeforeWaiting: Set<Int> = []
    private var admittedWaiters: Set<Int> = []

    /// - Parameter cores: the worker's core ledger, which is told how many requests the worker
    ///   holds (processed and queued): while they are as many as the cores, each has a core to
    ///   itself and none starts a helper thread (`RequestThreads`).
    init(maxConcurrent: Int, maxQueued: Int, queueTimeout: Duration, metrics: WorkerMetrics, cores: CoreLedger? = nil) {
        self.maxConcurrent = max(1, maxConcurrent)
        self.maxQueued = max(0, maxQueued)
        self.queueTimeout = queueTimeout
        self.metrics = metrics
        self.cores = cores
    }

    private func record() {
        cores?.requests = arriving + running + queuePlacesTaken
    }

    /// A request's body has begun to arrive: it counts as the worker's from now on.
    func arrive() { arriving += 1 }

    /// A request that `arrive()` counted goes without asking for admission (its body failed).
    func leftBeforeAdmission() { arriving -= 1 }

    /// Runs `body` once admitted; throws `Refusal` when the queue is full or the wait times out
    /// (or the waiting request is cancelled). `arrived`: the request was counted by `arrive()`,
    /// and stops being counted as arriving as it is admitted, queued or refused.
    nonisolated func withAdmission<Result: Sendable>(arrived: Bool = false, _ body: () async throws -> Result) async throws -> Result {
        try await admit(arrived: arrived)
        do {
            let result = try await body()
            await leave()
            return result
        } catch {
            await leave()
            throw error
        }
    }

    private func admit(arrived: Bool) async throws(Refusal) {
        // Counted where it goes before it stops counting as arriving: the ledger never dips.
        if running < maxConcurrent {
            running += 1
            if arrived { arriving -= 1 }
            metrics.inFlight.set(to: Double(running))
            return
        }
        guard queuePlacesTaken < maxQueued else {
            if arrived { arriving -= 1 }
            throw .queueFull
        }
        queuePlacesTaken += 1
        if arrived { arriving -= 1 }
        metrics.queued.set(to: Double(queuePlacesTaken))
        defer {
            queuePlacesTaken -= 1
            metrics.queued.set(to: Double(queuePlacesTaken))
        }
        let id = nextID
        nextID += 1
        // `leave()` hands this waiter a slot (true), or the deadline or a cancellation comes first
        // (false). Both paths run on this actor, so exactly one of them decides.
        let admitted = await waitOrExpire(after: queueTimeout, wait: { await self.wait(id: id) }, expire: { await self.expire(id: id) })
        admittedWaiters.remove(id)
        guard admitted else { throw .queueTimeout }
    }

    private func wait(id: Int) async -> Bool {
        if expiredBeforeWaiting.remove(id) != nil { return false }
        // A slot freed after this request took its queue place but before its wait began found no
        // waiter to hand it to (`leave()`): take it now rather than wait for the next one.
        if running < maxConcurrent {
            running += 1
            metrics.inFlight.set(to: Double(running))
            admittedWaiters.insert(id)
            return true
        }
        return await withCheckedContinuation { continuation in
            waiters.append(Waiter(id: id, continuation: continuation))
        }
    }

    /// Ends a wait: false when the waiter was still queued (or not yet queued), true when
    /// `leave()` had already handed it a slot.
    private func expire(id: Int) -> Bool {
        if admittedWaiters.contains(id) { return true }
        guard let index = waiters.firstIndex(where: { $0.id == id }) else {
            expiredBeforeWaiting.insert(id)
            return false
        }
        let waiter = waiters.remove(at: index)
        waiter.continuation.resume(returning: false)
        return false
    }

    private func leave() {
        if waiters.isEmpty {
            running -= 1
        } else {
            // The slot passes straight to the oldest waiter: `running` stays the same.
            let waiter = waiters.removeFirst()
            admittedWaiters.insert(waiter.id)
            waiter.continuation.resume(returning: true)
        }
        metrics.inFlight.set(to: Double(running))
    }

    /// Requests holding a queue place now (for tests and the gauge).
    var queued: Int { queuePlacesTaken }
}
