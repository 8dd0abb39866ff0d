import Foundation

/// One proof-of-deletion entry: what plaintext a request held, when it was wiped, and whether the
/// read-back verify passed. It carries no personal data: no pixels, no plaintext hashes, no IP
/// addresses; the device appears only as a keyed-HMAC pseudonym.
///
/// Encoded as canonical JSON (sorted keys, no insignificant whitespace, integers and strings only)
/// so that the exact bytes can later become a Merkle-tree leaf.
public struct DeletionRecord: Codable, Sendable, Equatable {
    /// Entry format version.
    public var version: Int = 1
    /// Position in this ledger, starting at 0, without gaps.
    public var sequence: Int
    /// Random 128-bit request id (hex), also returned to the device.
    public var requestID: String
    /// HMAC-SHA256 pseudonym of the authenticated device, absent when no device was authenticated.
    public var devicePseudonym: String?
    /// Requested analysis kind, absent when the request never got that far.
    public var kind: String?
    /// When the encrypted request arrived (RFC 3339, UTC, milliseconds).
    public var receivedAt: String
    /// When the last plaintext buffer was wiped (RFC 3339, UTC, milliseconds).
    public var wipedAt: String
    /// From the first plaintext byte (decapsulation) to the wipe, in microseconds; 0 when no plaintext existed.
    public var plaintextLifetimeMicroseconds: Int
    /// Bytes wiped per buffer class (`request_body`, `pixels`, `intermediate`, `response`).
    public var bytesWiped: [String: Int]
    /// Number of buffers wiped.
    public var buffersWiped: Int
    /// True when every wiped buffer read back as zeros.
    public var wipeVerified: Bool
    /// `ok` or `error`.
    public var outcome: String
    /// Stable error code when `outcome == "error"`.
    public var errorCode: String?

    enum CodingKeys: String, CodingKey {
        case version, sequence, kind, outcome
        case requestID = "request_id"
        case devicePseudonym = "device_pseudonym"
        case receivedAt = "received_at"
        case wipedAt = "wiped_at"
        case plaintextLifetimeMicroseconds = "plaintext_lifetime_us"
        case bytesWiped = "bytes_wiped"
        case buffersWiped = "buffers_wiped"
        case wipeVerified = "wipe_verified"
        case errorCode = "error_code"
    }

    /// Creates a record; `sequence` is assigned by the ledger on append.
    public init(
        sequence: Int = -1, requestID: String, devicePseudonym: String?, kind: String?,
        receivedAt: Date, wipedAt: Date, plaintextLifetimeMicroseconds: Int,
        bytesWiped: [String: Int], buffersWiped: Int, wipeVerified: Bool, errorCode: String?
    ) {
        self.sequence = sequence
        self.requestID = requestID
        self.devicePseudonym = devicePseudonym
        self.kind = kind
        self.receivedAt = DeletionRecord.timestamp(receivedAt)
        self.wipedAt = DeletionRecord.timestamp(wipedAt)
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

    /// RFC 3339 UTC with milliseconds, e.g. `2026-11-22T10:15:03.042Z`.
    static func timestamp(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt))
    }
}
