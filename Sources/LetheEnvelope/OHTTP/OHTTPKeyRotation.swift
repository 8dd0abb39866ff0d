import Foundation
import LetheMemory

/// Key rotation over a key file's keys (what `lethe keys rotate` writes).
///
/// A new key per KEM is accepted at once and published from `now + publishDelay`, so that every
/// replica has loaded it before any replica publishes it; the keys it supersedes stay published
/// until then and accepted for `gracePeriod` more (devices cache key configs), after which they
/// are dropped. Keys already past their `acceptUntil` leave the file.
public enum OHTTPKeyRotation {
    /// The keys after a rotation at `now`.
    /// - Parameters:
    ///   - keys: the key file's keys.
    ///   - kems: the KEMs to rotate; default: every KEM with an accepted key (both when none).
    /// - Throws: `key_file_error` when no free key id is left.
    public static func rotate(
        _ keys: [OHTTPScheduledKey], now: Date = Date(), publishDelay: TimeInterval, gracePeriod: TimeInterval,
        kems: [OHTTPKEM]? = nil
    ) throws -> [OHTTPScheduledKey] {
        // Whole seconds, rounded up: the file keeps RFC 3339 times without fractions, and a
        // publication must never start before the delay is over.
        let start = Date(timeIntervalSince1970: (now.timeIntervalSince1970 + publishDelay).rounded(.up))
        let end = start.addingTimeInterval(gracePeriod)
        var kept = keys.filter { $0.isAccepted(at: now) }
        let rotating = kems ?? OHTTPKEM.allCases.filter { kem in kept.contains { $0.key.kem == kem } }
        let targets = rotating.isEmpty ? OHTTPKEM.allCases : rotating
        for index in kept.indices where targets.contains(kept[index].key.kem) {
            kept[index].acceptUntil = min(kept[index].acceptUntil ?? .distantFuture, end)
        }
        var used = Set(kept.map(\.key.keyID))
        var nextID = Int(kept.map(\.key.keyID).max() ?? 0) + 1
        for kem in targets {
            var attempts = 0
            while used.contains(UInt8(nextID % 256)) {
                nextID += 1
                attempts += 1
                guard attempts < 256 else { throw LetheError.keyFile("no free key id left for a new \(kem.rawValue) key") }
            }
            let keyID = UInt8(nextID % 256)
            used.insert(keyID)
            kept.append(OHTTPScheduledKey(try OHTTPPrivateKey.generate(keyID: keyID, kem: kem), notBefore: start))
            nextID += 1
        }
        return kept
    }

    /// How a key stands at `now` within `keys`: `published`, `pending` (accepted, published from
    /// its `notBefore`), `grace` (accepted, superseded) or `expired`.
    public static func state(of key: OHTTPScheduledKey, in keys: [OHTTPScheduledKey], at now: Date) -> String {
        guard key.isAccepted(at: now) else { return "expired" }
        if !key.hasStarted(at: now) { return "pending" }
        let published = OHTTPKeySet(keys: keys).published(at: now).map(\.keyID)
        return published.contains(key.key.keyID) ? "published" : "grace"
    }
}
