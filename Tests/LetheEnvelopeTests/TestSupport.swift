import Foundation
import LetheMemory
import Testing
@testable import LetheEnvelope

/// The error a test expects, named by its documented code among the codes
/// LetheEnvelope and LetheMemory define (equality is by code; another name matches nothing).
func envelopeError(_ code: String) -> LetheError {
    LetheError.expected(code, among: LetheError.Code.envelopeCodes + LetheError.Code.memoryCodes)
}

extension Data {
    /// Bytes from a hex string (test vectors only; traps on bad input).
    init(hex: String) {
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            bytes.append(UInt8(hex[index..<next], radix: 16)!)
            index = next
        }
        self.init(bytes)
    }

    var hex: String { map { String(format: "%02x", $0) }.joined() }

    /// A copy with one bit flipped.
    func flippingBit(atByte index: Int, bit: Int = 0) -> Data {
        var copy = self
        copy[copy.startIndex + index] ^= UInt8(1 << bit)
        return copy
    }
}

enum Vectors {
    static func load<T: Decodable>(_ name: String, as type: T.Type) throws -> T {
        let url = try #require(Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Vectors"))
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(T.self, from: Data(contentsOf: url))
    }
}

/// RFC 9458 Appendix A, as stored in Vectors/rfc9458-appendix-a.json.
struct AppendixAVector: Decodable {
    let serverPrivateKey: String
    let keyConfig: String
    let bhttpRequest: String
    let hpkeInfo: String
    let encapsulatedRequest: String
    let bhttpResponse: String
    let exportedSecret: String
    let responseNonce: String
    let responseSalt: String
    let responsePrk: String
    let responseAeadKey: String
    let responseAeadNonce: String
    let encapsulatedResponse: String
    let clientEphemeralPublicKeyEnc: String

    static func load() throws -> AppendixAVector {
        try Vectors.load("rfc9458-appendix-a", as: AppendixAVector.self)
    }
}

/// RFC 9292 §5 examples, as stored in Vectors/rfc9292-examples.json.
struct BinaryHTTPExamples: Decodable {
    let requestKnownLength: String
    let requestIndeterminateLength: String
    let responseIndeterminateLengthInformational: String
    let responseKnownLengthTrailer: String

    static func load() throws -> BinaryHTTPExamples {
        try Vectors.load("rfc9292-examples", as: BinaryHTTPExamples.self)
    }
}

/// Every (KEM, AEAD) combination Lethe offers.
let allSuiteCombinations: [(OHTTPKEM, OHTTPSymmetricSuite)] = OHTTPKEM.allCases.flatMap { kem in
    OHTTPSymmetricSuite.supported.map { (kem, $0) }
}

/// Deterministic pseudo-random bytes for bodies (not for keys).
func patternedBytes(count: Int, seed: UInt64 = 0x9E37_79B9_7F4A_7C15) -> Data {
    var state = seed
    return Data((0..<count).map { _ in
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return UInt8(truncatingIfNeeded: state >> 33)
    })
}
