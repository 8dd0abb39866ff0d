import Foundation

/// A public entry logging one OHTTP key configuration (RFC 9458 §3) that the worker accepts. It is
/// appended, fsynced and covered by a signed (and, with witnesses, cosigned) checkpoint before the
/// worker publishes or accepts the key, so that every key a device may be given is in the same
/// append-only log as the deletions: a key handed to one device alone (RFC 9458 §7, key
/// targeting) would have to be logged where every monitor sees it.
///
/// It stands outside the deletion batches (never between a batch's commitments and its summary)
/// and says nothing about any request.
public struct KeyConfigEntry: Codable, Sendable, Equatable {
    public var version = 2
    public var type = KeyConfigEntry.type
    /// Position in the public log.
    public var sequence: Int
    /// Start of the publication period in which the key was logged (RFC 3339): when it came into force, at the latest.
    public var period: String
    /// The key configuration's bytes (`key_id || kem_id || public_key || suites`), standard padded base64.
    public var config: String

    public static let type = "ohttp_key"

    public init(sequence: Int, period: String, config: Data) {
        self.sequence = sequence
        self.period = period
        self.config = config.base64EncodedString()
    }

    /// The key configuration's bytes; nil when `config` is not base64.
    public var configBytes: Data? { Data(base64Encoded: config) }
}
