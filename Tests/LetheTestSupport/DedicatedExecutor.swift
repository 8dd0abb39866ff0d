import Foundation

/// A task executor with threads of its own, for the in-process workers of the tests and for the
/// devices of tests that must catch a worker in the middle of a request.
///
/// Every test target runs in one process, and Swift concurrency's shared pool has one thread per
/// core. The kit's waits no longer hold those threads (`offThePool`, `Task.sleep`), but tests
/// elsewhere in the process that compute for minutes (analysis accuracy, imaging) still do; a
/// worker whose request handling shared them would then answer late or not at all. Workers run
/// under `withTaskExecutorPreference(.shared)`, so their handlers (structured child tasks) run
/// here instead; a device task is started with `Task(executorPreference: .shared)`.
public final class DedicatedExecutor: TaskExecutor, @unchecked Sendable {
    // @unchecked Sendable: `jobs` is only touched under `condition`.
    public static let shared = DedicatedExecutor(threads: 4)

    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []

    private init(threads: Int) {
        for index in 0..<threads {
            let thread = Thread { [unowned self] in self.work() }
            thread.name = "lethe-test-worker-\(index)"
            thread.start()
        }
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    private func work() {
        while true {
            condition.lock()
            while jobs.isEmpty { condition.wait() }
            let job = jobs.removeFirst()
            condition.unlock()
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
    }
}
