import Foundation

/// HTTP-date (RFC 9110 §5.6.7): the `Date` field a device puts in its encapsulated request and
/// the gateway in its response, which RFC 9458 §6.5 uses against replay.
///
/// Formatting always writes IMF-fixdate; parsing accepts the three formats a recipient must
/// accept (IMF-fixdate, the obsolete RFC 850 and asctime forms), strictly, in UTC. Whole seconds.
public enum HTTPDate {
    private static let weekdays = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let longWeekdays = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// `date` as IMF-fixdate, e.g. `Sun, 06 Nov 1994 08:49:37 GMT` (fractions of a second dropped).
    public static func format(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func twoDigits(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(weekdays[Int(parts.tm_wday)]), \(twoDigits(parts.tm_mday)) \(months[Int(parts.tm_mon)]) \(parts.tm_year + 1900) "
            + "\(twoDigits(parts.tm_hour)):\(twoDigits(parts.tm_min)):\(twoDigits(parts.tm_sec)) GMT"
    }

    /// The instant an HTTP-date names, or nil when `text` is none of the three formats or names
    /// an impossible date. `now` decides the century of an RFC 850 two-digit year (RFC 9110:
    /// more than 50 years ahead means the past century).
    public static func parse(_ text: String, now: Date = Date()) -> Date? {
        let words = text.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
        // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT"
        if words.count == 6, words[0].count == 4, words[0].hasSuffix(","), weekdays.contains(String(words[0].dropLast())),
           words[1].count == 2, let day = digits(words[1]), let month = months.firstIndex(of: words[2]),
           words[3].count == 4, let year = digits(words[3]), words[5] == "GMT" {
            return compose(year: year, month: month, day: day, time: words[4])
        }
        // RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT"
        if words.count == 4, words[0].hasSuffix(","), longWeekdays.contains(String(words[0].dropLast())), words[3] == "GMT" {
            let dayMonthYear = words[1].split(separator: "-", omittingEmptySubsequences: false).map(String.init)
            guard dayMonthYear.count == 3, dayMonthYear[0].count == 2, let day = digits(dayMonthYear[0]),
                  let month = months.firstIndex(of: dayMonthYear[1]), dayMonthYear[2].count == 2,
                  let shortYear = digits(dayMonthYear[2]) else { return nil }
            var parts = tm()
            var seconds = time_t(now.timeIntervalSince1970)
            gmtime_r(&seconds, &parts)
            let currentYear = Int(parts.tm_year) + 1900
            var year = currentYear - currentYear % 100 + shortYear
            if year > currentYear + 50 { year -= 100 }
            return compose(year: year, month: month, day: day, time: words[2])
        }
        // asctime: "Sun Nov  6 08:49:37 1994" (the day is space-padded to two characters)
        let compact = words.filter { !$0.isEmpty }
        if compact.count == 5, weekdays.contains(compact[0]), let month = months.firstIndex(of: compact[1]),
           (1...2).contains(compact[2].count), let day = digits(compact[2]), compact[4].count == 4, let year = digits(compact[4]),
           text.count == 24 {
            return compose(year: year, month: month, day: day, time: compact[3])
        }
        return nil
    }

    /// A number written with ASCII digits only (`Int("+1")` would accept a sign).
    private static func digits(_ text: some StringProtocol) -> Int? {
        guard !text.isEmpty, text.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else { return nil }
        return Int(text)
    }

    /// `hh:mm:ss` on the given day, or nil when any part is out of range (RFC 9110 allows a
    /// leap second 60, which we read as the next second).
    private static func compose(year: Int, month: Int, day: Int, time: String) -> Date? {
        let clock = time.split(separator: ":", omittingEmptySubsequences: false)
        guard clock.count == 3, clock.allSatisfy({ $0.count == 2 }),
              let hour = digits(clock[0]), let minute = digits(clock[1]), let second = digits(clock[2]),
              (0...23).contains(hour), (0...59).contains(minute), (0...60).contains(second),
              (1...31).contains(day), (1...9999).contains(year) else { return nil }
        var parts = tm()
        parts.tm_year = Int32(year - 1900)
        parts.tm_mon = Int32(month)
        parts.tm_mday = Int32(day)
        parts.tm_hour = Int32(hour)
        parts.tm_min = Int32(minute)
        parts.tm_sec = Int32(second)
        let seconds = timegm(&parts)
        // timegm normalises 31 Feb to 3 Mar: refuse dates that do not exist.
        guard parts.tm_mday == Int32(day) || second == 60, parts.tm_mon == Int32(month) || second == 60 else { return nil }
        return Date(timeIntervalSince1970: TimeInterval(seconds))
    }
}
