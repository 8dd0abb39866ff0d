import Crypto
import Foundation
import Synchronization

/// Remembers the HPKE encapsulated keys (`enc`) of the requests accepted within the freshness
/// window, so that a copy of an encapsulated request is refused before it is decrypted again
/// (RFC 9458 §6.5, with the strategy of RFC 8446 §8.2: record what was seen for as long as a
/// `Date` check would let it through).
///
/// A request reserves its `enc` before decryption (`reserve`); once it is decrypted, fresh and
/// authenticated the reservation is confirmed until `requestDate + window` (`confirm`), after
/// which the `Date` check refuses any copy. A request that fails before that gives its
/// reservation back (`release`): a broken or stale request protects nothing. Two copies racing
/// each other are decided here, under one lock: the second finds the first's reservation.
///
/// Bounded: at most `capacity` encs are held. When every one of them is still inside its window
/// the guard refuses new requests (503, retry when the oldest expires) rather than forget an enc
/// it might see again, because forgetting would reopen the replay it exists to stop. The default
/// capacity is sized from the window and the rate the worker can accept (see the README).
///
/// It lives in the pipeline, apart from the key ring: reloading or rotating keys never clears it.
final class ReplayGuard: Sendable {
    /// Why a request was refused before decryption.
    enum Refusal: Error, Equatable {
        /// This `enc` was accepted (or is being processed) within its window.
        case replayed
        /// Every slot holds an enc still inside its window; retry after this many seconds.
        case full(retryAfterSeconds: Int)
    }

    /// A request's claim on its `enc`, from `reserve` to `confirm` or `release`.
    struct Reservation: Sendable {
        fileprivate let key: SHA256Digest
    }

    private struct Expiry: Comparable {
        let time: Date
        let key: SHA256Digest
        static func < (lhs: Expiry, rhs: Expiry) -> Bool { lhs.time < rhs.time }
    }

    private struct State {
        /// nil while reserved (being decrypted and checked), else when the enc may be forgotten.
        var entries: [SHA256Digest: Date?] = [:]
        /// Confirmed entries by expiry, oldest first (a binary min-heap).
        var expiries = MinHeap<Expiry>()
    }

    /// How far a request's `Date` may be from the worker's clock, either way.
    let window: TimeInterval
    /// Most encs held at once (reserved and confirmed).
    let capacity: Int
    private let state = Mutex(State())

    init(window: TimeInterval, capacity: Int) {
        self.window = window
        self.capacity = max(1, capacity)
    }

    /// Encs held now (reserved or still inside their window), after forgetting expired ones.
    func count(now: Date = Date()) -> Int {
        state.withLock { state in
            Self.forgetExpired(&state, now: now)
            return state.entries.count
        }
    }

    /// Claims `encapsulatedKey` for one request, or refuses: `.replayed` when it is held (a copy
    /// of a request accepted within its window, or of one being processed right now), `.full`
    /// when every slot holds an enc still inside its window.
    func reserve(_ encapsulatedKey: some DataProtocol, now: Date = Date()) throws(Refusal) -> Reservation {
        let key = SHA256.hash(data: Data(encapsulatedKey))
        return try state.withLock { state throws(Refusal) in
            Self.forgetExpired(&state, now: now)
            if state.entries[key] != nil { throw .replayed }
            guard state.entries.count < capacity else {
                let oldest = state.expiries.minimum?.time ?? now.addingTimeInterval(1)
                throw .full(retryAfterSeconds: max(1, Int(oldest.timeIntervalSince(now).rounded(.up))))
            }
            state.entries[key] = .some(nil)
            return Reservation(key: key)
        }
    }

    /// Keeps the reserved enc until `requestDate + window`, when the `Date` check takes over.
    func confirm(_ reservation: Reservation, requestDate: Date) {
        let expiry = requestDate.addingTimeInterval(window)
        state.withLock { state in
            state.entries[reservation.key] = .some(expiry)
            state.expiries.insert(Expiry(time: expiry, key: reservation.key))
        }
    }

    /// Gives back a reservation that was not confirmed (nothing happens after `confirm`).
    func release(_ reservation: Reservation) {
        state.withLock { state in
            if case .some(.none) = state.entries[reservation.key] { state.entries[reservation.key] = nil }
        }
    }

    private static func forgetExpired(_ state: inout State, now: Date) {
        while let oldest = state.expiries.minimum, oldest.time <= now {
            state.expiries.removeMinimum()
            // A later confirm of the same key cannot exist (a held key is never reserved again).
            if case .some(.some(let expiry)) = state.entries[oldest.key], expiry == oldest.time {
                state.entries[oldest.key] = nil
            }
        }
    }
}
