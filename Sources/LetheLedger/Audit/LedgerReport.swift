import Foundation
import LetheTransparency

/// A compliance report over one or more replicas' ledgers, period by period: requests by outcome,
/// bytes wiped per buffer class, plaintext lifetimes (p50/p99/max and a histogram), requests
/// refused before any plaintext existed, and anomalies. Built from the public period summaries
/// (verified against the signed log); where the private records are present too (the operator's
/// own audit) every summary was recomputed from them and the lifetime percentiles are exact.
/// Encodable as JSON; rendered as Markdown or HTML (with an inline SVG chart) by `LedgerReportRenderer`.
public struct LedgerReport: Codable, Sendable {
    public struct Replica: Codable, Sendable {
        public var directory: String
        public var origin: String?
        /// Requests (records) in the period.
        public var entries: Int
        /// nil when no verifier key was given for this origin.
        public var verified: Bool?
        /// Whether the private records were present and every summary was recomputed from them.
        public var recordsChecked: Bool
        public var findings: [String]

        enum CodingKeys: String, CodingKey {
            case directory, origin, entries, verified, findings
            case recordsChecked = "records_checked"
        }
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

    /// One published batch: what a compliance officer signs off period by period.
    public struct Period: Codable, Sendable {
        public var origin: String?
        public var period: String
        public var periodEnd: String
        public var requests: Int
        public var wipesVerified: Int
        public var refused: Int
        public var bytesWiped: Int
        public var plaintextLifetimeMaxMicroseconds: Int
        enum CodingKeys: String, CodingKey {
            case origin, period, requests, refused
            case periodEnd = "period_end"
            case wipesVerified = "wipes_verified"
            case bytesWiped = "bytes_wiped"
            case plaintextLifetimeMaxMicroseconds = "plaintext_lifetime_max_us"
        }
    }

    /// One logged OHTTP key configuration: which keys devices could encrypt to, and since when.
    public struct LoggedKey: Codable, Sendable {
        public var origin: String?
        /// The log entry's index.
        public var sequence: Int
        /// The period in which it was logged: it was not in force before.
        public var loggedIn: String
        public var keyID: Int
        public var kemID: Int
        /// The period in which the next key of the same KEM was logged (nil: none since).
        public var supersededIn: String?
        enum CodingKeys: String, CodingKey {
            case origin, sequence
            case loggedIn = "logged_in"
            case keyID = "key_id"
            case kemID = "kem_id"
            case supersededIn = "superseded_in"
        }
    }

    public var generatedAt: String
    public var since: String?
    public var until: String?
    public var replicas: [Replica]
    public var requests: Int
    public var byOutcome: [String: Int]
    public var byErrorCode: [String: Int]
    /// Requests refused before any plaintext existed (nothing to wipe), by code.
    public var refusedBeforePlaintext: [String: Int]
    public var bytesWiped: Int
    public var bytesWipedByClass: [String: Int]
    public var buffersWiped: Int
    public var wipesVerified: Int
    /// True when every lifetime is known (records present); else p50/p99 are histogram bucket bounds.
    public var lifetimesExact: Bool
    public var lifetimeP50Microseconds: Int
    public var lifetimeP99Microseconds: Int
    public var lifetimeMaxMicroseconds: Int
    public var histogram: [Bucket]
    public var periods: [Period]
    public var anomalies: [String]
    /// The key log of every replica (docs/ledger.md §17), in log order per replica.
    public var keys: [LoggedKey]
    /// The evidence mapped to the privacy-policy promises (docs/ledger.md §19).
    public var compliance: ComplianceView?

    enum CodingKeys: String, CodingKey {
        case since, until, replicas, requests, histogram, periods, anomalies
        case keys = "key_log"
        case compliance
        case generatedAt = "generated_at"
        case byOutcome = "by_outcome"
        case byErrorCode = "by_error_code"
        case refusedBeforePlaintext = "refused_before_plaintext"
        case bytesWiped = "bytes_wiped"
        case bytesWipedByClass = "bytes_wiped_by_class"
        case buffersWiped = "buffers_wiped"
        case wipesVerified = "wipes_verified"
        case lifetimesExact = "lifetimes_exact"
        case lifetimeP50Microseconds = "plaintext_lifetime_p50_us"
        case lifetimeP99Microseconds = "plaintext_lifetime_p99_us"
        case lifetimeMaxMicroseconds = "plaintext_lifetime_max_us"
    }

    /// A plaintext lifetime above this is reported as an anomaly.
    public static let slowLifetimeMicroseconds = 30_000_000

