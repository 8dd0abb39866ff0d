import Foundation

/// How the transparency log of deletions is kept: signing key, segments, retention, publication.
public struct LedgerConfiguration: Sendable {
    /// Ledger signing key file (`PRIVATE+KEY+…`); nil = `LEDGER_DIR/ledger-signing.key`, generated on first start.
    public var signingKeyFile: String?
    /// Device pseudonym key file (32 random bytes); nil = `LEDGER_DIR/pseudonym.key`, generated
    /// on first start. A configured file must exist, outside the ledger directory, read-only.
    public var pseudonymKeyFile: String?
    /// Origin (and key name) for a newly generated key; nil = `lethe.local/<hostname>-<random>`.
    /// Ignored when the key exists: the origin is always the key's name.
    public var origin: String?
    /// A segment file is closed once it reaches this many bytes (or at the UTC day change).
    public var maxSegmentBytes: Int = 64 * 1024 * 1024
    /// Records, log segments and checkpoints older than this are removed; 0 keeps everything.
    public var retentionDays: Int = 183
    /// A batch is published before its period ends once it holds this many requests; 0 = only at
    /// the end of the period. Each early batch is a smaller crowd for a request to hide in (a relay
    /// can count requests too), so keep it 0 unless receipts must be provable sooner.
    public var checkpointEveryEntries: Int = 0
    /// The publication period in seconds: the records of a period (aligned to 1970) are published
    /// together at its end, in an order not tied to their arrival, with the period's summary, and a
    /// checkpoint is signed. A relay can then tell a request only from the others of its period.
    public var checkpointIntervalSeconds: Double = 60
    /// Witnesses that cosign each checkpoint before it is published (nil: checkpoints carry the
    /// ledger's signature only).
    public var cosigning: (any CheckpointCosigning)?
    /// The wall and monotonic clocks (injectable for tests).
    public var clock: LedgerClock = .system

    public init() {}

    /// The secret keys kept in the ledger directory, the one place the worker writes (no key file
    /// configured for them): whoever can write the ledger could replace or read them there.
    public var keysInLedgerDirectory: [String] {
        (signingKeyFile == nil ? [LedgerLayout.signingKeyFileName] : []) + (pseudonymKeyFile == nil ? [LedgerLayout.pseudonymKeyFileName] : [])
    }

    /// The period in whole milliseconds (at least 1).
    var periodMilliseconds: Int64 { max(1, Int64((checkpointIntervalSeconds * 1000).rounded())) }
}
