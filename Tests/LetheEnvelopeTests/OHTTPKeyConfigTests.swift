import Foundation
import Testing
@testable import LetheEnvelope

@Suite("Key configs (RFC 9458 §3, RFC 9540)")
struct OHTTPKeyConfigTests {
    static let appendixAConfig = Data(hex: "01002031e1f05a740102115220e9af918f738674aec95f54db6e04eb705aae8e79815500080001000100010003")

    @Test("a list of X25519 and X-Wing configs round trips")
    func listRoundTrip() throws {
        let configs = [
            try OHTTPPrivateKey.generate(keyID: 1, kem: .x25519).config,
            try OHTTPPrivateKey.generate(keyID: 2, kem: .xWing).config,
        ]
        let list = OHTTPKeyConfig.encodeList(configs)
        // RFC 9540 §3: each config is preceded by its 2-byte length.
        let firstLength = Int(list[0]) << 8 | Int(list[1])
        #expect(firstLength == 1 + 2 + 32 + 2 + 12)
        #expect(list.count == 2 + firstLength + 2 + (1 + 2 + 1216 + 2 + 12))
        #expect(try OHTTPKeyConfig.decodeList(list) == configs)
    }

    @Test("the Appendix A config decodes field by field")
    func appendixADecode() throws {
        let config = try OHTTPKeyConfig(decoding: Self.appendixAConfig)
        #expect(config.keyID == 1)
        #expect(config.kemID == 0x0020)
        #expect(config.publicKey.hex == "31e1f05a740102115220e9af918f738674aec95f54db6e04eb705aae8e798155")
        #expect(config.suites == [.hkdfSHA256AES128GCM, .hkdfSHA256ChaCha20Poly1305])
    }

    static let malformedConfigs: [(String, String)] = [
        ("empty", ""),
        ("key id only", "01"),
        ("inside the public key", "01002031e1f05a74"),
        ("no suites length", String(appendixAConfig.hex.prefix(2 * 35))),
        ("inside the suites", String(appendixAConfig.hex.dropLast(2))),
        ("zero suites", String(appendixAConfig.hex.prefix(2 * 35)) + "0000"),
        ("suites length not a multiple of 4", String(appendixAConfig.hex.prefix(2 * 35)) + "000600010001000a"),
        ("trailing byte", appendixAConfig.hex + "00"),
    ]

    @Test("malformed configs are refused", arguments: malformedConfigs)
    func malformed(name: String, hex: String) {
        #expect(throws: envelopeError("malformed_key_config")) { try OHTTPKeyConfig(decoding: Data(hex: hex)) }
    }

    @Test("a config for an unknown KEM is unsupported")
    func unknownKEM() {
        let p256 = Data(hex: "010010") + Data(count: 65) + Data(hex: "000400010001")
        #expect(throws: envelopeError("unsupported_suite")) { try OHTTPKeyConfig(decoding: p256) }
    }

    @Test("lists skip configs for unknown KEMs")
    func listSkipsUnknownKEMs() throws {
        let p256 = Data(hex: "010010") + Data(count: 65) + Data(hex: "000400010001")
        var list = Data([0, UInt8(p256.count)]) + p256
        #expect(throws: envelopeError("unsupported_suite")) { try OHTTPKeyConfig.decodeList(list) }
        list += OHTTPKeyConfig.encodeList([try OHTTPKeyConfig(decoding: Self.appendixAConfig)])
        #expect(try OHTTPKeyConfig.decodeList(list).map(\.keyID) == [1])
    }

    static let malformedLists: [(String, Data)] = [
        ("empty", Data()),
        ("half a length", Data([0])),
        ("length past the end", Data([0, 60]) + appendixAConfig),
        ("config shorter than its length", Data([0, UInt8(appendixAConfig.count + 1)]) + appendixAConfig + Data([0])),
        ("config longer than its length", Data([0, UInt8(appendixAConfig.count - 4)]) + appendixAConfig.dropLast(4) + Data([0, 0, 0, 0])),
    ]

    @Test("malformed lists are refused", arguments: malformedLists)
    func malformedList(name: String, data: Data) {
        #expect(throws: envelopeError("malformed_key_config")) { try OHTTPKeyConfig.decodeList(data) }
    }

    @Test("private keys restore from their raw form", arguments: OHTTPKEM.allCases)
    func rawKeyRoundTrip(kem: OHTTPKEM) throws {
        let key = try OHTTPPrivateKey.generate(keyID: 5, kem: kem)
        #expect(key.rawPrivateKey.count == 32)
        let restored = try OHTTPPrivateKey(keyID: 5, kem: kem, rawPrivateKey: key.rawPrivateKey)
        #expect(restored.config == key.config)
        #expect(throws: envelopeError("invalid_private_key")) { try OHTTPPrivateKey(keyID: 5, kem: kem, rawPrivateKey: Data(count: 31)) }
    }
}
