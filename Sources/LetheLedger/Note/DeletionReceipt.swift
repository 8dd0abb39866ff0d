import Foundation
import LetheMemory

/// A per-request receipt: the ledger's signed statement that entry `index` of log `origin`, with
/// leaf hash `leafHash`, records this request's wipe. A C2SP signed note by the ledger key whose text is
///
/// ```
/// lethe.receipt/v1
/// origin <origin>
/// index <entry index>
/// leaf <base64 leaf hash>
/// request_id <hex>
/// wiped_at <RFC 3339>
/// bytes_wiped <total>
/// wipe_verified <true|false>
/// ```
/// (its second line is not a number, so it can never be read as a checkpoint). No personal data.
public struct DeletionReceipt: Sendable, Equatable {
    public static let header = "lethe.receipt/v1"

    public var origin: String
    public var index: Int
    public var leafHash: Data
    public var requestID: String
    public var wipedAt: String
    public var bytesWiped: Int
    public var wipeVerified: Bool

    public init(origin: String, index: Int, leafHash: Data, requestID: String, wipedAt: String, bytesWiped: Int, wipeVerified: Bool) {
        self.origin = origin
        self.index = index
        self.leafHash = leafHash
        self.requestID = requestID
        self.wipedAt = wipedAt
        self.bytesWiped = bytesWiped
        self.wipeVerified = wipeVerified
    }

    /// The note text.
    public var body: String {
        """
        \(Self.header)
        origin \(origin)
        index \(index)
        leaf \(leafHash.base64EncodedString())
        request_id \(requestID)
        wiped_at \(wipedAt)
        bytes_wiped \(bytesWiped)
        wipe_verified \(wipeVerified)

        """
    }

    /// Parses a receipt text.
    public init(body: String) throws {
        let lines = body.split(separator: "\n").map(String.init)
        var fields: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let space = line.firstIndex(of: " ") else { continue }
            fields[String(line[..<space])] = String(line[line.index(after: space)...])
        }
        guard lines.first == Self.header, let origin = fields["origin"], let index = fields["index"].flatMap({ Int($0) }),
            let leaf = fields["leaf"].flatMap({ Data(base64Encoded: $0) }), leaf.count == MerkleHash.byteCount,
            let requestID = fields["request_id"], let wipedAt = fields["wiped_at"],
            let bytes = fields["bytes_wiped"].flatMap({ Int($0) }), let verified = fields["wipe_verified"].flatMap({ Bool($0) })
        else {
            throw LetheError(.receiptMalformed, "not a \(Self.header) receipt")
        }
        self.init(origin: origin, index: index, leafHash: leaf, requestID: requestID, wipedAt: wipedAt, bytesWiped: bytes, wipeVerified: verified)
    }

    /// The receipt for `entry` (its canonical bytes give the leaf hash).
    public init(origin: String, entry: DeletionRecord, leafHash: Data) {
        self.init(
            origin: origin, index: entry.sequence, leafHash: leafHash, requestID: entry.requestID,
            wipedAt: entry.wipedAt, bytesWiped: entry.totalBytesWiped, wipeVerified: entry.wipeVerified)
    }

    /// Signs the receipt as a note.
    public func signed(by signer: NoteSigner) throws -> String {
        try SignedNote.sign(body, with: signer).encoded
    }

    /// Opens a signed receipt note, checking the signature and that it names the key's origin.
    public static func open(_ note: String, verifier: NoteVerifier) throws -> DeletionReceipt {
        let receipt = try DeletionReceipt(body: try SignedNote.open(note, verifier: verifier))
        guard receipt.origin == verifier.name else {
            throw LetheError(.receiptMalformed, "receipt origin '\(receipt.origin)' is not the key's '\(verifier.name)'")
        }
        return receipt
    }
}
