import Foundation
import LetheMemory
import Synchronization

/// Per-device token buckets: each device may start `requestsPerMinute` analyses a minute, with
/// bursts of up to `burst`. A device over its rate gets 429 with Retry-After. The table holds
/// one bucket per device that has sent a request (bounded by the tokens file), keyed by device
/// id, which never leaves memory.
final class DeviceRateLimiter: Sendable {
    private struct Bucket {
        var tokens: Double
        var updated: ContinuousClock.Instant
    }

    let requestsPerMinute: Int
    let burst: Int
    private let buckets = Mutex<[String: Bucket]>([:])

    /// - Parameter requestsPerMinute: 0 turns limiting off.
    init(requestsPerMinute: Int, burst: Int) {
        self.requestsPerMinute = max(0, requestsPerMinute)
        self.burst = max(1, burst)
    }

    /// Takes one token for `deviceID`, or throws `rate_limited` saying when the next one comes.
    func admit(_ deviceID: String, now: ContinuousClock.Instant = .now) throws(LetheError) {
        guard requestsPerMinute > 0 else { return }
        let perSecond = Double(requestsPerMinute) / 60
        let capacity = Double(burst)
        let wait: Double? = buckets.withLock { buckets in
            var bucket = buckets[deviceID] ?? Bucket(tokens: capacity, updated: now)
            let elapsed = (now - bucket.updated).secondsValue
            bucket.tokens = min(capacity, bucket.tokens + max(0, elapsed) * perSecond)
            bucket.updated = now
            defer { buckets[deviceID] = bucket }
            guard bucket.tokens >= 1 else { return (1 - bucket.tokens) / perSecond }
            bucket.tokens -= 1
            return nil
        }
        if let wait {
            throw .rateLimited(requestsPerMinute: requestsPerMinute, retryAfterSeconds: max(1, Int(wait.rounded(.up))))
        }
    }
}