    /// Builds the report.
    /// - Parameters:
    ///   - directories: one ledger directory per replica.
    ///   - verifiers: verifier keys; each directory is verified with the key whose name is its origin.
    ///   - since, until: RFC 3339 bounds on the period start (inclusive, exclusive); prefixes such as `2026-11-01` work.
    ///   - witnesses: the witness policy; each replica's latest checkpoint must meet it, and its
    ///     witnesses' cosignatures are verified for the compliance view's coverage.
    public static func make(
        directories: [URL], verifiers: [NoteVerifier], since: String?, until: String?, witnesses: WitnessPolicy? = nil, now: Date = Date()
    ) -> LedgerReport {
        var totals = Totals()
        var replicas: [Replica] = []
        var anomalies: [String] = []
        var facts: [ComplianceView.DirectoryFacts] = []
        for directory in directories {
            let origin = Self.origin(of: directory)
            let verifier = verifiers.first { $0.name == origin } ?? (verifiers.count == 1 && directories.count == 1 ? verifiers.first : nil)
            let before = totals.requests
            var oldestPeriod: String?
            var audit = LedgerAuditor.verify(directory, verifier: verifier) { item in
                if oldestPeriod == nil { oldestPeriod = item.period }
                totals.add(item, origin: origin, since: since, until: until)
            }
            if let witnesses { LedgerAuditor.checkWitnesses(&audit, directory: directory, policy: witnesses) }
            let label = origin ?? directory.path
            let findings = audit.failures.map { "FAIL \($0)" } + audit.warnings.map { "warning \($0)" }
            anomalies += audit.failures.map { "\(label): verification failed: \($0)" }
            anomalies += audit.warnings.filter { ["torn_tail", "torn_batch", "unpublished_records"].contains($0.code) }.map { "\(label): \($0.message)" }
            let verified = verifier == nil ? nil : audit.passed
            replicas.append(Replica(
                directory: directory.path, origin: origin, entries: totals.requests - before, verified: verified,
                recordsChecked: audit.recordsPresent && audit.passed, findings: findings))
            if verifier == nil { anomalies.append("\(label): not verified (no verifier key for origin \(origin ?? "unknown"))") }
            // The log's integrity (signatures, tree, consistency, witnesses): a wipe that did not
            // verify is the destruction promise's finding, not a forged record.
            let intact = verifier == nil ? nil : audit.failures.allSatisfy { $0.code == "wipe_unverified" }
            facts.append(ComplianceView.facts(
                of: directory, origin: origin, verifier: verifier, verified: intact, oldestPeriod: oldestPeriod, policy: witnesses))
        }
        var report = totals.report(replicas: replicas, anomalies: anomalies, since: since, until: until, now: now)
        report.compliance = ComplianceView.make(report: report, facts: facts, policy: witnesses, now: now)
        return report
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

/// Sums over the batches (and legacy entries) of every replica.
struct Totals {
    var requests = 0
    var byOutcome: [String: Int] = [:]
    var byErrorCode: [String: Int] = [:]
    var refused: [String: Int] = [:]
    var bytesByClass: [String: Int] = [:]
    var buffers = 0
    var verified = 0
    var exactLifetimes: [Int] = []
    var histogram = Array(repeating: 0, count: PeriodSummary.bucketBoundsMilliseconds.count + 1)
    var lifetimeMax = 0
    var allExact = true
    var periods: [LedgerReport.Period] = []
    var unverified: [String] = []
    var slow: [String] = []
    var keys: [LedgerReport.LoggedKey] = []

    mutating func add(_ item: LedgerAuditor.Item, origin: String?, since: String?, until: String?) {
        switch item {
        case .key(let key):
            guard let config = key.configBytes, config.count >= 3, until.map({ key.period < $0 }) ?? true else { return }
            let kemID = Int(config[config.startIndex + 1]) << 8 | Int(config[config.startIndex + 2])
            if let previous = keys.lastIndex(where: { $0.origin == origin && $0.kemID == kemID && $0.supersededIn == nil }) {
                keys[previous].supersededIn = key.period
            }
            keys.append(LedgerReport.LoggedKey(
                origin: origin, sequence: key.sequence, loggedIn: key.period, keyID: Int(config[config.startIndex]), kemID: kemID, supersededIn: nil))
        case .legacy(let record):
            if let since, record.wipedAt < since { return }
            if let until, record.wipedAt >= until { return }
            let summary = PeriodSummary(
                sequence: record.sequence, period: record.wipedAt, periodEnd: record.wipedAt, journalStart: 0, records: [record],
                refused: [:], clockStep: nil)
            add(summary, records: [record], origin: origin, place: "entry #\(record.sequence)", isPeriod: false)
        case .batch(let summary, let records):
            if let since, summary.period < since { return }
            if let until, summary.period >= until { return }
            add(summary, records: records, origin: origin, place: "period \(summary.period)", isPeriod: true)
        }
    }

    private mutating func add(_ summary: PeriodSummary, records: [DeletionRecord]?, origin: String?, place: String, isPeriod: Bool) {
        requests &+= summary.requests
        byOutcome.merge(summary.byOutcome, uniquingKeysWith: &+)
        byErrorCode.merge(summary.byErrorCode, uniquingKeysWith: &+)
        refused.merge(summary.refused, uniquingKeysWith: &+)
        bytesByClass.merge(summary.bytesWiped, uniquingKeysWith: &+)
        buffers &+= summary.buffersWiped
        verified &+= summary.wipesVerified
        lifetimeMax = max(lifetimeMax, summary.plaintextLifetimeMaxMicroseconds)
        for (slot, count) in summary.lifetimeHistogram.enumerated() where slot < histogram.count { histogram[slot] &+= count }
        if let records {
            exactLifetimes += records.map(\.plaintextLifetimeMicroseconds)
            unverified += records.filter { !$0.wipeVerified }.map { "#\($0.sequence)" }
            slow += records.filter { $0.plaintextLifetimeMicroseconds > LedgerReport.slowLifetimeMicroseconds }.map { "#\($0.sequence)" }
        } else {
            allExact = allExact && summary.requests == 0
            if summary.wipesVerified < summary.requests { unverified.append(place) }
            if summary.plaintextLifetimeMaxMicroseconds > LedgerReport.slowLifetimeMicroseconds { slow.append(place) }
        }
        if isPeriod {
            periods.append(LedgerReport.Period(
                origin: origin, period: summary.period, periodEnd: summary.periodEnd, requests: summary.requests,
                wipesVerified: summary.wipesVerified, refused: summary.refusedCount, bytesWiped: summary.bytesWiped.values.reduce(0, &+),
                plaintextLifetimeMaxMicroseconds: summary.plaintextLifetimeMaxMicroseconds))
        }
    }

    /// p (0…1) of the lifetimes: exact when every record was read, else the upper bound of the
    /// histogram bucket holding that rank.
    func percentile(_ p: Double) -> Int {
        guard requests > 0 else { return 0 }
        let rank = max(1, Int((p * Double(requests)).rounded(.up)))
        if allExact {
            let sorted = exactLifetimes.sorted()
            return sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, rank - 1)]
        }
        var seen = 0
        for (slot, count) in histogram.enumerated() {
            seen &+= count
            if seen >= rank { return slot < PeriodSummary.bucketBoundsMilliseconds.count ? PeriodSummary.bucketBoundsMilliseconds[slot] * 1000 : lifetimeMax }
        }
        return lifetimeMax
    }

