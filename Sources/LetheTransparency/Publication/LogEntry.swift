import Foundation

/// A public entry standing for one request: the commitment to its record and its period, nothing
/// else. Every entry of a batch is the same bytes but for `commitment` (random-looking) and
/// `sequence` (its place after sorting by commitment), so that neither the time nor the size a
/// relay saw can pick one out.
public struct WipeCommitment: Codable, Sendable, Equatable {
    public var version = 2
    public var type = WipeCommitment.type
    /// Position in the public log.
    public var sequence: Int
    /// Start of the record's publication period (RFC 3339).
    public var period: String
    /// `DeletionRecord.commitment`: hex SHA-256 of the record with its random salt.
    public var commitment: String
    /// The record's read-back verify.
    public var wipeVerified: Bool

    public static let type = "wipe"

    enum CodingKeys: String, CodingKey {
        case version, type, sequence, period, commitment
        case wipeVerified = "wipe_verified"
    }

    public init(sequence: Int, period: String, commitment: String, wipeVerified: Bool) {
        self.sequence = sequence
        self.period = period
        self.commitment = commitment
        self.wipeVerified = wipeVerified
    }
}

/// A public entry closing a batch: what every request of the batch held and how long, in totals,
/// and how many requests were refused before any plaintext existed. It follows the batch's wipe
/// entries in the log, and its `journal_start..<journal_end` names the records they commit to.
public struct PeriodSummary: Codable, Sendable, Equatable {
    public var version = 2
    public var type = PeriodSummary.type
    public var sequence: Int
    /// The period [period, period_end) that every record of the batch was wiped in (RFC 3339).
    public var period: String
    public var periodEnd: String
    /// The records of the batch: sequence numbers journal_start..<journal_end.
    public var journalStart: Int
    public var journalEnd: Int
    /// Requests that held plaintext (= wipe entries of the batch).
    public var requests: Int
    public var wipesVerified: Int
    public var byOutcome: [String: Int]
    public var byErrorCode: [String: Int]
    public var byKind: [String: Int]
    /// Bytes wiped per buffer class, summed.
    public var bytesWiped: [String: Int]
    public var buffersWiped: Int
    public var plaintextLifetimeMaxMicroseconds: Int
    public var plaintextLifetimeSumMicroseconds: Int
    /// Requests per lifetime bucket: bounds `PeriodSummary.bucketBoundsMilliseconds`, then the rest.
    public var lifetimeHistogram: [Int]
    /// Requests refused before any plaintext existed, by code: counted, not recorded one by one.
    public var refused: [String: Int]
    /// The wall clock stepped just before this batch (see `ClockStep`).
    public var clockStep: ClockStep?

    public static let type = "period"
    /// Lifetime histogram bucket bounds in milliseconds (upper bounds, inclusive); the last bucket is open.
    public static let bucketBoundsMilliseconds = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000]

    enum CodingKeys: String, CodingKey {
        case version, type, sequence, period, requests, refused
        case periodEnd = "period_end"
        case journalStart = "journal_start"
        case journalEnd = "journal_end"
        case wipesVerified = "wipes_verified"
        case byOutcome = "by_outcome"
        case byErrorCode = "by_error_code"
        case byKind = "by_kind"
        case bytesWiped = "bytes_wiped"
        case buffersWiped = "buffers_wiped"
        case plaintextLifetimeMaxMicroseconds = "plaintext_lifetime_max_us"
        case plaintextLifetimeSumMicroseconds = "plaintext_lifetime_sum_us"
        case lifetimeHistogram = "lifetime_histogram"
        case clockStep = "clock_step"
    }

    /// The summary of `records` (all of one batch) and `refused`.
    public init(
        sequence: Int, period: String, periodEnd: String, journalStart: Int, records: [DeletionRecord],
        refused: [String: Int], clockStep: ClockStep?
    ) {
        var totals = PeriodTotals()
        for record in records { totals.add(record) }
        self.init(sequence: sequence, period: period, periodEnd: periodEnd, journalStart: journalStart, totals: totals, refused: refused, clockStep: clockStep)
    }

    /// The summary of a batch whose records were added to `totals`.
    package init(sequence: Int, period: String, periodEnd: String, journalStart: Int, totals: PeriodTotals, refused: [String: Int], clockStep: ClockStep?) {
        self.sequence = sequence
        self.period = period
        self.periodEnd = periodEnd
        self.journalStart = journalStart
        self.journalEnd = journalStart + totals.requests
        self.requests = totals.requests
        self.wipesVerified = totals.wipesVerified
        self.byOutcome = totals.byOutcome
        self.byErrorCode = totals.byErrorCode
        self.byKind = totals.byKind
        self.bytesWiped = totals.bytesWiped
        self.buffersWiped = totals.buffersWiped
        self.plaintextLifetimeMaxMicroseconds = totals.lifetimeMaxMicroseconds
        self.plaintextLifetimeSumMicroseconds = totals.lifetimeSumMicroseconds
        self.lifetimeHistogram = totals.histogram
        self.refused = refused
        self.clockStep = clockStep
    }

    /// Counts per bucket of `PeriodSummary.bucketBoundsMilliseconds` (upper bounds, inclusive), plus the rest.
    public static func histogram(_ lifetimesMicroseconds: [Int]) -> [Int] {
        let bounds = PeriodSummary.bucketBoundsMilliseconds
        var counts = Array(repeating: 0, count: bounds.count + 1)
        for lifetime in lifetimesMicroseconds {
            counts[bounds.firstIndex { lifetime <= $0 * 1000 } ?? bounds.count] += 1
        }
        return counts
    }

    /// Requests refused before any plaintext existed, over all codes.
    public var refusedCount: Int { refused.values.reduce(0, &+) }
}

