import Foundation
import Synchronization

/// The gateway's keys as they change over time: a key set that is replaced, whole, when its key
/// source changes (`reload`), read without waiting by every request.
public final class OHTTPKeyRing: Sendable {
    /// What a reload did.
    public enum ReloadOutcome: Sendable, Equatable {
        /// The source has not changed since the last load.
        case unchanged
        /// New keys are in use; `published` and `accepted` are the key ids right after the reload.
        case reloaded(published: [UInt8], accepted: [UInt8])
    }

    private struct State {
        var keys: OHTTPKeySet
        var fingerprint: String?
    }

    /// Where the keys come from; nil for keys given directly (generated in memory).
    public let source: OHTTPKeySource?
    private let state: Mutex<State>
    /// Serialises reloads (timer and SIGHUP), so that an older read never replaces a newer one;
    /// requests only take `state`'s lock, briefly.
    private let reloading = Mutex(())

    /// A ring of fixed keys without a source.
    public init(keys: [OHTTPScheduledKey]) {
        source = nil
        state = Mutex(State(keys: OHTTPKeySet(keys: keys), fingerprint: nil))
    }

    /// A ring loaded from `source` now.
    /// - Throws: what `OHTTPKeySource.load` throws.
    public init(source: OHTTPKeySource) throws {
        self.source = source
        let fingerprint = try source.fingerprint()
        state = Mutex(State(keys: OHTTPKeySet(keys: try source.load()), fingerprint: fingerprint))
    }

    /// The current key set.
    public var keySet: OHTTPKeySet {
        state.withLock { $0.keys }
    }

    /// Reads the source again when its fingerprint changed (or always with `force`). Keys that
    /// left the source stay accepted for `gracePeriod` seconds (see `OHTTPKeySet.replacing`).
    /// On any error the keys in use stay as they were and the error is thrown: a key file caught
    /// half-written or broken never leaves the gateway without keys.
    public func reload(force: Bool = false, gracePeriod: TimeInterval, now: Date = Date()) throws -> ReloadOutcome {
        try reloading.withLock { _ throws -> ReloadOutcome in
            guard let candidate = try changedKeys(force: force) else { return .unchanged }
            return install(candidate, gracePeriod: gracePeriod, now: now)
        }
    }

    /// Keys read from the source but not yet in use: `install` puts them in use, after the caller
    /// did what must come first (the worker logs their configs, docs/ledger.md §17).
    public struct Candidate: Sendable {
        /// The keys as read from the source.
        public let keys: [OHTTPScheduledKey]
        let fingerprint: String
    }

    /// The first half of a reload: the source's keys when its fingerprint changed (or always with
    /// `force`), nil when it did not change or there is no source. Calls must be serialised by
    /// the caller together with `install` (the worker has one reload loop).
    /// - Throws: what `OHTTPKeySource.load` throws; nothing changes then.
    public func changedKeys(force: Bool) throws -> Candidate? {
        guard let source else { return nil }
        let fingerprint = try source.fingerprint()
        if !force, state.withLock({ $0.fingerprint == fingerprint }) { return nil }
        return Candidate(keys: try source.load(), fingerprint: fingerprint)
    }

    /// The second half of a reload: puts `candidate`'s keys in use at `now`; keys that left the
    /// source stay accepted for `gracePeriod` seconds.
    public func install(_ candidate: Candidate, gracePeriod: TimeInterval, now: Date = Date()) -> ReloadOutcome {
        state.withLock { state in
            state.keys = state.keys.replacing(with: candidate.keys, at: now, gracePeriod: gracePeriod)
            state.fingerprint = candidate.fingerprint
            return .reloaded(
                published: state.keys.published(at: now).map(\.keyID).sorted(),
                accepted: state.keys.acceptedKeyIDs(at: now))
        }
    }
}