    func report(replicas: [LedgerReport.Replica], anomalies: [String], since: String?, until: String?, now: Date) -> LedgerReport {
        var anomalies = anomalies
        if !unverified.isEmpty {
            anomalies.append("\(requests &- verified) wipe(s) failed the read-back verify: \(unverified.prefix(20).joined(separator: ", "))")
        }
        if !slow.isEmpty {
            anomalies.append("request(s) held plaintext longer than \(LedgerReport.slowLifetimeMicroseconds / 1_000_000) s: \(slow.prefix(20).joined(separator: ", "))")
        }
        if let internalErrors = byErrorCode["internal_error"], internalErrors > 0 { anomalies.append("\(internalErrors) request(s) ended in internal_error") }
        var buckets = PeriodSummary.bucketBoundsMilliseconds.map { LedgerReport.Bucket(upToMilliseconds: $0, count: 0) } + [LedgerReport.Bucket(upToMilliseconds: nil, count: 0)]
        for slot in buckets.indices { buckets[slot].count = histogram[slot] }
        return LedgerReport(
            generatedAt: DeletionRecord.timestamp(now), since: since, until: until, replicas: replicas, requests: requests,
            byOutcome: byOutcome, byErrorCode: byErrorCode, refusedBeforePlaintext: refused,
            bytesWiped: bytesByClass.values.reduce(0, &+), bytesWipedByClass: bytesByClass, buffersWiped: buffers, wipesVerified: verified,
            lifetimesExact: allExact, lifetimeP50Microseconds: percentile(0.5), lifetimeP99Microseconds: percentile(0.99),
            lifetimeMaxMicroseconds: lifetimeMax, histogram: buckets, periods: periods, anomalies: anomalies, keys: keys)
    }
}
