import Crypto
import Foundation
import LetheMemory
import Testing
@testable import LetheEnvelope

/// RFC 9458 Appendix A, checked byte for byte on the gateway side (swift-crypto cannot fix the
/// client's ephemeral key, so the client's half is covered by round trips).
@Suite("RFC 9458 Appendix A")
struct OHTTPAppendixATests {
    let vector: AppendixAVector
    let key: OHTTPPrivateKey

    init() throws {
        vector = try AppendixAVector.load()
        key = try OHTTPPrivateKey(keyID: 1, kem: .x25519, rawPrivateKey: Data(hex: vector.serverPrivateKey))
    }

    @Test("key config encodes to exactly key_config")
    func keyConfigEncoding() throws {
        // Appendix A's config offers AES-128-GCM and ChaCha20-Poly1305 over HKDF-SHA256.
        let config = OHTTPKeyConfig(
            keyID: 1, kemID: 0x0020, publicKey: key.config.publicKey,
            suites: [.hkdfSHA256AES128GCM, .hkdfSHA256ChaCha20Poly1305]
        )
        #expect(config.encoded().hex == vector.keyConfig)
        #expect(try OHTTPKeyConfig(decoding: Data(hex: vector.keyConfig)) == config)
    }

    @Test("request header gives exactly hpke_info")
    func hpkeInfo() {
        let header = OHTTPRequestHeader(keyID: 1, kemID: 0x0020, suite: .hkdfSHA256AES128GCM)
        #expect(header.hpkeInfo.hex == vector.hpkeInfo)
        #expect(header.encoded.hex == String(vector.encapsulatedRequest.prefix(14)))
    }

    @Test("decapsulation yields exactly bhttp_request and exported_secret")
    func decapsulation() throws {
        let arena = PlaintextArena()
        let gateway = OHTTPGateway(keys: [key])
        let (request, responder) = try gateway.decapsulate(Data(hex: vector.encapsulatedRequest), into: arena)
        #expect(request.bufferClass == .requestBody)
        #expect(request.withUnsafeBytes { Data($0) }.hex == vector.bhttpRequest)
        #expect(responder.exportedSecret.hex == vector.exportedSecret)
        #expect(responder.crypto.encapsulatedKey.hex == vector.clientEphemeralPublicKeyEnc)

        let parsed = try request.withUnsafeBytes { bytes throws(LetheError) in try BinaryHTTPRequest.parse(bytes) }
        #expect(parsed.head == BinaryHTTPRequestHead(method: "GET", scheme: "https", authority: "example.com", path: "/", headerFields: []))
        #expect(parsed.content.isEmpty)
        #expect(arena.wipeAll().bytesByClass["request_body"] == vector.bhttpRequest.count / 2)
    }

    @Test("response keys and encapsulation are exactly the vector's")
    func responseEncapsulation() throws {
        let arena = PlaintextArena()
        let (_, responder) = try OHTTPGateway(keys: [key]).decapsulate(Data(hex: vector.encapsulatedRequest), into: arena)
        let nonce = Data(hex: vector.responseNonce)
        #expect(nonce.count == 16)  // max(Nn = 12, Nk = 16)
        var salt = responder.crypto.encapsulatedKey
        salt.append(nonce)
        #expect(salt.hex == vector.responseSalt)

        let keys = responder.crypto.keys(responseNonce: nonce)
        #expect(keys.pseudorandomKey.hex == vector.responsePrk)
        #expect(keys.aeadKey.withUnsafeBytes { Data($0) }.hex == vector.responseAeadKey)
        #expect(keys.aeadNonce.hex == vector.responseAeadNonce)

        let response = Data(hex: vector.bhttpResponse)
        let encapsulated = try response.withUnsafeBytes { bytes throws(LetheError) in
            try responder.encapsulate(bytes, responseNonce: nonce)
        }
        #expect(encapsulated.hex == vector.encapsulatedResponse)
    }

    @Test("a client context with the vector's secret opens encapsulated_response")
    func clientOpensVectorResponse() throws {
        let context = OHTTPClientContext(crypto: OHTTPResponseCrypto(
            secret: SymmetricKey(data: Data(hex: vector.exportedSecret)),
            encapsulatedKey: Data(hex: vector.clientEphemeralPublicKeyEnc),
            suite: .hkdfSHA256AES128GCM
        ))
        let response = try context.open(Data(hex: vector.encapsulatedResponse))
        #expect(response.hex == vector.bhttpResponse)
        let parsed = try BinaryHTTPResponse.parse(response)
        #expect(parsed.head == BinaryHTTPResponseHead(status: 200, headerFields: []))
        #expect(parsed.content.isEmpty)
    }

    @Test("a response encapsulated with a fresh nonce differs but opens")
    func freshNonce() throws {
        let (_, responder) = try OHTTPGateway(keys: [key]).decapsulate(Data(hex: vector.encapsulatedRequest), into: PlaintextArena())
        let response = Data(hex: vector.bhttpResponse)
        let first = try response.withUnsafeBytes { bytes throws(LetheError) in try responder.encapsulate(bytes) }
        let second = try response.withUnsafeBytes { bytes throws(LetheError) in try responder.encapsulate(bytes) }
        #expect(first != second)
        #expect(first.count == vector.encapsulatedResponse.count / 2)
        let context = OHTTPClientContext(crypto: responder.crypto)
        #expect(try context.open(first).hex == vector.bhttpResponse)
        #expect(try context.open(second).hex == vector.bhttpResponse)
    }
}
