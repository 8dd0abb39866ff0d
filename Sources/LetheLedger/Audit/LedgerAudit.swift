import Foundation

/// The outcome of `LedgerAuditor.verify`: what was checked, the first failure (if any) and
/// warnings that do not make the ledger wrong (a torn tail from a crash, entries not yet covered
/// by a checkpoint, records not yet published).
public struct LedgerAudit: Sendable, Codable {
    /// One finding, with a stable code and a message naming the entry, record or checkpoint.
    public struct Finding: Sendable, Codable, Equatable, CustomStringConvertible {
        public let code: String
        public let message: String
        public var description: String { "\(code): \(message)" }

        public init(code: String, message: String) {
            self.code = code
            self.message = message
        }
    }

    public var directory: String
    public var origin: String?
    /// Entries in the public log (including removed ones).
    public var entryCount = 0
    /// Log entries removed by retention (only their compact range is kept).
    public var removedCount = 0
    /// Checkpoints whose signature and root were checked.
    public var checkpointCount = 0
    /// Size of the newest valid checkpoint, in log entries.
    public var checkpointedSize = 0
    /// Root hash of the whole log (base64).
    public var rootHash: String?
    /// Published batches (period summaries) in the log.
    public var periodCount = 0
    /// Requests refused before any plaintext existed, over all summaries.
    public var refusedCount = 0
    /// Records the log's summaries account for (the last summary's `journal_end`).
    public var recordsPublished = 0
    /// Records covered by the newest valid checkpoint.
    public var checkpointedRecords = 0
    /// True when the private records were there to check (the operator's own audit).
    public var recordsPresent = false
    /// Private records (including removed ones) and those removed by retention.
    public var recordCount = 0
    public var recordsRemoved = 0
    /// Records recomputed into their commitments and period totals.
    public var recordsChecked = 0
    /// Failures, first one first; verify passes only when this is empty.
    public var failures: [Finding] = []
    public var warnings: [Finding] = []
    /// With a witness policy (`LedgerAuditor.checkWitnesses`): the latest checkpoint's cosigners.
    public var witnessing: Witnessing?

    public var passed: Bool { failures.isEmpty }

    enum CodingKeys: String, CodingKey {
        case directory, origin, failures, warnings, witnessing
        case entryCount = "entry_count"
        case removedCount = "removed_count"
        case checkpointCount = "checkpoint_count"
        case checkpointedSize = "checkpointed_size"
        case rootHash = "root_hash"
        case periodCount = "period_count"
        case refusedCount = "refused_count"
        case recordsPublished = "records_published"
        case checkpointedRecords = "checkpointed_records"
        case recordsPresent = "records_present"
        case recordCount = "record_count"
        case recordsRemoved = "records_removed"
        case recordsChecked = "records_checked"
    }

    mutating func fail(_ code: String, _ message: String) { failures.append(Finding(code: code, message: message)) }
    mutating func warn(_ code: String, _ message: String) { warnings.append(Finding(code: code, message: message)) }
}
