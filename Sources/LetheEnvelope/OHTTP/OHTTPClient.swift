import Crypto
import Foundation
import LetheMemory

/// The device side of Oblivious HTTP (RFC 9458 §4.3): encapsulates binary HTTP requests for a
/// gateway's key config and opens the matching responses.
public struct OHTTPClient: Sendable {
    /// The gateway key config requests are encapsulated for.
    public let keyConfig: OHTTPKeyConfig
    /// The (KDF, AEAD) pair in use.
    public let suite: OHTTPSymmetricSuite

    private let kem: OHTTPKEM
    private let recipientKey: RecipientKey

    private enum RecipientKey: Sendable {
        case x25519(Curve25519.KeyAgreement.PublicKey)
        case xWing(XWingMLKEM768X25519.PublicKey)
    }

    /// Prepares a client for `keyConfig`.
    /// - Parameters:
    ///   - keyConfig: the gateway's config, e.g. from `OHTTPKeyConfig.decodeList`.
    ///   - suite: the (KDF, AEAD) pair to use; nil picks the first pair the config lists that
    ///     this module supports.
    /// - Throws: `unsupported_suite` (unknown KEM, suite not listed or not supported),
    ///   `malformed_key_config` (public key rejected).
    public init(keyConfig: OHTTPKeyConfig, suite: OHTTPSymmetricSuite? = nil) throws(LetheError) {
        guard let kem = OHTTPKEM(kemID: keyConfig.kemID) else {
            throw .unsupportedSuite("key config uses KEM 0x\(String(keyConfig.kemID, radix: 16)), which is not supported")
        }
        let chosen: OHTTPSymmetricSuite
        if let suite {
            guard suite.isSupported, keyConfig.suites.contains(suite) else {
                throw .unsupportedSuite("symmetric suite \(suite) is not offered by key config \(keyConfig.keyID) or not supported")
            }
            chosen = suite
        } else {
            guard let first = keyConfig.suites.first(where: \.isSupported) else {
                throw .unsupportedSuite("key config \(keyConfig.keyID) offers no supported symmetric suite")
            }
            chosen = first
        }
        guard keyConfig.publicKey.count == kem.publicKeyByteCount else {
            throw .malformedKeyConfig("a \(kem.rawValue) public key has \(kem.publicKeyByteCount) bytes, not \(keyConfig.publicKey.count)")
        }
        do {
            switch kem {
            case .x25519:
                recipientKey = .x25519(try Curve25519.KeyAgreement.PublicKey(rawRepresentation: keyConfig.publicKey))
            case .xWing:
                recipientKey = .xWing(try XWingMLKEM768X25519.PublicKey(rawRepresentation: keyConfig.publicKey))
            }
        } catch {
            throw .malformedKeyConfig("the \(kem.rawValue) public key was rejected")
        }
        self.keyConfig = keyConfig
        self.suite = chosen
        self.kem = kem
    }

    /// Encapsulates `request` (binary HTTP bytes) per RFC 9458 §4.3:
    /// `hdr || enc || Seal(SetupBaseS(pkR, "message/bhttp request" || 0x00 || hdr), "", request)`.
    /// - Returns: the `message/ohttp-req` body and the context that opens the response.
    /// - Throws: `encapsulation_failed` if HPKE refuses (not expected for a valid config).
    public func encapsulate(_ request: some DataProtocol) throws(LetheError) -> (encapsulatedRequest: Data, context: OHTTPClientContext) {
        let header = OHTTPRequestHeader(keyID: keyConfig.keyID, kemID: kem.kemID, suite: suite)
        // Both unwraps hold: `suite` was checked for support in init.
        guard let kdf = suite.hpkeKDF, let aead = suite.hpkeAEAD else {
            throw .unsupportedSuite("symmetric suite \(suite) is not supported")
        }
        let ciphersuite = HPKE.Ciphersuite(kem: kem.hpkeKEM, kdf: kdf, aead: aead)
        do {
            var sender: HPKE.Sender
            switch recipientKey {
            case .x25519(let key):
                sender = try HPKE.Sender(recipientKey: key, ciphersuite: ciphersuite, info: header.hpkeInfo)
            case .xWing(let key):
                sender = try HPKE.Sender(recipientKey: key, ciphersuite: ciphersuite, info: header.hpkeInfo)
            }
            let ciphertext = try sender.seal(request, authenticating: Data())
            // RFC 9458 §4.4: secret = context.Export("message/bhttp response", Nk).
            let secret = try sender.exportSecret(context: OHTTPResponseCrypto.exportContext, outputByteCount: suite.aeadKeyByteCount)
            var encapsulated = header.encoded
            encapsulated.append(sender.encapsulatedKey)
            encapsulated.append(ciphertext)
            let context = OHTTPClientContext(
                crypto: OHTTPResponseCrypto(secret: secret, encapsulatedKey: sender.encapsulatedKey, suite: suite)
            )
            return (encapsulated, context)
        } catch {
            throw .encapsulationFailed
        }
    }
}
