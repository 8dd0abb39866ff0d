import Crypto
import Foundation
import LetheMemory

/// What a client keeps from encapsulating one request so that it can open the response
/// (RFC 9458 §4.4): the exported response secret and the request's `enc`.
public struct OHTTPClientContext: Sendable {
    let crypto: OHTTPResponseCrypto

    init(crypto: OHTTPResponseCrypto) {
        self.crypto = crypto
    }

    /// The secret the gateway derived for `label` on this request (`OHTTPResponder.exportSecret`).
    public func exportSecret(label: String, length: Int) -> SymmetricKey {
        crypto.exportSecret(label: label, length: length)
    }

    /// Opens a `message/ohttp-res` body: `response_nonce || ct`.
    /// - Returns: the binary HTTP response bytes.
    /// - Throws: `malformed_response` (shorter than nonce and tag), `response_decryption_failed`
    ///   (tampered, or not the response to this request).
    public func open(_ encapsulatedResponse: some DataProtocol) throws(LetheError) -> Data {
        try crypto.open(Data(encapsulatedResponse))
    }
}
