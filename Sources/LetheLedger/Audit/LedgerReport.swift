import Foundation

/// A compliance report over one or more replicas' ledgers: requests by outcome, bytes wiped,
/// plaintext lifetimes (p50/p99/max and a histogram) and anomalies. Encodable as JSON; rendered
/// as Markdown or HTML (with an inline SVG chart) by `LedgerReportRenderer`.
public struct LedgerReport: Codable, Sendable {
    public struct Replica: Codable, Sendable {
        public var directory: String
        public var origin: String?
        /// Entries in the period.
        public var entries: Int
        /// nil when no verifier key was given for this origin.
        public var verified: Bool?
        public var findings: [String]
    }

    public struct Bucket: Codable, Sendable {
        /// Upper bound in milliseconds (nil: everything above the previous bound).
        public var upToMilliseconds: Int?
        public var count: Int
        enum CodingKeys: String, CodingKey {
            case upToMilliseconds = "up_to_ms"
            case count
        }
    }

    public var generatedAt: String
    public var since: String?
    public var until: String?
    public var replicas: [Replica]
    public var requests: Int
    public var byOutcome: [String: Int]
    public var byErrorCode: [String: Int]
    public var bytesWiped: Int
    public var bytesWipedByClass: [String: Int]
    public var buffersWiped: Int
    public var wipesVerified: Int
    public var lifetimeP50Microseconds: Int
    public var lifetimeP99Microseconds: Int
    public var lifetimeMaxMicroseconds: Int
    public var histogram: [Bucket]
    public var anomalies: [String]

    enum CodingKeys: String, CodingKey {
        case since, until, replicas, requests, histogram, anomalies
        case generatedAt = "generated_at"
        case byOutcome = "by_outcome"
        case byErrorCode = "by_error_code"
        case bytesWiped = "bytes_wiped"
        case bytesWipedByClass = "bytes_wiped_by_class"
        case buffersWiped = "buffers_wiped"
        case wipesVerified = "wipes_verified"
        case lifetimeP50Microseconds = "plaintext_lifetime_p50_us"
        case lifetimeP99Microseconds = "plaintext_lifetime_p99_us"
        case lifetimeMaxMicroseconds = "plaintext_lifetime_max_us"
    }

    /// Histogram bucket bounds in milliseconds; the last bucket is open.
    public static let bucketBoundsMilliseconds = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000]
    /// A plaintext lifetime above this is reported as an anomaly.
    public static let slowLifetimeMicroseconds = 30_000_000

    /// Builds the report.
    /// - Parameters:
    ///   - directories: one ledger directory per replica.
    ///   - verifiers: verifier keys; each directory is verified with the key whose name is its origin.
    ///   - since, until: RFC 3339 bounds on `wiped_at` (inclusive, exclusive); prefixes such as `2026-11-01` work.
    public static func make(directories: [URL], verifiers: [NoteVerifier], since: String?, until: String?, now: Date = Date()) -> LedgerReport {
        var replicas: [Replica] = []
        var entries: [DeletionRecord] = []
        var anomalies: [String] = []
        for directory in directories {
            let origin = Self.origin(of: directory)
            let verifier = verifiers.first { $0.name == origin } ?? (verifiers.count == 1 && directories.count == 1 ? verifiers.first : nil)
            var count = 0
            let audit = LedgerAuditor.verify(directory, verifier: verifier) { entry in
                if let since, entry.wipedAt < since { return }
                if let until, entry.wipedAt >= until { return }
                entries.append(entry)
                count += 1
            }
            let label = origin ?? directory.path
            let findings = audit.failures.map { "FAIL \($0)" } + audit.warnings.map { "warning \($0)" }
            anomalies += audit.failures.map { "\(label): verification failed: \($0)" }
            anomalies += audit.warnings.filter { $0.code == "torn_tail" }.map { "\(label): \($0.message)" }
            replicas.append(Replica(directory: directory.path, origin: origin, entries: count, verified: verifier == nil ? nil : audit.passed, findings: findings))
            if verifier == nil { anomalies.append("\(label): not verified (no verifier key for origin \(origin ?? "unknown"))") }
        }
        let lifetimes = entries.map(\.plaintextLifetimeMicroseconds).sorted()
        func percentile(_ p: Double) -> Int {
            guard !lifetimes.isEmpty else { return 0 }
            let rank = Int((p * Double(lifetimes.count)).rounded(.up))
            return lifetimes[max(0, min(lifetimes.count - 1, rank - 1))]
        }
        var buckets = Self.bucketBoundsMilliseconds.map { Bucket(upToMilliseconds: $0, count: 0) } + [Bucket(upToMilliseconds: nil, count: 0)]
        for lifetime in lifetimes {
            let slot = Self.bucketBoundsMilliseconds.firstIndex { lifetime <= $0 * 1000 } ?? Self.bucketBoundsMilliseconds.count
            buckets[slot].count += 1
        }
        var byClass: [String: Int] = [:]
        for entry in entries { byClass.merge(entry.bytesWiped, uniquingKeysWith: +) }
        let unverified = entries.filter { !$0.wipeVerified }
        if !unverified.isEmpty {
            anomalies.append("\(unverified.count) wipe(s) failed the read-back verify: entries \(unverified.prefix(20).map { "#\($0.sequence)" }.joined(separator: ", "))")
        }
        let slow = entries.filter { $0.plaintextLifetimeMicroseconds > Self.slowLifetimeMicroseconds }
        if !slow.isEmpty {
            anomalies.append("\(slow.count) request(s) held plaintext longer than \(Self.slowLifetimeMicroseconds / 1_000_000) s: entries \(slow.prefix(20).map { "#\($0.sequence)" }.joined(separator: ", "))")
        }
        let internalErrors = entries.filter { $0.errorCode == "internal_error" }.count
        if internalErrors > 0 { anomalies.append("\(internalErrors) request(s) ended in internal_error") }
        return LedgerReport(
            generatedAt: DeletionRecord.timestamp(now), since: since, until: until, replicas: replicas,
            requests: entries.count,
            byOutcome: Dictionary(grouping: entries, by: \.outcome).mapValues(\.count),
            byErrorCode: Dictionary(grouping: entries.compactMap(\.errorCode), by: { $0 }).mapValues(\.count),
            bytesWiped: entries.map(\.totalBytesWiped).reduce(0, +), bytesWipedByClass: byClass,
            buffersWiped: entries.map(\.buffersWiped).reduce(0, +), wipesVerified: entries.count - unverified.count,
            lifetimeP50Microseconds: percentile(0.5), lifetimeP99Microseconds: percentile(0.99),
            lifetimeMaxMicroseconds: lifetimes.last ?? 0, histogram: buckets, anomalies: anomalies)
    }

    /// The origin of a ledger directory, from its newest checkpoint's first line or its key file's name.
    public static func origin(of directory: URL) -> String? {
        let layout = LedgerLayout(directory: directory)
        if let newest = layout.checkpoints().last, let text = try? String(contentsOf: newest.url, encoding: .utf8),
            let line = text.split(separator: "\n").first {
            return String(line)
        }
        if let key = try? String(contentsOf: layout.signingKeyFile, encoding: .utf8) {
            let parts = key.split(separator: "+")
            if parts.count >= 3 { return String(parts[2]) }
        }
        return nil
    }
}
