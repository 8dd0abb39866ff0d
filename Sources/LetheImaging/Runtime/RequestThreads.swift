import CLetheDeadline
import LetheMemory
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A request's second core: independent parts of one analysis side by side.
///
/// `fork` runs its second part on a helper thread only when the request bound to the calling
/// thread may run another thread (`--request-threads`), the worker holds fewer requests than
/// cores (`CoreLedger.requests`) and a core is free in its `CoreLedger`; otherwise both parts run
/// here, one after the other. Either way each part computes the same
/// operations in the same order, so the results are bit-identical. The helper is the request's
/// while it runs: it is bound to the request's deadline (its loops stop at it) and its CPU clock
/// counts against the request's CPU budget; before it ends, it zeroes its dead stack frames, which
/// hold pieces of the photo like the request thread's (`ThreadStack`).
///
/// Blocking threads of our own, not Swift concurrency's pool: the analysis is synchronous and
/// CPU-bound, and a fork lasts tens of milliseconds, against ~0.1 ms to start and end a thread.
public enum RequestThreads {
    /// The helper thread's stack: glibc's default for the main thread's limit, far above the
    /// deepest analysis call chain and `ThreadStack.wipedBytes`.
    static let helperStackBytes = 8 << 20

    /// Runs `first` on this thread and `second` beside it on a helper thread when the request may
    /// use another core and one is free (otherwise after `first`, here; see the type); returns both results.
    public static func fork<First, Second>(_ first: () -> First, _ second: () -> Second) -> (First, Second) {
        forkTelling({ _ in first() }, second)
    }

    /// `fork`, telling `first` whether `second` runs beside it on a helper thread (true) or after
    /// it on this thread (false): for work worth doing only while another core is free.
    public static func forkTelling<First, Second>(_ first: (_ besideSecond: Bool) -> First, _ second: () -> Second) -> (First, Second) {
        forkTellingBoth(first, { _ in second() })
    }

    /// `fork`, telling both parts whether they run side by side (true) or one after the other on
    /// this thread (false, `first` first): for parts that hold less memory at once when they know
    /// nothing runs beside them.
    public static func forkTellingBoth<First, Second>(
        _ first: (_ beside: Bool) -> First, _ second: (_ beside: Bool) -> Second
    ) -> (First, Second) {
        guard let deadline = lethe_deadline_current() else { return (first(false), second(false)) }
        let ticket = lethe_deadline_take_helper(deadline)
        guard ticket >= 0 else { return (first(false), second(false)) }
        return withoutActuallyEscaping({ second(true) }) { secondBeside in
            let helper = Helper(deadline: deadline, ticket: ticket, body: secondBeside)
            guard let thread = helper.start() else {
                lethe_deadline_give_helper(deadline, ticket)
                return (first(false), second(false))
            }
            let firstResult = first(true)
            pthread_join(thread, nil)
            return (firstResult, helper.result!)
        }
    }

    /// Begins `body` on a helper thread when the request may use another core and one is free,
    /// and returns at once; nil otherwise (nothing runs: the caller decides what to do without
    /// it). The caller goes on with its own part and `join()`s the result when it needs it: for a
    /// part whose result is needed later than the caller's next step (the whole photo decoded
    /// while the overview's analysis begins), where `fork` would hold the caller at the join.
    public static func begin<Value: Sendable>(_ body: @escaping () -> Value) -> Pending<Value>? {
        guard let deadline = lethe_deadline_current() else { return nil }
        let ticket = lethe_deadline_take_helper(deadline)
        guard ticket >= 0 else { return nil }
        let helper = Helper(deadline: deadline, ticket: ticket, body: body)
        guard let thread = helper.start() else {
            lethe_deadline_give_helper(deadline, ticket)
            return nil
        }
        return Pending(helper: helper, thread: thread)
    }

    /// A part `begin` started on a helper thread. `join()` waits for it once and then returns its
    /// result every time; a pending part no one joined is joined when the last reference goes, so
    /// that no helper outlives what it reads (the request's bytes and arena).
    // @unchecked Sendable: every access to `thread` and `value` is under `lock`; the helper writes
    // its result before it ends, and the joining thread reads it after `pthread_join`.
    public final class Pending<Value: Sendable>: @unchecked Sendable {
        private let helper: Helper<Value>
        private let lock = Mutex<(thread: pthread_t?, value: Value?)>((nil, nil))

        fileprivate init(helper: Helper<Value>, thread: pthread_t) {
            self.helper = helper
            lock.withLock { $0.thread = thread }
        }

        /// The part's result, once it has ended.
        public func join() -> Value {
            lock.withLock { state in
                if let thread = state.thread {
                    pthread_join(thread, nil)
                    state = (nil, helper.result)
                }
                return state.value!
            }
        }

        /// Whether `join()` has been called (the part has ended and its result is here).
        public var isJoined: Bool { lock.withLock { $0.thread == nil } }

        deinit { _ = join() }
    }

    /// One helper run: what it computes and where its result goes.
    // @unchecked Sendable: the helper thread writes `result` before it ends, and the forking
    // thread reads it only after `pthread_join`, which orders the two.
    fileprivate final class Helper<Result>: @unchecked Sendable {
        let deadline: OpaquePointer
        let ticket: Int32
        let body: () -> Result
        var result: Result?

        init(deadline: OpaquePointer, ticket: Int32, body: @escaping () -> Result) {
            self.deadline = deadline
            self.ticket = ticket
            self.body = body
        }

        /// Starts the thread; nil when the system refuses one (the caller then runs `body` itself).
        func start() -> pthread_t? {
            var attributes = pthread_attr_t()
            pthread_attr_init(&attributes)
            defer { pthread_attr_destroy(&attributes) }
            pthread_attr_setstacksize(&attributes, RequestThreads.helperStackBytes)
            var thread = pthread_t()
            let context = Unmanaged.passRetained(self as AnyObject).toOpaque()
            guard pthread_create(&thread, &attributes, { context in
                let helper = Unmanaged<AnyObject>.fromOpaque(context!).takeRetainedValue() as! any HelperRun
                helper.run()
                return nil
            }, context) == 0 else {
                Unmanaged<AnyObject>.fromOpaque(context).release()
                return nil
            }
            return thread
        }
    }
}

/// The helper thread's whole life, type-erased for the C entry point.
private protocol HelperRun: AnyObject {
    func run()
}

extension RequestThreads.Helper: HelperRun {
    func run() {
        lethe_deadline_start_helper(deadline, ticket)
        result = body()
        // Called from this frame, above every frame `body` used: zeroes all of them. (glibc also
        // gives the pages below an ending thread's frame back with MADV_DONTNEED, which frees them
        // unzeroed; and the thread is alive until then.)
        ThreadStack.wipeBelowCaller()
        lethe_deadline_finish_helper(deadline, ticket)
        // Its core back as soon as its part is done, not when the forking thread joins it: a
        // `first` that runs on (the wrinkle lines beside the skin measures) may fork again.
        lethe_deadline_give_helper(deadline, ticket)
    }
}
