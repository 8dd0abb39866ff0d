import Crypto
import Foundation
import LetheMemory

/// Seals a signed receipt for an outer response header (the server names it), so that relays
/// and load balancers learn nothing: `base64(nonce (12) || ChaCha20-Poly1305(receipt note) || tag (16))`
/// under a 32-byte key exported from the request's OHTTP context with label `receiptLabel`
/// (`OHTTPResponder.exportSecret(label:length:)`). The AEAD's associated data is empty.
public enum ReceiptEnvelope {
    /// Export label of the receipt key.
    public static let receiptLabel = "receipt v1"
    /// Key length in bytes.
    public static let keyByteCount = 32

    /// Encrypts a signed receipt note for the header.
    public static func seal(_ receiptNote: String, key: SymmetricKey) throws -> String {
        try ChaChaPoly.seal(Data(receiptNote.utf8), using: key).combined.base64EncodedString()
    }

    /// Decrypts the header value. - Throws: `receipt_malformed` when it does not open.
    public static func open(_ header: String, key: SymmetricKey) throws -> String {
        guard let data = Data(base64Encoded: header),
            let box = try? ChaChaPoly.SealedBox(combined: data),
            let plaintext = try? ChaChaPoly.open(box, using: key)
        else {
            throw LetheError(.receiptMalformed, "the sealed receipt does not decrypt for this request")
        }
        return String(decoding: plaintext, as: UTF8.self)
    }
}
