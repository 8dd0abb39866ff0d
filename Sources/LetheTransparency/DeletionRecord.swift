import Crypto
import Foundation

/// One request's proof-of-deletion record: what plaintext it held, when it was wiped, whether the
/// read-back verify passed. No pixels, no plaintext hashes, no IP addresses; the device appears
/// only as a keyed-HMAC pseudonym.
///
/// Records are the ledger's private detail (`LEDGER_DIR/segments/`, served only on the operator
/// listener): their exact times and sizes would let an OHTTP relay, which sees each request's
/// arrival time and size, find a request's record. The public log carries only a commitment to
/// each record (`commitment()`) and per-period totals; the device gets its record in its receipt
/// and can open its commitment. See docs/ledger.md §2.
///
/// Encoded as canonical JSON (sorted keys, no insignificant whitespace, integers and strings only).
public struct DeletionRecord: Codable, Sendable, Equatable {
    /// Record format version: 2 (version 1 entries were public; they remain readable in old logs).
    public var version: Int = 2
    /// Position among the records, starting at 0, without gaps.
    public var sequence: Int
    /// Random 128-bit request id (hex), also returned to the device.
    public var requestID: String
    /// HMAC-SHA256 pseudonym of the authenticated device, absent when no device was authenticated.
    public var devicePseudonym: String?
    /// Requested analysis kind, absent when the request never got that far.
    public var kind: String?
    /// When the encrypted request arrived (RFC 3339, UTC, milliseconds).
    public var receivedAt: String
    /// When the record was durably appended, after the wipe: a "wiped no later than" bound
    /// (RFC 3339, UTC, milliseconds), from the ledger's clock (`LedgerStamps`).
    public var wipedAt: String
    /// From the first plaintext byte (decapsulation) to the wipe, in microseconds.
    public var plaintextLifetimeMicroseconds: Int
    /// Bytes wiped per buffer class (`request_body`, `pixels`, `intermediate`, `rendering`, `response`).
    public var bytesWiped: [String: Int]
    /// The part of `bytesWiped` wiped in the engine process that decoded and analysed the photos,
    /// per buffer class (the rest was wiped in the gateway). Absent when no engine reported a wipe:
    /// the in-process path, a request refused before analysis, or an engine that failed (its
    /// memory went with its process).
    public var engineBytesWiped: [String: Int]?
    /// Number of buffers wiped.
    public var buffersWiped: Int
    /// True when every wiped buffer read back as zeros.
    public var wipeVerified: Bool
    /// `ok` or `error`.
    public var outcome: String
    /// Stable error code when `outcome == "error"`.
    public var errorCode: String?
    /// 128 random bits (hex) that make the commitment hiding: without them nobody can test a
    /// guess of the record's fields against the public commitment. Version 2 only.
    public var salt: String?
    /// Start and end of the publication period holding `wipedAt` (RFC 3339). Version 2 only.
    public var period: String?
    public var periodEnd: String?
    /// Set on the first record after the wall clock stepped (`LedgerStamps`).
    public var clockStep: ClockStep?

    enum CodingKeys: String, CodingKey {
        case version, sequence, kind, outcome, salt, period
        case requestID = "request_id"
        case devicePseudonym = "device_pseudonym"
        case receivedAt = "received_at"
        case wipedAt = "wiped_at"
        case plaintextLifetimeMicroseconds = "plaintext_lifetime_us"
        case bytesWiped = "bytes_wiped"
        case engineBytesWiped = "engine_bytes_wiped"
        case buffersWiped = "buffers_wiped"
        case wipeVerified = "wipe_verified"
        case errorCode = "error_code"
        case periodEnd = "period_end"
        case clockStep = "clock_step"
    }

    /// Creates a record of a finished request; the ledger assigns `sequence`, `wipedAt`, `salt`
    /// and the period when it appends it.
    public init(
        requestID: String, devicePseudonym: String?, kind: String?, receivedAt: Date, plaintextLifetimeMicroseconds: Int,
        bytesWiped: [String: Int], buffersWiped: Int, wipeVerified: Bool, errorCode: String?, engineBytesWiped: [String: Int]? = nil
    ) {
        self.engineBytesWiped = engineBytesWiped
        self.sequence = -1
        self.requestID = requestID
        self.devicePseudonym = devicePseudonym
        self.kind = kind
        self.receivedAt = LedgerTime.timestamp(LedgerTime.milliseconds(receivedAt))
        self.wipedAt = ""
        self.plaintextLifetimeMicroseconds = plaintextLifetimeMicroseconds
        self.bytesWiped = bytesWiped
        self.buffersWiped = buffersWiped
        self.wipeVerified = wipeVerified
        self.outcome = errorCode == nil ? "ok" : "error"
        self.errorCode = errorCode
    }

    /// The canonical JSON bytes of this record (one line, no trailing newline).
    public func canonicalJSON() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }

    /// Total bytes wiped over all classes.
    public var totalBytesWiped: Int { bytesWiped.values.reduce(0, +) }

    /// Domain separation of commitments from every other hash in the ledger.
    public static let commitmentDomain = Data("lethe.commitment/v2\n".utf8)

    /// The public commitment to the canonical bytes of a record:
    /// hex(SHA-256("lethe.commitment/v2\n" || canonical JSON)).
    public static func commitment(canonicalJSON: Data) -> String {
        var hasher = SHA256()
        hasher.update(data: commitmentDomain)
        hasher.update(data: canonicalJSON)
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }

    /// The public commitment to this record (its canonical JSON).
    public func commitment() throws -> String {
        Self.commitment(canonicalJSON: try canonicalJSON())
    }

    /// 128 random bits in hex.
    package static func randomSalt() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<16).map { _ in String(format: "%02x", UInt8.random(in: .min ... .max, using: &generator)) }.joined()
    }

    /// RFC 3339 UTC with milliseconds, e.g. `2026-11-22T10:15:03.042Z`.
    package static func timestamp(_ date: Date) -> String {
        LedgerTime.timestamp(LedgerTime.milliseconds(date))
    }
}
