import Foundation

/// A gateway key with its place in a rotation (key file format v2).
///
/// - `notBefore`: when the key starts being published. It is accepted from the moment a worker
///   loads it, so that every replica accepts a new key before any replica publishes it.
/// - `acceptUntil`: when the key is dropped: neither published nor accepted from then on.
///
/// Of the live keys of one KEM whose `notBefore` has passed, only the newest is published; older
/// ones are still accepted until their `acceptUntil` (the grace period of a rotation).
public struct OHTTPScheduledKey: Sendable {
    /// The private key and its id.
    public let key: OHTTPPrivateKey
    /// Published from this time on; nil = from the start.
    public var notBefore: Date?
    /// Accepted (and published) only before this time; nil = until a later rotation says otherwise.
    public var acceptUntil: Date?

    /// Schedules `key`.
    public init(_ key: OHTTPPrivateKey, notBefore: Date? = nil, acceptUntil: Date? = nil) {
        self.key = key
        self.notBefore = notBefore
        self.acceptUntil = acceptUntil
    }

    /// Whether decapsulation may still use the key at `now`.
    public func isAccepted(at now: Date) -> Bool {
        acceptUntil.map { now < $0 } ?? true
    }

    /// Whether the key's publication has started at `now` (it may still be superseded).
    public func hasStarted(at now: Date) -> Bool {
        notBefore.map { $0 <= now } ?? true
    }
}
