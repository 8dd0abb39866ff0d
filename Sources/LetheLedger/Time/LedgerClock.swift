import Foundation

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

/// A step of the wall clock the ledger saw: from the time the monotonic clock vouched for to the
/// time the wall clock then said. Recorded in the first record and the period summary after it,
/// so that an auditor sees why time went backwards (or leapt) there.
public struct ClockStep: Codable, Sendable, Equatable {
    /// Where the wall clock should have been (RFC 3339, milliseconds).
    public var from: String
    /// Where it was (RFC 3339, milliseconds).
    public var to: String

    public init(from: String, to: String) {
        self.from = from
        self.to = to
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

/// Millisecond timestamps and publication periods.
public enum LedgerTime {
    /// Milliseconds since 1970 (rounded down), clamped to years 0…9999.
    public static func milliseconds(_ date: Date) -> Int64 {
        Int64(min(max((date.timeIntervalSince1970 * 1000).rounded(.down), -62_167_219_200_000), 253_402_300_799_999))
    }

    /// RFC 3339 UTC with exactly three fractional digits, e.g. `2026-11-22T10:15:03.042Z`, made
    /// from the integer so that a stamp and its period never disagree by a rounding.
    public static func timestamp(_ milliseconds: Int64) -> String {
        let (seconds, fraction) = milliseconds.quotientAndRemainder(dividingBy: 1000)
        let whole = fraction < 0 ? seconds - 1 : seconds
        let rest = fraction < 0 ? fraction + 1000 : fraction
        let text = Date(timeIntervalSince1970: Double(whole)).formatted(Date.ISO8601FormatStyle(timeZone: .gmt))
        return String(text.dropLast()) + "." + String(format: "%03d", Int(rest)) + "Z"
    }

    /// Parses what `timestamp` writes: `YYYY-MM-DDTHH:MM:SS.f…Z` (1 to 9 fractional digits), and
    /// nothing else (no offsets, no trailing bytes: Foundation's parser alone accepts some).
    public static func milliseconds(_ timestamp: String) -> Int64? {
        let bytes = Array(timestamp.utf8)
        let digit = { (byte: UInt8) in (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }
        let shape = Array("dddd-dd-ddTdd:dd:dd.".utf8)
        guard (22...30).contains(bytes.count), bytes.last == UInt8(ascii: "Z"),
            zip(shape, bytes).allSatisfy({ $0 == UInt8(ascii: "d") ? digit($1) : $0 == $1 }),
            bytes[shape.count..<(bytes.count - 1)].allSatisfy(digit),
            let date = try? Date(timestamp, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt)),
            (-62_167_219_200.0...253_402_300_799.999).contains(date.timeIntervalSince1970)
        else { return nil }
        return Int64((date.timeIntervalSince1970 * 1000).rounded())
    }

    /// Start of the period of `length` milliseconds holding `milliseconds` (periods are aligned to 1970).
    public static func periodStart(_ milliseconds: Int64, length: Int64) -> Int64 {
        let (quotient, remainder) = milliseconds.quotientAndRemainder(dividingBy: length)
        return (remainder < 0 ? quotient - 1 : quotient) * length
    }
}

extension Duration {
    /// Whole milliseconds, truncated toward zero.
    var wholeMilliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
