import Foundation
import LetheTransparency

/// The two clocks the ledger reads: the wall clock, whose time goes into records, and a monotonic
/// clock that tells a step of the wall clock (an operator's `date -s`, a VM restored from a
/// snapshot, a bad NTP server) from time passing. Injectable so that tests can step the wall clock.
public struct LedgerClock: Sendable {
    /// UTC wall-clock time.
    public var wallTime: @Sendable () -> Date
    /// Time elapsed since an arbitrary fixed origin; never steps (Linux `CLOCK_BOOTTIME`).
    public var monotonicTime: @Sendable () -> Duration

    public init(wallTime: @escaping @Sendable () -> Date, monotonicTime: @escaping @Sendable () -> Duration) {
        self.wallTime = wallTime
        self.monotonicTime = monotonicTime
    }

    /// `Date()` and Swift's `ContinuousClock`.
    public static var system: LedgerClock {
        let origin = ContinuousClock.now
        return LedgerClock(wallTime: { Date() }, monotonicTime: { ContinuousClock.now - origin })
    }
}

/// Turns clock readings into ledger stamps that never go backwards by more than a recorded step.
///
/// Each reading is compared with the previous one projected forward by the monotonic time in
/// between. Within `tolerance` the wall clock is believed, and a stamp is raised to the previous
/// stamp at most (so a small backward wobble never reorders records). Beyond it the wall clock
/// stepped: the stamp follows the wall clock and the step is reported. A forward jump therefore
/// never freezes later stamps at the jumped-to time: when the clock is corrected, the correction
/// is itself a step, recorded, and stamps follow the corrected clock at once.
struct LedgerStamps {
    /// Largest disagreement between the wall clock and the monotonic projection that is not a step.
    /// Readings are at most a checkpoint tick (≤ 250 ms) apart while the worker runs, so NTP's
    /// slewing (≤ 0.5 ms/s) stays far below it.
    static let tolerance: Duration = .seconds(1)

    private var lastWallMilliseconds: Int64?
    private var lastMonotonic: Duration?
    /// The newest stamp handed out (or the newest record's time at start).
    private(set) var lastStampMilliseconds: Int64?

    /// Starts after a record stamped `newest` (nil for an empty ledger). Across a restart there is
    /// no monotonic reference: only a wall clock behind `newest` is a step.
    init(newest: Int64?) {
        lastStampMilliseconds = newest
    }

    /// Reads both clocks. - Returns: the stamp in milliseconds since 1970 and the step, if any.
    mutating func read(_ clock: LedgerClock) -> (milliseconds: Int64, step: ClockStep?) {
        let wall = LedgerTime.milliseconds(clock.wallTime())
        let monotonic = clock.monotonicTime()
        defer {
            lastWallMilliseconds = wall
            lastMonotonic = monotonic
        }
        let toleranceMilliseconds = Self.tolerance.wholeMilliseconds
        guard let lastStamp = lastStampMilliseconds else {
            lastStampMilliseconds = wall
            return (wall, nil)
        }
        var step: ClockStep?
        if let lastWall = lastWallMilliseconds, let lastMonotonic {
            let projected = lastWall + (monotonic - lastMonotonic).wholeMilliseconds
            if abs(wall - projected) > toleranceMilliseconds {
                step = ClockStep(from: LedgerTime.timestamp(max(projected, lastStamp)), to: LedgerTime.timestamp(wall))
            }
        } else if wall < lastStamp - toleranceMilliseconds {
            // First reading after a restart, behind the newest record: the clock went back while we were down.
            step = ClockStep(from: LedgerTime.timestamp(lastStamp), to: LedgerTime.timestamp(wall))
        }
        let stamp = step == nil ? max(wall, lastStamp) : wall
        lastStampMilliseconds = stamp
        return (stamp, step)
    }
}

extension Duration {
    /// Whole milliseconds, truncated toward zero.
    var wholeMilliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