/// Running totals of a batch's records, kept while the batch is open so that publishing it reads
/// nothing back from disk; `PeriodSummary` is made from them (and an auditor makes the same from
/// the records).
package struct PeriodTotals: Sendable {
    var requests = 0
    var wipesVerified = 0
    var byOutcome: [String: Int] = [:]
    var byErrorCode: [String: Int] = [:]
    var byKind: [String: Int] = [:]
    var bytesWiped: [String: Int] = [:]
    var buffersWiped = 0
    var lifetimeMaxMicroseconds = 0
    var lifetimeSumMicroseconds = 0
    var histogram = Array(repeating: 0, count: PeriodSummary.bucketBoundsMilliseconds.count + 1)

    /// Wrapping sums: a record read from a hostile file must not trap the auditor (an honest
    /// ledger is nowhere near 2^63; a wrapped sum then simply disagrees with the summary).
    package init() {}

    package mutating func add(_ record: DeletionRecord) {
        requests += 1
        if record.wipeVerified { wipesVerified += 1 }
        byOutcome[record.outcome, default: 0] += 1
        if let code = record.errorCode { byErrorCode[code, default: 0] += 1 }
        if let kind = record.kind { byKind[kind, default: 0] += 1 }
        bytesWiped.merge(record.bytesWiped, uniquingKeysWith: &+)
        buffersWiped &+= record.buffersWiped
        lifetimeMaxMicroseconds = max(lifetimeMaxMicroseconds, record.plaintextLifetimeMicroseconds)
        lifetimeSumMicroseconds &+= record.plaintextLifetimeMicroseconds
        let bounds = PeriodSummary.bucketBoundsMilliseconds
        histogram[bounds.firstIndex { record.plaintextLifetimeMicroseconds <= $0 * 1000 } ?? bounds.count] += 1
    }
}

/// One line of the public log.
public enum LogEntry: Sendable, Equatable {
    case wipe(WipeCommitment)
    case summary(PeriodSummary)
    /// An OHTTP key configuration the worker accepts, logged before it is published (§17).
    case key(KeyConfigEntry)
    /// A version-1 entry from before records became private: it was public already and stays.
    case legacy(DeletionRecord)

    /// Decodes a log line. - Throws: `DecodingError` when it is none of the three.
    public static func decode(_ line: Data) throws -> LogEntry {
        struct Head: Decodable {
            let version: Int
            let type: String?
        }
        let decoder = JSONDecoder()
        let head = try decoder.decode(Head.self, from: line)
        switch (head.version, head.type) {
        case (2, WipeCommitment.type?): return .wipe(try decoder.decode(WipeCommitment.self, from: line))
        case (2, PeriodSummary.type?): return .summary(try decoder.decode(PeriodSummary.self, from: line))
        case (2, KeyConfigEntry.type?): return .key(try decoder.decode(KeyConfigEntry.self, from: line))
        case (1, nil): return .legacy(try decoder.decode(DeletionRecord.self, from: line))
        default:
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "unknown log entry version \(head.version) type \(head.type ?? "-")"))
        }
    }

    /// Position in the log.
    public var sequence: Int {
        switch self {
        case .wipe(let entry): entry.sequence
        case .summary(let entry): entry.sequence
        case .key(let entry): entry.sequence
        case .legacy(let entry): entry.sequence
        }
    }

    /// The canonical JSON of the entry.
    public func canonicalJSON() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        switch self {
        case .wipe(let entry): return try encoder.encode(entry)
        case .summary(let entry): return try encoder.encode(entry)
        case .key(let entry): return try encoder.encode(entry)
        case .legacy(let entry): return try entry.canonicalJSON()
        }
    }
}
