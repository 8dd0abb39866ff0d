import Foundation
import LetheMemory

/// What `lethe audit monitor` remembers per log between rounds and restarts: the newest checkpoint
/// it verified, the compact range of that tree (enough to extend it with the next entries and
/// recompute the next root), when it first saw that checkpoint, and the last period summary (to
/// check that the next batch continues its record range). Persisted atomically after each round.
public struct MonitorState: Codable, Sendable, Equatable {
    public var format = MonitorState.format
    /// By origin.
    public var logs: [String: Log]

    public static let format = "lethe-monitor-v1"

    /// One log's verified prefix.
    public struct Log: Codable, Sendable, Equatable {
        /// Entries verified: the size of `note`'s checkpoint.
        public var size: Int
        /// The checkpoint's root, base64.
        public var root: String
        /// `MerkleTree.compactRange(size:)` of the verified tree, base64 hashes.
        public var compactRange: [String]
        /// The signed (cosigned) checkpoint note.
        public var note: String
        /// POSIX seconds when this checkpoint was first seen: the age `--max-age` measures.
        public var seenAt: Int64
        /// The last period summary verified (canonical JSON), for record-range continuity.
        public var lastSummary: String?

        enum CodingKeys: String, CodingKey {
            case size, root, note
            case compactRange = "compact_range"
            case seenAt = "seen_at"
            case lastSummary = "last_summary"
        }

        public init(size: Int, root: String, compactRange: [String], note: String, seenAt: Int64, lastSummary: String?) {
            self.size = size
            self.root = root
            self.compactRange = compactRange
            self.note = note
            self.seenAt = seenAt
            self.lastSummary = lastSummary
        }
    }

    public init(logs: [String: Log] = [:]) {
        self.logs = logs
    }

    /// Reads `path`; an absent file is an empty state.
    /// - Throws: `monitor_state_invalid` for a file that is not this format.
    public static func load(_ path: String) throws -> MonitorState {
        guard let data = FileManager.default.contents(atPath: path) else { return MonitorState() }
        guard let state = try? JSONDecoder().decode(MonitorState.self, from: data), state.format == format else {
            throw LetheError(.monitorStateInvalid, "the monitor state file is not \(format) JSON")
        }
        return state
    }

    /// Replaces `path` atomically (temporary file, fsync, rename).
    public func store(_ path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        try LedgerFile.replace(path, with: try encoder.encode(self))
    }
}
