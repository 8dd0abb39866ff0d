import Foundation

/// `GET /ledger/ohttp-keys`: the worker's OHTTP key configurations with the proof that each is in
/// the log: its entry, the entry's index, and an RFC 9162 inclusion proof against `checkpoint` (the
/// latest signed note, with its witnesses' cosignatures). A device checks the note with its pinned
/// ledger key and witness policy, the proof against the note's root, and that the entry names the
/// exact config it is about to encrypt to (docs/ledger.md §17).
public struct KeyConfigProofDocument: Codable, Sendable, Equatable {
    /// The signed (and cosigned) checkpoint note every proof is against.
    public var checkpoint: String
    public var keys: [LoggedKeyConfig]

    public init(checkpoint: String, keys: [LoggedKeyConfig]) {
        self.checkpoint = checkpoint
        self.keys = keys
    }
}

/// One key configuration's place in the log.
public struct LoggedKeyConfig: Codable, Sendable, Equatable {
    /// The exact log line (`KeyConfigEntry`, canonical JSON without its newline).
    public var entry: String
    public var index: Int
    /// RFC 9162 §2.1.3 inclusion proof of `SHA-256(0x00 || entry)` at `index`, base64 hashes.
    public var proof: [String]

    public init(entry: String, index: Int, proof: [String]) {
        self.entry = entry
        self.index = index
        self.proof = proof
    }

    /// The proof hashes, nil when one is not base64 of 32 bytes.
    public var proofHashes: [Data]? { MerkleProof.hashes(base64: proof) }
}
