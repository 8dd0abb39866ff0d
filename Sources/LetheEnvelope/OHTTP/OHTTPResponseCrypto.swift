import Crypto
import Foundation
import LetheMemory

/// The response half of RFC 9458 §4.4, shared by the gateway (seal) and the client (open).
struct OHTTPResponseCrypto: Sendable {
    /// RFC 9458 §4.4: the exporter context for the response secret.
    static let exportContext = Array("message/bhttp response".utf8)

    /// Keys for one response: derived from the request's HPKE context and the response nonce.
    struct Keys {
        let pseudorandomKey: Data
        let aeadKey: SymmetricKey
        let aeadNonce: Data
    }

    /// `secret = context.Export("message/bhttp response", Nk)`.
    let secret: SymmetricKey
    /// The request's encapsulated key (`enc`), the first half of the salt.
    let encapsulatedKey: Data
    let suite: OHTTPSymmetricSuite

    /// RFC 9458 §4.4:
    /// `salt = enc || response_nonce; prk = Extract(salt, secret);
    /// aead_key = Expand(prk, "key", Nk); aead_nonce = Expand(prk, "nonce", Nn)`.
    func keys(responseNonce: Data) -> Keys {
        var salt = encapsulatedKey
        salt.append(responseNonce)
        // The KDF is HKDF-SHA256 for every supported suite (checked where the suite was chosen).
        let prk = HKDF<SHA256>.extract(inputKeyMaterial: secret, salt: salt)
        let key = HKDF<SHA256>.expand(pseudoRandomKey: prk, info: Array("key".utf8), outputByteCount: suite.aeadKeyByteCount)
        let nonce = HKDF<SHA256>.expand(pseudoRandomKey: prk, info: Array("nonce".utf8), outputByteCount: suite.aeadNonceByteCount)
        return Keys(
            pseudorandomKey: Data(prk),
            aeadKey: key,
            aeadNonce: nonce.withUnsafeBytes { Data($0) }
        )
    }

    /// `enc_response = response_nonce || Seal(aead_key, aead_nonce, "", response)`.
    func seal(_ response: UnsafeRawBufferPointer, responseNonce: Data) throws -> Data {
        let keys = keys(responseNonce: responseNonce)
        var output = responseNonce
        switch suite.aeadID {
        case OHTTPSymmetricSuite.chaCha20Poly1305ID:
            let box = try ChaChaPoly.seal(response, using: keys.aeadKey, nonce: ChaChaPoly.Nonce(data: keys.aeadNonce))
            output.append(box.ciphertext)
            output.append(box.tag)
        default:
            let box = try AES.GCM.seal(response, using: keys.aeadKey, nonce: AES.GCM.Nonce(data: keys.aeadNonce))
            output.append(box.ciphertext)
            output.append(box.tag)
        }
        return output
    }

    /// Splits `enc_response` and opens it; throws `malformed_response` when it is too short to
    /// hold the nonce and tag, `response_decryption_failed` when authentication fails.
    func open(_ encapsulatedResponse: Data) throws(LetheError) -> Data {
        let nonceCount = suite.responseNonceByteCount
        let tagCount = suite.aeadTagByteCount
        guard encapsulatedResponse.count >= nonceCount + tagCount else {
            throw .malformedResponse("encapsulated response has \(encapsulatedResponse.count) bytes; at least \(nonceCount + tagCount) are needed")
        }
        let start = encapsulatedResponse.startIndex
        let responseNonce = Data(encapsulatedResponse[start..<start + nonceCount])
        let ciphertext = encapsulatedResponse[(start + nonceCount)..<(encapsulatedResponse.endIndex - tagCount)]
        let tag = encapsulatedResponse[(encapsulatedResponse.endIndex - tagCount)...]
        let keys = keys(responseNonce: responseNonce)
        do {
            switch suite.aeadID {
            case OHTTPSymmetricSuite.chaCha20Poly1305ID:
                let box = try ChaChaPoly.SealedBox(nonce: ChaChaPoly.Nonce(data: keys.aeadNonce), ciphertext: ciphertext, tag: tag)
                return try ChaChaPoly.open(box, using: keys.aeadKey)
            default:
                let box = try AES.GCM.SealedBox(nonce: AES.GCM.Nonce(data: keys.aeadNonce), ciphertext: ciphertext, tag: tag)
                return try AES.GCM.open(box, using: keys.aeadKey)
            }
        } catch {
            throw .responseDecryptionFailed
        }
    }
}
