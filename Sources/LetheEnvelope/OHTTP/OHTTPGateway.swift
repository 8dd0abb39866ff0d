import Crypto
import Foundation
import LetheMemory

/// The Oblivious Gateway Resource's cryptography (RFC 9458 §4.3, §6.3): holds the private keys,
/// publishes their configs, and turns an encapsulated request into plaintext held in a
/// `PlaintextArena`.
public struct OHTTPGateway: Sendable {
    /// The keys, which may change while the gateway runs (rotation).
    public let keyRing: OHTTPKeyRing

    /// Creates a gateway for fixed, unscheduled `keys`. When two keys share a key id, the first
    /// one is used and the later one is neither published nor accepted.
    public init(keys: [OHTTPPrivateKey]) {
        self.init(keyRing: OHTTPKeyRing(keys: keys.map { OHTTPScheduledKey($0) }))
    }

    /// Creates a gateway that publishes and accepts whatever `keyRing` holds at each request.
    public init(keyRing: OHTTPKeyRing) {
        self.keyRing = keyRing
    }

    /// The `application/ohttp-keys` body (RFC 9540 §3) listing the configs of the keys published
    /// now: not keys in their grace period, nor keys whose publication has not started.
    public var keyConfigs: Data {
        OHTTPKeyConfig.encodeList(keyRing.keySet.published(at: Date()).map(\.config))
    }

    /// The HPKE encapsulated key (`enc`) of an encapsulated request, read without decrypting
    /// anything, for replay detection (RFC 9458 §6.5): `enc` is fresh for every encapsulation, so
    /// a copy of a request carries the same one. Nil when the envelope is too short or names a key
    /// the gateway does not accept (`decapsulate` then says precisely why).
    public func encapsulatedKey(of encapsulatedRequest: some DataProtocol) -> Data? {
        var reader = NetworkByteReader(Array(encapsulatedRequest.prefix(OHTTPRequestHeader.byteCount + 2048)))
        guard let header = OHTTPRequestHeader(&reader),
              let key = keyRing.keySet.acceptedKey(id: header.keyID, at: Date()), header.kemID == key.kem.kemID,
              let enc = reader.readBytes(key.kem.encapsulatedKeyByteCount) else { return nil }
        return Data(enc)
    }

    /// Decapsulates a request (RFC 9458 §4.3): reads `hdr || enc || ct`, sets up HPKE with
    /// `info = "message/bhttp request" || 0x00 || hdr`, opens `ct`, and moves the plaintext
    /// into `arena` as a `.requestBody` buffer (the `Data` HPKE returned is wiped in place).
    ///
    /// - Returns: the binary HTTP request bytes, and the responder that encapsulates the
    ///   response to this request.
    /// - Throws: `malformed_envelope` (shorter than header, `enc` and AEAD tag),
    ///   `unknown_key_id` (no such key, or its grace period is over), `unsupported_suite` (KEM does not match the key, or KDF/AEAD not
    ///   offered), `decryption_failed` (any HPKE failure: tampered, truncated, wrong key), or the
    ///   `LetheMemory` code when the arena cannot take the plaintext.
    public func decapsulate(
        _ encapsulatedRequest: some DataProtocol,
        into arena: PlaintextArena
    ) throws(LetheError) -> (request: SecureBuffer, responder: OHTTPResponder) {
        // The envelope is ciphertext: copying it into an array exposes nothing.
        var reader = NetworkByteReader(Array(encapsulatedRequest))
        guard let header = OHTTPRequestHeader(&reader) else {
            throw .malformedEnvelope("encapsulated request is shorter than its \(OHTTPRequestHeader.byteCount)-byte header")
        }
        // Unknown and expired key ids get the same answer: a device learns nothing but "fetch
        // the key configs again".
        guard let key = keyRing.keySet.acceptedKey(id: header.keyID, at: Date()) else {
            throw .unknownKeyID(header.keyID)
        }
        guard header.kemID == key.kem.kemID else {
            throw .unsupportedSuite("key id \(header.keyID) is a \(key.kem.rawValue) key, not KEM 0x\(String(header.kemID, radix: 16))")
        }
        guard header.suite.isSupported, key.config.suites.contains(header.suite),
              let kdf = header.suite.hpkeKDF, let aead = header.suite.hpkeAEAD else {
            throw .unsupportedSuite("symmetric suite \(header.suite) is not offered")
        }
        guard let encapsulatedKey = reader.readBytes(key.kem.encapsulatedKeyByteCount) else {
            throw .malformedEnvelope("encapsulated request ends inside the \(key.kem.encapsulatedKeyByteCount)-byte encapsulated key")
        }
        guard reader.remainingCount >= header.suite.aeadTagByteCount,
              let ciphertext = reader.readBytes(reader.remainingCount) else {
            throw .malformedEnvelope("encapsulated request is too short to hold an authentication tag")
        }

        let enc = Data(encapsulatedKey)
        let ciphersuite = HPKE.Ciphersuite(kem: key.kem.hpkeKEM, kdf: kdf, aead: aead)
        var recipient: HPKE.Recipient
        let secret: SymmetricKey
        do {
            recipient = try key.makeRecipient(ciphersuite: ciphersuite, info: header.hpkeInfo, encapsulatedKey: enc)
            // RFC 9458 §4.4: secret = context.Export("message/bhttp response", Nk). Taken before
            // opening so that no plaintext exists yet if this fails.
            secret = try recipient.exportSecret(
                context: OHTTPResponseCrypto.exportContext,
                outputByteCount: header.suite.aeadKeyByteCount
            )
        } catch {
            throw .decryptionFailed
        }

        var plaintext: Data
        do {
            plaintext = try recipient.open(ciphertext, authenticating: Data())
        } catch {
            throw .decryptionFailed
        }

        let request: SecureBuffer
        do {
            request = try arena.adopt(&plaintext, bufferClass: .requestBody)
        } catch {
            plaintext.wipeInPlace()
            throw error
        }
        let responder = OHTTPResponder(crypto: OHTTPResponseCrypto(secret: secret, encapsulatedKey: enc, suite: header.suite))
        return (request, responder)
    }
}
