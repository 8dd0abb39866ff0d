import Foundation
import LetheEnvelope
import Testing

/// HTTP-date (RFC 9110 §5.6.7), which carries the freshness of encapsulated requests.
@Suite("HTTP-date")
struct HTTPDateTests {
    /// RFC 9110 §5.6.7's example instant: Sun, 06 Nov 1994 08:49:37 GMT.
    static let example = Date(timeIntervalSince1970: 784_111_777)

    @Test("formats IMF-fixdate exactly as RFC 9110 §5.6.7 shows")
    func format() {
        #expect(HTTPDate.format(Self.example) == "Sun, 06 Nov 1994 08:49:37 GMT")
        #expect(HTTPDate.format(Self.example.addingTimeInterval(0.999)) == "Sun, 06 Nov 1994 08:49:37 GMT")
        #expect(HTTPDate.format(Date(timeIntervalSince1970: 1_709_164_800)) == "Thu, 29 Feb 2024 00:00:00 GMT")
    }

    @Test("parses the three formats a recipient must accept", arguments: [
        "Sun, 06 Nov 1994 08:49:37 GMT",
        "Sunday, 06-Nov-94 08:49:37 GMT",
        "Sun Nov  6 08:49:37 1994",
    ])
    func parse(_ text: String) {
        // An RFC 850 two-digit year more than 50 years ahead belongs to the past century.
        #expect(HTTPDate.parse(text, now: Date(timeIntervalSince1970: 1_700_000_000)) == Self.example)
    }

    @Test("round-trips the current time to the second")
    func roundTrip() {
        let now = Date()
        let parsed = HTTPDate.parse(HTTPDate.format(now))
        #expect(parsed == Date(timeIntervalSince1970: now.timeIntervalSince1970.rounded(.down)))
    }

    @Test("refuses what is not an HTTP-date", arguments: [
        "", "yesterday", "Sun, 06 Nov 1994 08:49:37 UTC", "Sun, 6 Nov 1994 08:49:37 GMT", "Sun, 06 Nov 94 08:49:37 GMT",
        "Sun, 31 Feb 1994 08:49:37 GMT", "Sun, 06 Nov 1994 24:00:00 GMT", "Sun, 06 Nov 1994 08:49 GMT",
        "Sun, +6 Nov 1994 08:49:37 GMT", "Sun, 06 Nov 1994 08:-9:37 GMT", "1994-11-06T08:49:37Z",
        "Sun, 06 Nov 1994 08:49:37 GMT ", "Sun Nov 6 08:49:37 1994",
    ])
    func refuse(_ text: String) {
        #expect(HTTPDate.parse(text) == nil)
    }
}
