import Foundation

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
