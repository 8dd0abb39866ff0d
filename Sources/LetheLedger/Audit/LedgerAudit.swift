import Foundation

/// The outcome of `LedgerAuditor.verify`: what was checked, the first failure (if any) and
/// warnings that do not make the ledger wrong (a torn tail from a crash, entries not yet covered
/// by a checkpoint).
public struct LedgerAudit: Sendable, Codable {
    /// One finding, with a stable code and a message naming the entry or checkpoint.
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
    /// Entries in the log (including removed ones).
    public var entryCount = 0
    /// Entries removed by retention (only their compact range is kept).
    public var removedCount = 0
    /// Checkpoints whose signature and root were checked.
    public var checkpointCount = 0
    /// Size of the newest valid checkpoint.
    public var checkpointedSize = 0
    /// Root hash of the whole log (base64).
    public var rootHash: String?
    /// Failures, first one first; verify passes only when this is empty.
    public var failures: [Finding] = []
    public var warnings: [Finding] = []

    public var passed: Bool { failures.isEmpty }

    enum CodingKeys: String, CodingKey {
        case directory, origin, failures, warnings
        case entryCount = "entry_count"
        case removedCount = "removed_count"
        case checkpointCount = "checkpoint_count"
        case checkpointedSize = "checkpointed_size"
        case rootHash = "root_hash"
    }

    mutating func fail(_ code: String, _ message: String) { failures.append(Finding(code: code, message: message)) }
    mutating func warn(_ code: String, _ message: String) { warnings.append(Finding(code: code, message: message)) }
}
