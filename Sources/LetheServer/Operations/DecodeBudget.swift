/// The pixels the engines may hold decoded at once (`--decode-budget-megapixels`).
///
/// A busy engine holds its photo decoded (width × height × 3 bytes) and working planes besides:
/// two engines each decoding a 50 MP photo peaked at 690 MB of summed VmHWM. Before a job goes to
/// an engine, the gateway reserves the largest photo's declared pixels here (an engine decodes a
/// session's photos one after the other and wipes each before the next); a job that does not fit
/// waits, first come first served, at most `timeout`, and is refused after it. A photo larger than
/// the whole budget could never fit and is refused at once.
actor DecodeBudget {
    /// Why a job was not given room.
    enum Refusal: Error, Equatable {
        /// More pixels than the whole budget.
        case tooLarge
        /// No room within `timeout` (or the waiting request was cancelled).
        case timedOut
    }

    private struct Waiter {
        let id: Int
        let pixels: Int
        let continuation: CheckedContinuation<Bool, Never>
    }

    let capacityPixels: Int
    let timeout: Duration
    private let metrics: WorkerMetrics
    private(set) var reservedPixels = 0
    /// The most pixels reserved at once since the worker started.
    private(set) var peakPixels = 0
    private var waiters: [Waiter] = []
    private var nextID = 0
    /// Waiters whose deadline passed before their wait began, and waiters a release gave room.
    private var expiredBeforeWaiting: Set<Int> = []
    private var grantedWaiters: Set<Int> = []

    init(capacityPixels: Int, timeout: Duration, metrics: WorkerMetrics) {
        self.capacityPixels = max(1, capacityPixels)
        self.timeout = timeout
        self.metrics = metrics
        metrics.decodeBudgetCapacity.set(to: Double(self.capacityPixels))
    }

    /// Runs `body` holding `pixels` of the budget, given back however `body` ends.
    /// - Throws: `Refusal` when the pixels can never fit or did not fit in time.
    nonisolated func withReservation<Result: Sendable>(
        pixels: Int, _ body: () async throws -> Result
    ) async throws -> Result {
        try await reserve(pixels)
        do {
            let result = try await body()
            await release(pixels)
            return result
        } catch {
            await release(pixels)
            throw error
        }
    }

    /// Requests waiting for room now (for tests and the gauge).
    var waiting: Int { waiters.count }

    private func reserve(_ pixels: Int) async throws(Refusal) {
        guard pixels <= capacityPixels else { throw .tooLarge }
        // Only when nobody waits: a large photo at the head of the queue is not overtaken forever.
        if waiters.isEmpty, reservedPixels + pixels <= capacityPixels {
            take(pixels)
            return
        }
        metrics.decodeBudgetWaits.increment()
        let id = nextID
        nextID += 1
        // A release gives this waiter room (true), or the deadline or a cancellation comes first
        // (false). Both paths run on this actor, so exactly one of them decides.
        let granted = await waitOrExpire(
            after: timeout, wait: { await self.wait(id: id, pixels: pixels) }, expire: { await self.expire(id: id) })
        grantedWaiters.remove(id)
        guard granted else {
            metrics.decodeBudgetTimeouts.increment()
            throw .timedOut
        }
    }

    private func wait(id: Int, pixels: Int) async -> Bool {
        if expiredBeforeWaiting.remove(id) != nil { return false }
        // Room freed after this request was turned away but before its wait began.
        if waiters.isEmpty, reservedPixels + pixels <= capacityPixels {
            take(pixels)
            grantedWaiters.insert(id)
            return true
        }
        return await withCheckedContinuation { continuation in
            waiters.append(Waiter(id: id, pixels: pixels, continuation: continuation))
            metrics.decodeBudgetWaiting.set(to: Double(waiters.count))
        }
    }

    /// Ends a wait: false when the waiter had no room yet, true when a release had given it room.
    private func expire(id: Int) -> Bool {
        if grantedWaiters.contains(id) { return true }
        guard let index = waiters.firstIndex(where: { $0.id == id }) else {
            expiredBeforeWaiting.insert(id)
            return false
        }
        waiters.remove(at: index).continuation.resume(returning: false)
        metrics.decodeBudgetWaiting.set(to: Double(waiters.count))
        // The head of the queue may have been what held the others back.
        grantWaiters()
        return false
    }

    private func release(_ pixels: Int) {
        reservedPixels -= pixels
        metrics.decodeBudgetReserved.set(to: Double(reservedPixels))
        grantWaiters()
    }

    /// Gives room to waiters in arrival order while the oldest fits.
    private func grantWaiters() {
        while let head = waiters.first, reservedPixels + head.pixels <= capacityPixels {
            waiters.removeFirst()
            take(head.pixels)
            grantedWaiters.insert(head.id)
            head.continuation.resume(returning: true)
        }
        metrics.decodeBudgetWaiting.set(to: Double(waiters.count))
    }

    private func take(_ pixels: Int) {
        reservedPixels += pixels
        metrics.decodeBudgetReserved.set(to: Double(reservedPixels))
        peakPixels = max(reservedPixels, peakPixels)
        metrics.decodeBudgetPeak.set(to: Double(peakPixels))
    }
}
