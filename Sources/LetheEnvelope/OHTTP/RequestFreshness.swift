import Foundation
import LetheMemory

/// The freshness check of RFC 9458 §6.5.1: an encapsulated request must carry a `Date` field
/// within `window` seconds of the gateway's clock, either way. Together with `ReplayGuard`,
/// which remembers accepted requests for exactly that long, no copy of a request is processed
/// twice. A request outside the window is refused with the gateway's own `Date` in the
/// (encrypted) response, so that an honest device corrects its clock and retries once
/// (RFC 9458 §6.5.2): `LetheClient` does, reading `request_stale`.
public struct RequestFreshness: Sendable {
    /// Largest accepted distance between the request's `Date` and the gateway's clock.
    public let window: TimeInterval

    public init(window: TimeInterval) {
        self.window = window
    }

    /// The instant the request's `Date` names, when it is within the window.
    /// - Throws: `date_required` when the field is missing or not an HTTP-date, `request_stale`
    ///   when it is further than `window` from `now`.
    public func check(dateField: String?, now: Date = Date()) throws(LetheError) -> Date {
        guard let dateField, let date = HTTPDate.parse(dateField, now: now) else { throw LetheError.dateRequired }
        let offset = date.timeIntervalSince(now)
        guard abs(offset) <= window else { throw LetheError.requestStale(offsetSeconds: offset, windowSeconds: window) }
        return date
    }
}
