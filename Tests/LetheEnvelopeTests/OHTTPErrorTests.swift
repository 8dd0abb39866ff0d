import Foundation
import LetheMemory
import Testing
@testable import LetheEnvelope

/// Every way a request or response envelope can be refused, each with its own code.
@Suite("OHTTP errors")
struct OHTTPErrorTests {
    let key: OHTTPPrivateKey
    let gateway: OHTTPGateway
    let request = Data("a binary HTTP request would be here".utf8)

    init() throws {
        key = try OHTTPPrivateKey.generate(keyID: 1, kem: .x25519)
        gateway = OHTTPGateway(keys: [key])
    }

    func envelope(suite: OHTTPSymmetricSuite = .hkdfSHA256AES128GCM) throws -> (Data, OHTTPClientContext) {
        try OHTTPClient(keyConfig: key.config, suite: suite).encapsulate(request)
    }

    @Test("a key id the gateway does not hold")
    func unknownKeyID() throws {
        let stranger = try OHTTPPrivateKey.generate(keyID: 9, kem: .x25519)
        let (encapsulated, _) = try OHTTPClient(keyConfig: stranger.config).encapsulate(request)
        #expect(throws: envelopeError("unknown_key_id")) { try gateway.decapsulate(encapsulated, into: PlaintextArena()) }
    }

    @Test("the right key id for another key fails to decrypt")
    func wrongKey() throws {
        let impostor = try OHTTPPrivateKey.generate(keyID: 1, kem: .x25519)
        let (encapsulated, _) = try OHTTPClient(keyConfig: impostor.config).encapsulate(request)
        #expect(throws: envelopeError("decryption_failed")) { try gateway.decapsulate(encapsulated, into: PlaintextArena()) }
    }

    /// Byte offsets into `hdr(7) || enc(32) || ct(len + 16)` and the code each flip must give.
    static let bitFlips: [(byte: Int, bit: Int, code: String)] = [
        (0, 0, "unknown_key_id"),          // key id 1 -> 0
        (2, 0, "unsupported_suite"),       // KEM 0x0020 -> 0x0021
        (4, 1, "unsupported_suite"),       // KDF 0x0001 -> 0x0003
        (6, 1, "decryption_failed"),       // AEAD 1 -> 3: offered, but the header is bound into HPKE info
        (6, 2, "unsupported_suite"),       // AEAD 1 -> 5
        (7, 0, "decryption_failed"),       // first byte of enc
        (38, 7, "decryption_failed"),      // last byte of enc
        (39, 0, "decryption_failed"),      // first ciphertext byte
        (50, 3, "decryption_failed"),      // inside the ciphertext
        (-1, 7, "decryption_failed"),      // last tag byte
    ]

    @Test("a flipped bit is refused with the right code", arguments: bitFlips)
    func bitFlip(byte: Int, bit: Int, code: String) throws {
        let (encapsulated, _) = try envelope()
        let index = byte >= 0 ? byte : encapsulated.count + byte
        let tampered = encapsulated.flippingBit(atByte: index, bit: bit)
        #expect(throws: envelopeError(code)) { try gateway.decapsulate(tampered, into: PlaintextArena()) }
    }

    @Test("a truncated envelope is refused", arguments: [0, 1, 6, 7, 8, 38, 39, 54, -1, -16])
    func truncated(length: Int) throws {
        let (encapsulated, _) = try envelope()
        let cut = length >= 0 ? length : encapsulated.count + length
        // Anything shorter than hdr + enc + tag (7 + 32 + 16 = 55) is malformed; a shorter
        // ciphertext that still holds a tag fails authentication.
        let code = cut < 55 ? "malformed_envelope" : "decryption_failed"
        #expect(throws: envelopeError(code)) { try gateway.decapsulate(encapsulated.prefix(cut), into: PlaintextArena()) }
    }

