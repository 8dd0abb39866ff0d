import Foundation
import LetheMemory
import LetheTransparency

/// The body of a C2SP tlog-witness `add-checkpoint` request (https://c2sp.org/tlog-witness):
///
/// ```
/// old <decimal size, no leading zeroes>
/// <base64 hash>            (0 to 63 consistency proof lines, RFC 6962 §2.1.2)
///
/// <the signed checkpoint note>
/// ```
public struct AddCheckpointRequest: Sendable, Equatable {
    /// Most proof lines a request may carry.
    public static let maxProofLines = 63
    /// Largest body a witness reads: 63 proof lines, an origin, a size, a root and a few signatures.
    public static let maxBodyBytes = 64 * 1024

    /// The size of the checkpoint the submitter believes the witness holds.
    public let oldSize: Int
    /// The RFC 6962 consistency proof from `oldSize` to the checkpoint's size.
    public let proof: [Data]
    /// The signed checkpoint note.
    public let note: String

    public init(oldSize: Int, proof: [Data], note: String) {
        self.oldSize = oldSize
        self.proof = proof
        self.note = note
    }

    /// The request body.
    public var body: String {
        "old \(oldSize)\n" + proof.map { $0.base64EncodedString() + "\n" }.joined() + "\n" + note
    }

    /// Parses a request body.
    /// - Throws: `witness_request_malformed`.
    public init(body: Data) throws {
        guard body.count <= Self.maxBodyBytes, let text = String(data: body, encoding: .utf8) else {
            throw LetheError(.witnessRequestMalformed, "the body is not UTF-8 of at most \(Self.maxBodyBytes) bytes")
        }
        guard let blank = text.range(of: "\n\n") else {
            throw LetheError(.witnessRequestMalformed, "no blank line separates the old size and proof from the checkpoint")
        }
        let head = text[..<blank.lowerBound].split(separator: "\n", omittingEmptySubsequences: false)
        guard let first = head.first, first.hasPrefix("old "), let oldSize = Self.decimal(first.dropFirst(4)) else {
            throw LetheError(.witnessRequestMalformed, "the first line is not 'old <decimal size>'")
        }
        guard head.count - 1 <= Self.maxProofLines else {
            throw LetheError(.witnessRequestMalformed, "more than \(Self.maxProofLines) consistency proof lines")
        }
        let proof = try head.dropFirst().map { line in
            guard let hash = Data(base64Encoded: String(line)), hash.count == MerkleHash.byteCount, hash.base64EncodedString() == line else {
                throw LetheError(.witnessRequestMalformed, "a consistency proof line is not one base64 SHA-256 hash")
            }
            return hash
        }
        self.init(oldSize: oldSize, proof: proof, note: String(text[blank.upperBound...]))
    }

    /// An ASCII decimal without leading zeroes (`0` itself allowed) that fits an `Int`.
    public static func decimal(_ text: Substring) -> Int? {
        guard !text.isEmpty, text.allSatisfy(\.isASCII), text.allSatisfy(\.isNumber), text == "0" || !text.hasPrefix("0") else { return nil }
        return Int(text)
    }
}
