import Foundation
import LetheTransparency

/// Where everything lives inside a ledger directory:
///
/// ```
/// LEDGER_DIR/pseudonym.key           HMAC key for device pseudonyms (32 bytes, 0600); only without a pseudonym key file
/// LEDGER_DIR/ledger-signing.key      PRIVATE+KEY+<origin>+<id>+<base64> (0600); only without a signing key file
/// LEDGER_DIR/segments/<first>.jsonl  private: deletion records <first>, <first>+1, … one canonical JSON line each
/// LEDGER_DIR/log/<first>.jsonl       public: the transparency log's entries (commitments, period summaries)
/// LEDGER_DIR/checkpoints/<size>      signed tlog-checkpoint note covering log entries 0..<size
/// LEDGER_DIR/pruned                  after retention: size and compact range of removed log entries
/// ```
/// `<first>` and `<size>` are zero-padded to 20 digits so that names sort numerically.
/// A ledger from before private records (version-1 entries in `segments/`, or the older
/// `LEDGER_DIR/deletions.jsonl`) has them moved, unchanged, into `log/` on first open: they were
/// public already, and their checkpoints keep verifying.
public struct LedgerLayout: Sendable {
    public let directory: URL

    public init(directory: URL) {
        self.directory = directory
    }

    public static let legacyEntriesFileName = "deletions.jsonl"
    public static let signingKeyFileName = "ledger-signing.key"
    public static let pseudonymKeyFileName = "pseudonym.key"

    /// The private records (`DeletionRecord`), one per request that held plaintext.
    public var segmentsDirectory: URL { directory.appendingPathComponent("segments") }
    /// The public log (`LogEntry`), the leaves of the Merkle tree.
    public var logDirectory: URL { directory.appendingPathComponent("log") }
    public var checkpointsDirectory: URL { directory.appendingPathComponent("checkpoints") }
    public var legacyEntriesFile: URL { directory.appendingPathComponent(Self.legacyEntriesFileName) }
    public var signingKeyFile: URL { directory.appendingPathComponent(Self.signingKeyFileName) }
    public var prunedFile: URL { directory.appendingPathComponent("pruned") }

    public static func paddedName(_ number: Int) -> String {
        let digits = String(number)
        return String(repeating: "0", count: max(0, 20 - digits.count)) + digits
    }

    /// The records segment starting at record `firstIndex`.
    public func segmentFile(firstIndex: Int) -> URL {
        segmentsDirectory.appendingPathComponent(Self.paddedName(firstIndex) + ".jsonl")
    }

    /// The log segment starting at entry `firstIndex`.
    public func logFile(firstIndex: Int) -> URL {
        logDirectory.appendingPathComponent(Self.paddedName(firstIndex) + ".jsonl")
    }

    public func checkpointFile(size: Int) -> URL {
        checkpointsDirectory.appendingPathComponent(Self.paddedName(size))
    }

    /// Records segment files as (first record index, url), ascending. Names that do not parse are
    /// returned with index -1 so that a verifier can complain about them.
    public func segments() -> [(firstIndex: Int, url: URL)] {
        SegmentStore.segments(in: segmentsDirectory)
    }

    /// Log segment files as (first entry index, url), ascending; unparsable names get -1.
    public func logSegments() -> [(firstIndex: Int, url: URL)] {
        SegmentStore.segments(in: logDirectory)
    }

    /// Checkpoint files as (size from the name, url), ascending.
    public func checkpoints() -> [(size: Int, url: URL)] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: checkpointsDirectory.path)) ?? []
        return names.filter { !$0.hasPrefix(".") }.sorted().map { name in
            (Int(name) ?? -1, checkpointsDirectory.appendingPathComponent(name))
        }
    }
}

/// What retention left behind of removed log segments: how many entries were removed and the
/// compact range (hashes of the perfect subtrees covering entries 0..<size, left to right), from
/// which the tree continues; plus consistency proofs from each checkpoint older than the cut to the
/// latest checkpoint at the time of the cut (for witnesses who kept the old checkpoints: the
/// checkpoint files before the cut are removed). File `LEDGER_DIR/pruned`, JSON.
public struct PrunedPrefix: Codable, Sendable, Equatable {
    /// Entries 0..<size were removed.
    public var size: Int
    /// Base64 subtree hashes covering 0..<size, largest first (binary decomposition of `size`).
    public var compactRange: [String]
    /// Base64 consistency proofs keyed by "<old size>-<new size>" for checkpoints across the cut.
    public var consistencyProofs: [String: [String]]

    enum CodingKeys: String, CodingKey {
        case size
        case compactRange = "compact_range"
        case consistencyProofs = "consistency_proofs"
    }

    public init(size: Int, compactRange: [String], consistencyProofs: [String: [String]]) {
        self.size = size
        self.compactRange = compactRange
        self.consistencyProofs = consistencyProofs
    }
}