    @Test("a truncated X-Wing envelope is refused", arguments: [8, 7 + 1119, 7 + 1120, 7 + 1120 + 15])
    func truncatedXWing(length: Int) throws {
        let xWing = try OHTTPPrivateKey.generate(keyID: 2, kem: .xWing)
        let (encapsulated, _) = try OHTTPClient(keyConfig: xWing.config).encapsulate(request)
        #expect(throws: envelopeError("malformed_envelope")) {
            try OHTTPGateway(keys: [xWing]).decapsulate(encapsulated.prefix(length), into: PlaintextArena())
        }
    }

    @Test("a KEM that does not match the key is refused")
    func kemMismatch() throws {
        var (encapsulated, _) = try envelope()
        encapsulated[1] = 0x64
        encapsulated[2] = 0x7A
        #expect(throws: envelopeError("unsupported_suite")) { try gateway.decapsulate(encapsulated, into: PlaintextArena()) }
    }

    @Test("a client refuses suites it cannot use")
    func clientUnsupportedSuite() throws {
        #expect(throws: envelopeError("unsupported_suite")) {
            try OHTTPClient(keyConfig: key.config, suite: OHTTPSymmetricSuite(kdfID: 1, aeadID: 0x0099))
        }
        #expect(throws: envelopeError("unsupported_suite")) {
            try OHTTPClient(keyConfig: key.config, suite: OHTTPSymmetricSuite(kdfID: 2, aeadID: 1))
        }
        let p256 = OHTTPKeyConfig(keyID: 1, kemID: 0x0010, publicKey: Data(count: 65), suites: [.hkdfSHA256AES128GCM])
        #expect(throws: envelopeError("unsupported_suite")) { try OHTTPClient(keyConfig: p256) }
        let exportOnly = OHTTPKeyConfig(keyID: 1, kemID: 0x0020, publicKey: key.config.publicKey, suites: [OHTTPSymmetricSuite(kdfID: 1, aeadID: 0xFFFF)])
        #expect(throws: envelopeError("unsupported_suite")) { try OHTTPClient(keyConfig: exportOnly) }
        let shortKey = OHTTPKeyConfig(keyID: 1, kemID: 0x0020, publicKey: Data(count: 31), suites: [.hkdfSHA256AES128GCM])
        #expect(throws: envelopeError("malformed_key_config")) { try OHTTPClient(keyConfig: shortKey) }
    }

    @Test("a closed arena refuses the plaintext")
    func closedArena() throws {
        let (encapsulated, _) = try envelope()
        let arena = PlaintextArena()
        _ = arena.wipeAll()
        #expect(throws: envelopeError("plaintext_arena_closed")) { try gateway.decapsulate(encapsulated, into: arena) }
    }

    /// Offsets into `response_nonce(32) || ct(len + 16)` for ChaCha20-Poly1305 (Nk = 32).
    @Test("a tampered response is refused", arguments: [0, 31, 32, 40, -1])
    func tamperedResponse(byte: Int) throws {
        let (encapsulated, context) = try envelope(suite: .hkdfSHA256ChaCha20Poly1305)
        let response = try respond(to: encapsulated)
        let index = byte >= 0 ? byte : response.count + byte
        #expect(throws: envelopeError("response_decryption_failed")) { try context.open(response.flippingBit(atByte: index)) }
        #expect(try context.open(response) == Data("response".utf8))
    }

    @Test("a truncated response is refused")
    func truncatedResponse() throws {
        let (encapsulated, context) = try envelope(suite: .hkdfSHA256AES256GCM)
        let response = try respond(to: encapsulated)
        for cut in [0, 1, 31, 32, 47] {
            #expect(throws: envelopeError("malformed_response")) { try context.open(response.prefix(cut)) }
        }
        #expect(throws: envelopeError("response_decryption_failed")) { try context.open(response.dropLast()) }
    }

    @Test("a response to another request is refused")
    func crossedResponses() throws {
        let (first, firstContext) = try envelope()
        let (second, _) = try envelope()
        #expect(throws: envelopeError("response_decryption_failed")) { try firstContext.open(try respond(to: second)) }
        #expect(try firstContext.open(try respond(to: first)) == Data("response".utf8))
    }

    @Test("error messages carry codes, not payload")
    func messages() throws {
        let (encapsulated, _) = try envelope()
        let error = #expect(throws: LetheError.self) { try gateway.decapsulate(encapsulated.flippingBit(atByte: 45), into: PlaintextArena()) }
        #expect(error?.code.rawValue == "decryption_failed")
        #expect(error?.description.hasPrefix("decryption_failed: ") == true)
    }

    private func respond(to encapsulated: Data) throws -> Data {
        let (_, responder) = try gateway.decapsulate(encapsulated, into: PlaintextArena())
        return try Data("response".utf8).withUnsafeBytes { bytes throws(LetheError) in try responder.encapsulate(bytes) }
    }
}
