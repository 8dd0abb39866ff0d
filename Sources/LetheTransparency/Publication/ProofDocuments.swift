import Foundation

/// `GET /ledger/proof/inclusion?index=I&size=N`: RFC 9162 inclusion proof, hashes in base64.
public struct InclusionProofDocument: Codable, Sendable, Equatable {
    public var index: Int
    public var size: Int
    public var leafHash: String
    public var rootHash: String
    public var proof: [String]

    enum CodingKeys: String, CodingKey {
        case index, size, proof
        case leafHash = "leaf_hash"
        case rootHash = "root_hash"
    }

    public init(index: Int, size: Int, leafHash: String, rootHash: String, proof: [String]) {
        self.index = index
        self.size = size
        self.leafHash = leafHash
        self.rootHash = rootHash
        self.proof = proof
    }

    /// The proof hashes, nil when one is not base64 of 32 bytes.
    public var proofHashes: [Data]? { MerkleProof.hashes(base64: proof) }
}

/// `GET /ledger/proof/consistency?old=M&new=N`: RFC 9162 consistency proof, hashes in base64.
public struct ConsistencyProofDocument: Codable, Sendable, Equatable {
    public var oldSize: Int
    public var newSize: Int
    public var proof: [String]

    enum CodingKeys: String, CodingKey {
        case proof
        case oldSize = "old_size"
        case newSize = "new_size"
    }

    public init(oldSize: Int, newSize: Int, proof: [String]) {
        self.oldSize = oldSize
        self.newSize = newSize
        self.proof = proof
    }
}

/// `GET /ledger/period?start=T`: the published batches of one period, each as the range of its
/// wipe entries (`first..<summary`) and the index of its summary.
public struct PeriodDocument: Codable, Sendable, Equatable {
    public var period: String
    public var batches: [PublishedBatch]

    public init(period: String, batches: [PublishedBatch]) {
        self.period = period
        self.batches = batches
    }
}

/// Where one published batch is in the log: its wipe entries `first..<summary`, then its summary.
public struct PublishedBatch: Codable, Sendable, Hashable {
    public var first: Int
    public var summary: Int

    public init(first: Int, summary: Int) {
        self.first = first
        self.summary = summary
    }
}
