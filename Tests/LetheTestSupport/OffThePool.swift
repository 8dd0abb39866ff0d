import Foundation

/// Runs `work`, which blocks (a child process, a memory scan), on a Dispatch thread and waits for
/// it without holding a thread of Swift concurrency's pool.
///
/// Every test runs in one process, and that pool has one thread per core: a test that blocked one
/// of them would stall every other test's async work (URLSession completions, `Task.sleep`
/// wake-ups, in-process workers). Async tests therefore wait with `Task.sleep` or through this.
public func offThePool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(with: Result { try work() }) }
    }
}
