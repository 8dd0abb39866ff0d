import Crypto
import Foundation
import LetheMemory

/// Encapsulates the response to one decapsulated request (RFC 9458 §4.4). Holds only the
/// exported response secret and the request's `enc`, never plaintext.
public struct OHTTPResponder: Sendable {
    let crypto: OHTTPResponseCrypto

    init(crypto: OHTTPResponseCrypto) {
        self.crypto = crypto
    }

    /// Encrypts `response` (binary HTTP bytes, typically in a `.response` arena buffer):
    /// a fresh random `response_nonce` of max(Nn, Nk) bytes, keys from
    /// `Extract(enc || response_nonce, secret)`, and `response_nonce || Seal(...)` out.
    /// - Throws: `response_encryption_failed` if the AEAD refuses (not expected in practice).
    public func encapsulate(_ response: UnsafeRawBufferPointer) throws(LetheError) -> Data {
        let nonce = SymmetricKey(size: SymmetricKeySize(bitCount: crypto.suite.responseNonceByteCount * 8))
        return try encapsulate(response, responseNonce: nonce.withUnsafeBytes { Data($0) })
    }

    /// Encrypts the whole of `response` (e.g. the buffer from
    /// `BinaryHTTPResponse.encode(status:headerFields:content:in:)`); see `encapsulate(_:)`.
    public func encapsulate(_ response: SecureBuffer) throws(LetheError) -> Data {
        try response.withUnsafeBytes { bytes throws(LetheError) in try encapsulate(bytes) }
    }

    /// Encapsulates with a given nonce; for the RFC 9458 Appendix A vector only. A nonce must
    /// never be reused: production code calls `encapsulate(_:)`.
    func encapsulate(_ response: UnsafeRawBufferPointer, responseNonce: Data) throws(LetheError) -> Data {
        precondition(responseNonce.count == crypto.suite.responseNonceByteCount, "response nonce must be max(Nn, Nk) bytes")
        do {
            return try crypto.seal(response, responseNonce: responseNonce)
        } catch {
            throw .responseEncryptionFailed
        }
    }

    /// A secret for an extension of this one response (e.g. Lethe's encrypted receipt header),
    /// bound to the request's HPKE context; see `OHTTPResponseCrypto.exportSecret(label:length:)`.
    public func exportSecret(label: String, length: Int) -> SymmetricKey {
        crypto.exportSecret(label: label, length: length)
    }

    /// The exported response secret (for vector tests).
    var exportedSecret: Data { crypto.secret.withUnsafeBytes { Data($0) } }
}

extension OHTTPResponseCrypto {
    /// `HKDF-SHA256(IKM = secret, salt = enc, info = "lethe export " || label, L = length)`, where
    /// `secret` is RFC 9458's `Export("message/bhttp response", Nk)` of the request's HPKE context.
    /// Only the client that encapsulated the request and the gateway can compute it. It is separate
    /// from the response AEAD key and nonce, which use `salt = enc || response_nonce` and info
    /// `"key"` / `"nonce"` (RFC 9458 §4.4), so a Lethe extension never reuses them.
    func exportSecret(label: String, length: Int) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(
            inputKeyMaterial: secret, salt: encapsulatedKey, info: Array(("lethe export " + label).utf8), outputByteCount: length)
    }
}
