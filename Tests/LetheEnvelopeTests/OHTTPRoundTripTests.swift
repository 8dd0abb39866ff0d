import Foundation
import LetheMemory
import Testing
@testable import LetheEnvelope

/// Client ⇄ gateway round trips for every KEM × AEAD, carrying a multi-KB body both ways.
@Suite("OHTTP round trip")
struct OHTTPRoundTripTests {
    @Test("request and response round trip", arguments: allSuiteCombinations)
    func roundTrip(kem: OHTTPKEM, suite: OHTTPSymmetricSuite) throws {
        let key = try OHTTPPrivateKey.generate(keyID: 7, kem: kem)
        let gateway = OHTTPGateway(keys: [key])
        let configs = try OHTTPKeyConfig.decodeList(gateway.keyConfigs)
        #expect(configs == [key.config])
        let client = try OHTTPClient(keyConfig: configs[0], suite: suite)

        let photo = patternedBytes(count: 48 * 1024)
        let fields = [BinaryHTTPField(name: "Content-Type", value: "image/jpeg"), BinaryHTTPField(name: "x-lethe-job", value: "42")]
        let request = BinaryHTTPRequest.encode(
            method: "POST", scheme: "https", authority: "lethe.example", path: "/v1/analyse",
            headerFields: fields, content: photo
        )
        let (encapsulated, context) = try client.encapsulate(request)
        #expect(encapsulated.count == 7 + kem.encapsulatedKeyByteCount + request.count + 16)
        #expect(Array(encapsulated.prefix(7)) == [7, UInt8(kem.kemID >> 8), UInt8(kem.kemID & 0xFF), 0, 1, 0, UInt8(suite.aeadID)])

        let arena = PlaintextArena()
        let (plaintext, responder) = try gateway.decapsulate(encapsulated, into: arena)
        #expect(plaintext.withUnsafeBytes { Data($0) } == request)
        let (head, content) = try plaintext.withUnsafeBytes { bytes throws(LetheError) in try BinaryHTTPRequest.parse(bytes) }
        #expect(head.method == "POST")
        #expect(head.path == "/v1/analyse")
        #expect(head.field("content-type") == "image/jpeg")
        #expect(head.headerFields.map(\.name) == ["content-type", "x-lethe-job"])
        #expect(plaintext.withUnsafeBytes { Data($0[content]) } == photo)

        let result = patternedBytes(count: 6 * 1024, seed: 99)
        let responseFields = [BinaryHTTPField(name: "content-type", value: "application/json")]
        let count = BinaryHTTPResponse.encodedCount(status: 200, headerFields: responseFields, contentCount: result.count)
        let responseBuffer = try arena.allocate(count: count, bufferClass: .response)
        responseBuffer.withUnsafeMutableBytes { target in
            result.withUnsafeBytes { BinaryHTTPResponse.encode(status: 200, headerFields: responseFields, content: $0, into: target) }
        }
        let encapsulatedResponse = try responseBuffer.withUnsafeBytes { bytes throws(LetheError) in try responder.encapsulate(bytes) }
        #expect(encapsulatedResponse.count == suite.responseNonceByteCount + count + 16)

        let report = arena.wipeAll()
        #expect(report.bytesByClass["request_body"] == request.count)
        #expect(report.bytesByClass["response"] == count)
        #expect(report.verified)

        let opened = try context.open(encapsulatedResponse)
        let (responseHead, responseContent) = try BinaryHTTPResponse.parse(opened)
        #expect(responseHead == BinaryHTTPResponseHead(status: 200, headerFields: responseFields))
        #expect(responseContent == result)
    }

    @Test("the arena helpers encode and encapsulate a response without leaving the arena")
    func arenaHelpers() throws {
        let key = try OHTTPPrivateKey.generate(keyID: 4, kem: .x25519)
        let (encapsulated, context) = try OHTTPClient(keyConfig: key.config).encapsulate(Data([0x00, 0x03]) + Data("GET".utf8) + Data([0x05]) + Data("https".utf8) + Data([0x00, 0x01, 0x2F]))
        let arena = PlaintextArena()
        let (_, responder) = try OHTTPGateway(keys: [key]).decapsulate(encapsulated, into: arena)
        let json = Data(#"{"ok":true}"#.utf8)
        let fields = [BinaryHTTPField(name: "content-type", value: "application/json")]
        let response = try json.withUnsafeBytes { bytes throws(LetheError) in
            try BinaryHTTPResponse.encode(status: 200, headerFields: fields, content: bytes, in: arena)
        }
        #expect(response.bufferClass == .response)
        let sealed = try responder.encapsulate(response)
        #expect(arena.wipeAll().bytesByClass["response"] == response.count)
        let (head, content) = try BinaryHTTPResponse.parse(try context.open(sealed))
        #expect(head == BinaryHTTPResponseHead(status: 200, headerFields: fields))
        #expect(content == json)
        #expect(throws: envelopeError("plaintext_arena_closed")) {
            try json.withUnsafeBytes { bytes throws(LetheError) in
                try BinaryHTTPResponse.encode(status: 200, headerFields: fields, content: bytes, in: arena)
            }
        }
    }

    @Test("nil suite picks the first supported suite the config lists")
    func defaultSuite() throws {
        let key = try OHTTPPrivateKey.generate(keyID: 1, kem: .x25519)
        #expect(try OHTTPClient(keyConfig: key.config).suite == .hkdfSHA256AES128GCM)
        let reordered = OHTTPKeyConfig(
            keyID: 1, kemID: 0x0020, publicKey: key.config.publicKey,
            suites: [OHTTPSymmetricSuite(kdfID: 2, aeadID: 1), .hkdfSHA256ChaCha20Poly1305, .hkdfSHA256AES128GCM]
        )
        #expect(try OHTTPClient(keyConfig: reordered).suite == .hkdfSHA256ChaCha20Poly1305)
    }

    @Test("a gateway with several keys serves each and publishes all configs")
    func severalKeys() throws {
        let keys = [
            try OHTTPPrivateKey.generate(keyID: 1, kem: .x25519),
            try OHTTPPrivateKey.generate(keyID: 2, kem: .xWing),
            try OHTTPPrivateKey.generate(keyID: 1, kem: .xWing),  // duplicate id: ignored
        ]
        let gateway = OHTTPGateway(keys: keys)
        let configs = try OHTTPKeyConfig.decodeList(gateway.keyConfigs)
        #expect(configs == [keys[0].config, keys[1].config])
        for config in configs {
            let (encapsulated, _) = try OHTTPClient(keyConfig: config).encapsulate(Data("hello".utf8))
            let arena = PlaintextArena()  // owns the plaintext: it must outlive every read
            let (plaintext, _) = try gateway.decapsulate(encapsulated, into: arena)
            #expect(plaintext.withUnsafeBytes { Data($0) } == Data("hello".utf8))
            _ = arena.wipeAll()
        }
    }

    @Test("configs advertise the three AEADs over HKDF-SHA256", arguments: OHTTPKEM.allCases)
    func advertisedSuites(kem: OHTTPKEM) throws {
        let config = try OHTTPPrivateKey.generate(keyID: 3, kem: kem).config
        #expect(config.kemID == kem.kemID)
        #expect(config.publicKey.count == kem.publicKeyByteCount)
        #expect(config.suites == [.hkdfSHA256AES128GCM, .hkdfSHA256AES256GCM, .hkdfSHA256ChaCha20Poly1305])
    }
}
