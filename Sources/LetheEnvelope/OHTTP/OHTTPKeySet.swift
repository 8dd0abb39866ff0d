import Foundation

/// The keys a gateway holds at one moment, and which of them it publishes and accepts at a given
/// time. A value: `OHTTPKeyRing` swaps whole sets when the key file changes.
public struct OHTTPKeySet: Sendable {
    /// Keys from the key source, with their schedules.
    public let keys: [OHTTPScheduledKey]
    /// Keys that left the key source while still in use: accepted until their `acceptUntil`,
    /// never published (a key file replaced without a schedule still gets a grace period).
    public let retired: [OHTTPScheduledKey]

    /// A set of `keys` (the first of two keys with one id wins) and `retired` keys (dropped when
    /// their id is in `keys`).
    public init(keys: [OHTTPScheduledKey], retired: [OHTTPScheduledKey] = []) {
        var seen = Set<UInt8>()
        self.keys = keys.filter { seen.insert($0.key.keyID).inserted }
        self.retired = retired.filter { seen.insert($0.key.keyID).inserted }
    }

    /// The keys to publish at `now` (RFC 9540 key discovery): per KEM, the accepted keys with the
    /// latest publication start that has passed. Keys without a schedule all start at the
    /// beginning, so an unscheduled file publishes every key, as format v1 always did.
    public func published(at now: Date) -> [OHTTPPrivateKey] {
        let candidates = keys.filter { $0.isAccepted(at: now) && $0.hasStarted(at: now) }
        var newestStart: [OHTTPKEM: Date] = [:]
        for candidate in candidates {
            let start = candidate.notBefore ?? .distantPast
            newestStart[candidate.key.kem] = max(newestStart[candidate.key.kem] ?? .distantPast, start)
        }
        return candidates.filter { ($0.notBefore ?? .distantPast) == newestStart[$0.key.kem] }.map(\.key)
    }

    /// The key with `keyID` if decapsulation may use it at `now`: published, not yet published,
    /// or superseded but within its grace period. Nil for unknown and expired ids alike.
    public func acceptedKey(id keyID: UInt8, at now: Date) -> OHTTPPrivateKey? {
        (keys.first { $0.key.keyID == keyID } ?? retired.first { $0.key.keyID == keyID })
            .flatMap { $0.isAccepted(at: now) ? $0.key : nil }
    }

    /// The configurations of every key accepted at `now` (published, not yet published, or in a
    /// grace period), in ascending key-id order: what the worker logs and proves (docs/ledger.md §17).
    public func acceptedConfigs(at now: Date) -> [OHTTPKeyConfig] {
        (keys + retired).filter { $0.isAccepted(at: now) }.sorted { $0.key.keyID < $1.key.keyID }.map(\.key.config)
    }

    /// Every key id accepted at `now`, in ascending order.
    public func acceptedKeyIDs(at now: Date) -> [UInt8] {
        (keys + retired).filter { $0.isAccepted(at: now) }.map(\.key.keyID).sorted()
    }

    /// The set after the key source changed to `newKeys` at `now`: keys that disappeared while
    /// still accepted stay accepted (not published) for `gracePeriod` seconds, or until their
    /// own `acceptUntil` if that is sooner.
    public func replacing(with newKeys: [OHTTPScheduledKey], at now: Date, gracePeriod: TimeInterval) -> OHTTPKeySet {
        let newIDs = Set(newKeys.map(\.key.keyID))
        let leaving = (keys + retired).filter { !newIDs.contains($0.key.keyID) && $0.isAccepted(at: now) }.map { old in
            var retiring = old
            retiring.acceptUntil = min(retiring.acceptUntil ?? .distantFuture, now.addingTimeInterval(gracePeriod))
            return retiring
        }
        return OHTTPKeySet(keys: newKeys, retired: leaving.filter { $0.isAccepted(at: now) })
    }
}
