import Foundation

/// Verification of RFC 9162 proofs by anyone holding only hashes: a device with its receipt, an
/// auditor with two checkpoints.
public enum MerkleProof {
    /// RFC 9162 §2.1.3.2: does `proof` show that `leafHash` is leaf `index` of the tree of
    /// `size` leaves whose root is `root`?
    public static func verifyInclusion(index: Int, size: Int, leafHash: Data, proof: [Data], root: Data) -> Bool {
        guard index >= 0, index < size else { return false }
        var fn = index
        var sn = size - 1
        var r = leafHash
        for p in proof {
            guard sn != 0 else { return false }
            if fn & 1 == 1 || fn == sn {
                r = MerkleHash.node(p, r)
                if fn & 1 == 0 {
                    while fn & 1 == 0, fn != 0 {
                        fn >>= 1
                        sn >>= 1
                    }
                }
            } else {
                r = MerkleHash.node(r, p)
            }
            fn >>= 1
            sn >>= 1
        }
        return sn == 0 && r == root
    }

    /// RFC 9162 §2.1.4.2: does `proof` show that the tree of `oldSize` leaves with root `oldRoot`
    /// is a prefix of the tree of `newSize` leaves with root `newRoot`?
    public static func verifyConsistency(oldSize: Int, newSize: Int, oldRoot: Data, newRoot: Data, proof: [Data]) -> Bool {
        guard oldSize >= 0, oldSize <= newSize else { return false }
        if oldSize == newSize { return proof.isEmpty && oldRoot == newRoot }
        if oldSize == 0 { return proof.isEmpty && oldRoot == MerkleHash.emptyRoot }
        guard !proof.isEmpty else { return false }
        var path = proof
        if oldSize & (oldSize - 1) == 0 { path.insert(oldRoot, at: 0) }
        var fn = oldSize - 1
        var sn = newSize - 1
        while fn & 1 == 1 {
            fn >>= 1
            sn >>= 1
        }
        var fr = path[0]
        var sr = path[0]
        for c in path.dropFirst() {
            guard sn != 0 else { return false }
            if fn & 1 == 1 || fn == sn {
                fr = MerkleHash.node(c, fr)
                sr = MerkleHash.node(c, sr)
                if fn & 1 == 0 {
                    while fn & 1 == 0, fn != 0 {
                        fn >>= 1
                        sn >>= 1
                    }
                }
            } else {
                sr = MerkleHash.node(sr, c)
            }
            fn >>= 1
            sn >>= 1
        }
        return fr == oldRoot && sr == newRoot && sn == 0
    }

    /// Proof hashes sent as base64 strings (the `/ledger/` proof documents), nil when one is not
    /// base64 of 32 bytes.
    public static func hashes(base64 proof: [String]) -> [Data]? {
        let hashes = proof.compactMap { Data(base64Encoded: $0) }.filter { $0.count == MerkleHash.byteCount }
        return hashes.count == proof.count ? hashes : nil
    }
}
