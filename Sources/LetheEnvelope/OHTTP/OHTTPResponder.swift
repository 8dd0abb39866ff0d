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
    public func encapsulate(_ response: UnsafeRawBufferPointer) throws(EnvelopeError) -> Data {
        let nonce = SymmetricKey(size: SymmetricKeySize(bitCount: crypto.suite.responseNonceByteCount * 8))
        return try encapsulate(response, responseNonce: nonce.withUnsafeBytes { Data($0) })
    }

    /// Encrypts the whole of `response` (e.g. the buffer from
    /// `BinaryHTTPResponse.encode(status:headerFields:content:in:)`); see `encapsulate(_:)`.
    public func encapsulate(_ response: SecureBuffer) throws(EnvelopeError) -> Data {
        try response.withUnsafeBytes { bytes throws(EnvelopeError) in try encapsulate(bytes) }
    }

    /// Encapsulates with a given nonce; for the RFC 9458 Appendix A vector only. A nonce must
    /// never be reused: production code calls `encapsulate(_:)`.
    func encapsulate(_ response: UnsafeRawBufferPointer, responseNonce: Data) throws(EnvelopeError) -> Data {
        precondition(responseNonce.count == crypto.suite.responseNonceByteCount, "response nonce must be max(Nn, Nk) bytes")
        do {
            return try crypto.seal(response, responseNonce: responseNonce)
        } catch {
            throw EnvelopeError(code: "response_encryption_failed", message: "the response could not be encrypted")
        }
    }

    /// The exported response secret (for vector tests).
    var exportedSecret: Data { crypto.secret.withUnsafeBytes { Data($0) } }
}
