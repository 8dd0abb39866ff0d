import Foundation
import LetheMemory

/// A public key configuration that clients use to encapsulate requests for a gateway
/// (RFC 9458 §3.1), and its `application/ohttp-keys` list form (RFC 9540 §3).
public struct OHTTPKeyConfig: Sendable, Equatable {
    /// Identifies the gateway key; repeated in every request header.
    public let keyID: UInt8
    /// HPKE KEM identifier (0x0020 X25519, 0x647a X-Wing).
    public let kemID: UInt16
    /// The encoded HPKE public key (Npk bytes for the KEM).
    public let publicKey: Data
    /// The (KDF, AEAD) pairs the gateway accepts with this key, in preference order.
    public let suites: [OHTTPSymmetricSuite]

    /// Creates a config from its parts.
    public init(keyID: UInt8, kemID: UInt16, publicKey: Data, suites: [OHTTPSymmetricSuite]) {
        self.keyID = keyID
        self.kemID = kemID
        self.publicKey = publicKey
        self.suites = suites
    }

    /// The wire form of RFC 9458 §3.1:
    /// `key_id(8) || kem_id(16) || public_key(Npk*8) || suites_length(16) || (kdf_id(16) || aead_id(16))...`
    public func encoded() -> Data {
        var data = Data(capacity: 1 + 2 + publicKey.count + 2 + 4 * suites.count)
        data.append(keyID)
        data.appendUInt16(kemID)
        data.append(publicKey)
        data.appendUInt16(UInt16(truncatingIfNeeded: 4 * suites.count))
        for suite in suites {
            data.appendUInt16(suite.kdfID)
            data.appendUInt16(suite.aeadID)
        }
        return data
    }

    /// Decodes exactly one config (RFC 9458 §3.1); trailing bytes are an error.
    ///
    /// The public key length comes from the KEM, so a config for a KEM this module does not
    /// know throws `unsupported_suite`; a short, overlong or inconsistent config throws
    /// `malformed_key_config`.
    public init(decoding data: Data) throws(LetheError) {
        var reader = NetworkByteReader(Array(data))
        self = try OHTTPKeyConfig.read(from: &reader)
        guard reader.isAtEnd else {
            throw .malformedKeyConfig("\(reader.remainingCount) unexpected bytes after the key config")
        }
    }

    static func read(from reader: inout NetworkByteReader) throws(LetheError) -> OHTTPKeyConfig {
        guard let keyID = reader.readUInt8(), let kemID = reader.readUInt16() else {
            throw .malformedKeyConfig("key config shorter than its header")
        }
        guard let kem = OHTTPKEM(kemID: kemID) else {
            throw .unsupportedSuite("key config uses KEM 0x\(String(kemID, radix: 16)), which is not supported")
        }
        guard let publicKey = reader.readBytes(kem.publicKeyByteCount) else {
            throw .malformedKeyConfig("key config ends inside the \(kem.publicKeyByteCount)-byte public key")
        }
        guard let suitesLength = reader.readUInt16() else {
            throw .malformedKeyConfig("key config ends before the symmetric algorithms length")
        }
        // RFC 9458 §3.1: HPKE Symmetric Algorithms Length (16) = 4..65532, a multiple of 4.
        guard suitesLength >= 4, suitesLength % 4 == 0 else {
            throw .malformedKeyConfig("symmetric algorithms length \(suitesLength) is not a positive multiple of 4")
        }
        guard reader.remainingCount >= Int(suitesLength) else {
            throw .malformedKeyConfig("key config ends inside its symmetric algorithms")
        }
        var suites: [OHTTPSymmetricSuite] = []
        suites.reserveCapacity(Int(suitesLength) / 4)
        for _ in 0..<Int(suitesLength) / 4 {
            // Cannot fail: the length was checked above.
            let kdfID = reader.readUInt16() ?? 0
            let aeadID = reader.readUInt16() ?? 0
            suites.append(OHTTPSymmetricSuite(kdfID: kdfID, aeadID: aeadID))
        }
        return OHTTPKeyConfig(keyID: keyID, kemID: kemID, publicKey: Data(publicKey), suites: suites)
    }

    /// The `application/ohttp-keys` body (RFC 9540 §3): each encoded config prefixed by its
    /// 2-byte length.
    public static func encodeList(_ configs: [OHTTPKeyConfig]) -> Data {
        var data = Data()
        for config in configs {
            let encoded = config.encoded()
            data.appendUInt16(UInt16(truncatingIfNeeded: encoded.count))
            data.append(encoded)
        }
        return data
    }

    /// Decodes an `application/ohttp-keys` body (RFC 9540 §3).
    ///
    /// Configs for KEMs this module does not implement are skipped, as the length prefix allows;
    /// if every config was skipped the error is `unsupported_suite`. An empty body, a length
    /// prefix that runs past the end, or a config that does not fill its prefixed length exactly
    /// throws `malformed_key_config`.
    public static func decodeList(_ data: Data) throws(LetheError) -> [OHTTPKeyConfig] {
        var reader = NetworkByteReader(Array(data))
        guard !reader.isAtEnd else { throw .malformedKeyConfig("key config list is empty") }
        var configs: [OHTTPKeyConfig] = []
        var skipped = 0
        while !reader.isAtEnd {
            guard let length = reader.readUInt16() else {
                throw .malformedKeyConfig("key config list ends inside a length prefix")
            }
            guard let body = reader.readBytes(Int(length)) else {
                throw .malformedKeyConfig("key config length \(length) runs past the end of the list")
            }
            var inner = NetworkByteReader(Array(body))
            do throws(LetheError) {
                let config = try read(from: &inner)
                guard inner.isAtEnd else {
                    throw LetheError.malformedKeyConfig("key config shorter than its length prefix \(length)")
                }
                configs.append(config)
            } catch {
                guard error.code == .unsupportedSuite else { throw error }
                skipped += 1
            }
        }
        if configs.isEmpty && skipped > 0 {
            throw .unsupportedSuite("none of the \(skipped) key configs uses a supported KEM")
        }
        return configs
    }
}
