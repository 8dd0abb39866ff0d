import Dispatch
import Synchronization

/// Races a wait against its deadline for the admission queues (`AdmissionControl`,
/// `DecodeBudget`): `wait` returns true once it was let in; `expire`, run after `timeout` or as
/// soon as the waiting task is cancelled, ends the wait and returns true only if `wait` had been
/// let in meanwhile. Both run on the queue's actor, so exactly one of them decides.
func waitOrExpire(
    after timeout: Duration, wait: @escaping @Sendable () async -> Bool, expire: @escaping @Sendable () async -> Bool
) async -> Bool {
    await withTaskGroup(of: Bool.self) { group in
        group.addTask { await wait() }
        group.addTask {
            await sleepUnlessCancelled(for: timeout)
            return await expire()
        }
        let first = await group.next() ?? false
        group.cancelAll()
        return first
    }
}

/// Waits `duration`, or until the task is cancelled; a cancelled wait gives its timer back at once.
///
/// `Task.sleep` does not: cancelled, it returns at once but leaves its wake-up job queued in
/// Dispatch until the deadline (swiftlang/swift#60441; a fix is proposed in #89075). As the
/// deadline of every queued request that meant ~720 bytes held for the whole queue timeout after
/// the request had been let in — the soak's steady growth (+4.5 MiB over 10,000 requests with
/// `--queue-timeout 120`).
func sleepUnlessCancelled(for duration: Duration) async {
    let wake = SleepWake()
    let timer = DispatchSource.makeTimerSource(queue: .global())
    timer.setEventHandler { wake.fire() }
    timer.schedule(deadline: .now() + duration.dispatchInterval)
    timer.activate()
    await withTaskCancellationHandler {
        await withCheckedContinuation { wake.wait($0) }
    } onCancel: {
        wake.fire()
    }
    // Takes the timer out of Dispatch now (nothing happens if it has fired).
    timer.cancel()
}

/// The one resumption of a `sleepUnlessCancelled`: by its timer or by cancellation, whichever
/// comes first, and possibly before the sleeper has begun to wait.
private final class SleepWake: Sendable {
    private enum State {
        case armed
        case waiting(CheckedContinuation<Void, Never>)
        case fired
    }

    private let state = Mutex(State.armed)

    func wait(_ continuation: CheckedContinuation<Void, Never>) {
        let firedAlready = state.withLock { state in
            if case .fired = state { return true }
            state = .waiting(continuation)
            return false
        }
        if firedAlready { continuation.resume() }
    }

    func fire() {
        let sleeper: CheckedContinuation<Void, Never>? = state.withLock { state in
            defer { state = .fired }
            if case .waiting(let continuation) = state { return continuation }
            return nil
        }
        sleeper?.resume()
    }
}

extension Duration {
    /// The duration for a Dispatch deadline, in whole nanoseconds (at most ~292 years).
    fileprivate var dispatchInterval: DispatchTimeInterval {
        let (seconds, attoseconds) = components
        let limit = Int64.max / 1_000_000_000 - 1
        return .nanoseconds(Int(max(0, min(seconds, limit)) * 1_000_000_000 + max(0, attoseconds) / 1_000_000_000))
    }
}
