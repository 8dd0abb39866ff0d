import CLetheDeadline
import CVips
import LetheMemory

/// How long one request may compute: a wall-clock limit from the start of its processing and a
/// CPU budget. Enforced between stages by `check()` and inside libvips (between tiles of every
/// pipeline) and libjpeg (between rows of a progressive file's multi-scan pass), which stop the
/// computation in progress once the deadline has passed (see `CLetheDeadline`).
///
/// CPU time is the CPU clock of the thread bound with `bindToCurrentThread()` plus the wall time
/// of the libvips calls it makes (an upper bound of what libvips' single worker per pipeline uses
/// while that thread waits; for the decode's strip pull, which runs on the bound thread, its wall
/// time in place of the thread's clock).
public final class ProcessingDeadline: @unchecked Sendable {
    // @unchecked Sendable: the C state is read and written through atomics only; `limits` is
    // immutable, and the pointer lives as long as this object.

    /// The two limits of one request.
    public struct Limits: Sendable, Equatable, Codable {
        /// Wall-clock time from the start of processing (decryption) to the end of analysis.
        public var wallClock: Duration
        /// CPU time the request may use; nil = only the wall clock counts.
        public var cpu: Duration?

        /// Creates limits; defaults: 30 s of wall-clock time, 15 s of CPU time.
        public init(wallClock: Duration = .seconds(30), cpu: Duration? = .seconds(15)) {
            self.wallClock = wallClock
            self.cpu = cpu
        }
    }

    /// Which limit ended the request.
    public enum Reason: String, Sendable {
        case wallClock = "wall_clock"
        case cpu
        /// `expire()` ended it early.
        case ended
    }

    /// The limits this deadline enforces.
    public let limits: Limits
    let pointer: OpaquePointer
    /// The cores the request may use (`useCores`), kept mapped while the C state points into them.
    var cores: CoreLedger?

    /// Starts the wall clock now. Traps when the process is out of memory for 100 bytes.
    public init(limits: Limits) {
        self.limits = limits
        guard let pointer = lethe_deadline_create(Self.nanoseconds(limits.wallClock), limits.cpu.map(Self.nanoseconds) ?? 0) else {
            fatalError("out of memory creating a processing deadline")
        }
        self.pointer = pointer
    }

    deinit {
        lethe_deadline_destroy(pointer)
    }

    /// Charges the calling thread's CPU time from now on (call it on the thread that does the work),
    /// and makes this the thread's deadline for `currentThreadDeadlinePassed`. Undo with
    /// `unbindCurrentThread()` before the thread moves on to other work.
    public func bindToCurrentThread() {
        lethe_deadline_bind_thread(pointer)
    }

    /// Clears the calling thread's deadline (a pooled thread serves other requests next).
    public static func unbindCurrentThread() {
        lethe_deadline_unbind_thread()
    }

    /// True once the deadline bound to the calling thread has passed; false when none is bound.
    /// Long pure-Swift loops (analysis over full-resolution planes) read it every few rows and
    /// stop early; the caller then reports `processing_deadline_exceeded`.
    public static var currentThreadDeadlinePassed: Bool {
        lethe_deadline_current_state() != 0
    }

    /// The limit that has passed, or nil while within both.
    public var exceeded: Reason? {
        switch lethe_deadline_state(pointer) {
        case 1: .wallClock
        case 2: .cpu
        case 3: .ended
        default: nil
        }
    }

    /// Throws `processing_deadline_exceeded` once a limit has passed.
    public func check() throws(LetheError) {
        if let reason = exceeded { throw .processingDeadlineExceeded(reason, limits: limits) }
    }

    /// Ends the deadline now: computations watched with it stop at their next tile or row.
    public func expire() {
        lethe_deadline_expire(pointer)
    }

    /// Ends the deadline from inside libvips' `call`-th progress report on a computation watched
    /// with it: the computation is then certainly in progress when it is told to stop (a thread
    /// that waits for progress and then calls `expire()` may be scheduled after it has finished).
    public func expire(atProgressReport call: Int) {
        lethe_deadline_expire_at_progress_call(pointer, Int64(call))
    }

    /// Computations libvips or libjpeg stopped because of this deadline.
    public var interruptions: Int { Int(lethe_deadline_interruptions(pointer)) }

    /// Progress signals libvips has sent for computations watched with this deadline.
    public var progressCalls: Int { Int(lethe_deadline_progress_calls(pointer)) }

    /// CPU time charged so far (see the type's description).
    public var cpuTime: Duration { .nanoseconds(lethe_deadline_cpu_ns(pointer)) }

    /// The longest a single libjpeg pass may run when no live request's deadline is later (the
    /// request deadline, set once at start); nil = no such cap.
    public static func setCodecPassLimit(_ limit: Duration?) {
        lethe_deadline_set_codec_pass_limit(limit.map(nanoseconds) ?? 0)
    }

    /// libjpeg passes stopped by a deadline since the process started.
    public static var codecPassesAborted: Int { Int(lethe_deadline_codec_passes_aborted()) }

    /// Makes libvips report progress on `image` and everything computed from it, and stop that
    /// computation at the deadline. Undone by `unwatch(_:)` before the image is released.
    func watch(_ image: UnsafeMutablePointer<VipsImage>) {
        _ = lethe_deadline_watch(pointer, image)
    }

    func unwatch(_ image: UnsafeMutablePointer<VipsImage>) {
        lethe_deadline_unwatch(pointer, image)
    }

    /// Runs a blocking libvips call, charging its wall time as CPU time.
    func chargingCodec<T>(_ body: () -> T) -> T {
        lethe_deadline_enter_codec(pointer)
        defer { lethe_deadline_leave_codec(pointer) }
        return body()
    }

    /// Runs a libvips computation that the calling thread does itself (a strip pull), charging its
    /// wall time in place of the thread's CPU meanwhile: libjpeg's monitor stops a pass when the
    /// CPU budget left has passed on the wall clock, and `exceeded` then says the budget is spent.
    func chargingCodecOnCallingThread<T>(_ body: () -> T) -> T {
        lethe_deadline_enter_codec_on_calling_thread(pointer)
        defer { lethe_deadline_leave_codec(pointer) }
        return body()
    }

    /// Runs a libvips computation that the calling thread does itself for a caller with no
    /// deadline (a tool's or a test's decode): libjpeg's monitor then never stops its passes
    /// because other requests' deadlines in the process have passed (only at the codec pass cap).
    static func runningCodecWithoutDeadline<T>(_ body: () -> T) -> T {
        lethe_deadline_enter_codec_without_deadline()
        defer { lethe_deadline_leave_codec_without_deadline() }
        return body()
    }

    /// Reports one step (a strip) of a computation the caller drives; true once the deadline has
    /// passed and the computation must stop (then counted as an interruption).
    func reportProgressAndCheckPassed() -> Bool {
        lethe_deadline_report_progress(pointer) != 0
    }

    private static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        let (whole, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        guard !overflow else { return seconds < 0 ? 0 : .max }
        let (total, overflowAdding) = whole.addingReportingOverflow(attoseconds / 1_000_000_000)
        return overflowAdding ? .max : max(0, total)
    }
}
