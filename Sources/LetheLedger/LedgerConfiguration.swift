import Foundation

/// How the transparency log of deletions is kept: signing key, segments, retention, checkpoints.
public struct LedgerConfiguration: Sendable {
    /// Ledger signing key file (`PRIVATE+KEY+…`); nil = `LEDGER_DIR/ledger-signing.key`, generated on first start.
    public var signingKeyFile: String?
    /// Origin (and key name) for a newly generated key; nil = `lethe.local/<hostname>-<random>`.
    /// Ignored when the key exists: the origin is always the key's name.
    public var origin: String?
    /// A segment file is closed once it reaches this many bytes (or at the UTC day change).
    public var maxSegmentBytes: Int = 64 * 1024 * 1024
    /// Segments whose newest entry is older than this are removed; 0 keeps everything.
    public var retentionDays: Int = 183
    /// A checkpoint is signed once this many entries are not yet covered by one.
    public var checkpointEveryEntries: Int = 64
    /// … or this many seconds after the first uncovered entry.
    public var checkpointIntervalSeconds: Double = 10

    public init() {}
}
