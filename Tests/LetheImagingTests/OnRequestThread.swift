import Dispatch
import LetheImaging

/// Runs `body` with its deadline on a Dispatch thread bound to a deadline with `limits` (as the engine binds its
/// request thread), made on that thread just before `body` and set up by `prepare` (a test that
/// waits for a thread must not spend its deadline waiting); returns `body`'s result and the deadline.
func onRequestThread<T: Sendable>(
    limits: ProcessingDeadline.Limits = .init(wallClock: .seconds(600), cpu: nil),
    prepare: @escaping @Sendable (ProcessingDeadline) -> Void = { _ in }, _ body: @escaping @Sendable (ProcessingDeadline) -> T
) async -> (result: T, deadline: ProcessingDeadline) {
    await withCheckedContinuation { continuation in
        DispatchQueue.global().async {
            let deadline = ProcessingDeadline(limits: limits)
            prepare(deadline)
            deadline.bindToCurrentThread()
            let result = body(deadline)
            ProcessingDeadline.unbindCurrentThread()
            continuation.resume(returning: (result, deadline))
        }
    }
}
