import Foundation
import Synchronization

/// Lets at most `capacity` worker processes start at once in the test process.
///
/// Every test runs in one process, in parallel: a fresh run reached some forty `lethe serve`
/// start-ups within a second, each warming up a gateway and its engines (a decode, an analysis
/// and a rendering of every kind) on two cores, and on a busy machine none of them printed its
/// address within the start-up deadline. Start-ups beyond the cores only make each one slower, so
/// they queue here instead, without holding a thread (a suspended task), and each start-up's
/// deadline runs from its turn. Only the start-up is gated: a test may then hold several workers.
public final class StartupSlots: Sendable {
    /// One start-up per core.
    public static let workers = StartupSlots(capacity: ProcessInfo.processInfo.activeProcessorCount)

    private struct State {
        var free: Int
        var waiting: [CheckedContinuation<Void, Never>] = []
    }

    private let state: Mutex<State>

    public init(capacity: Int) {
        precondition(capacity > 0)
        state = Mutex(State(free: capacity))
    }

    /// Waits (suspended) for a free slot and takes it.
    public func acquire() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let granted = state.withLock { state -> Bool in
                guard state.free > 0 else {
                    state.waiting.append(continuation)
                    return false
                }
                state.free -= 1
                return true
            }
            if granted { continuation.resume() }
        }
    }

    /// Gives the slot back: to the longest waiting start-up if there is one.
    public func release() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard !state.waiting.isEmpty else {
                state.free += 1
                return nil
            }
            return state.waiting.removeFirst()
        }
        next?.resume()
    }
}
