import Foundation
import LetheLedger
import LetheMemory
import LetheTransparency
import Testing

/// The reference tree of the certificate-transparency / transparency-dev Merkle test data
/// (RFC 6962 leaves "", 00, 10, 2021, 3031, 40414243, 5051…57, 6061…6f), as transcribed in
/// transparency-dev/merkle's testonly reference data.
enum ReferenceTree {
    static let leaves: [Data] = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"].map(hex)
    static let roots: [String] = [
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ]
    struct Inclusion: Sendable, CustomTestStringConvertible {
        let index: Int, size: Int, proof: [String]
        var testDescription: String { "leaf \(index) of \(size)" }
    }
    static let inclusion: [Inclusion] = [
        .init(index: 0, size: 1, proof: []),
        .init(index: 0, size: 8, proof: ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7", "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e", "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
        .init(index: 5, size: 8, proof: ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b", "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0", "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
        .init(index: 2, size: 3, proof: ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
        .init(index: 1, size: 5, proof: ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d", "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e", "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
    ]
    struct Consistency: Sendable, CustomTestStringConvertible {
        let old: Int, new: Int, proof: [String]
        var testDescription: String { "\(old) → \(new)" }
    }
    static let consistency: [Consistency] = [
        .init(old: 1, new: 1, proof: []),
        .init(old: 1, new: 8, proof: ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7", "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e", "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
        .init(old: 6, new: 8, proof: ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a", "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0", "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
        .init(old: 2, new: 5, proof: ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e", "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
    ]

    static func hex(_ text: String) -> Data {
        var data = Data()
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(index, offsetBy: 2)
            data.append(UInt8(text[index..<next], radix: 16)!)
            index = next
        }
        return data
    }

    static var tree: MerkleTree { MerkleTree(leafHashes: leaves.map { MerkleHash.leaf($0) }) }
}

@Suite("Merkle tree (RFC 9162)")
struct MerkleTreeTests {
    let tree = ReferenceTree.tree

    @Test("roots of the reference tree for sizes 0…8")
    func roots() {
        for size in 0...8 {
            #expect(tree.root(size: size) == ReferenceTree.hex(ReferenceTree.roots[size]), "size \(size)")
        }
    }

    @Test("inclusion proofs match the reference and verify", arguments: ReferenceTree.inclusion)
    func inclusion(_ vector: ReferenceTree.Inclusion) throws {
        let proof = try tree.inclusionProof(index: vector.index, size: vector.size)
        #expect(proof == vector.proof.map(ReferenceTree.hex))
        let root = ReferenceTree.hex(ReferenceTree.roots[vector.size])
        let leaf = MerkleHash.leaf(ReferenceTree.leaves[vector.index])
        #expect(MerkleProof.verifyInclusion(index: vector.index, size: vector.size, leafHash: leaf, proof: proof, root: root))
        // Wrong leaf, wrong index, wrong size, wrong root, truncated or extended proofs fail.
        #expect(!MerkleProof.verifyInclusion(index: vector.index, size: vector.size, leafHash: MerkleHash.leaf(Data("x".utf8)), proof: proof, root: root))
        #expect(!MerkleProof.verifyInclusion(index: vector.index + 1, size: vector.size, leafHash: leaf, proof: proof, root: root))
        #expect(!MerkleProof.verifyInclusion(index: vector.index, size: vector.size, leafHash: leaf, proof: proof, root: MerkleHash.emptyRoot))
        #expect(!MerkleProof.verifyInclusion(index: vector.index, size: vector.size, leafHash: leaf, proof: proof + [root], root: root))
        if !proof.isEmpty {
            #expect(!MerkleProof.verifyInclusion(index: vector.index, size: vector.size, leafHash: leaf, proof: Array(proof.dropLast()), root: root))
        }
    }

    @Test("consistency proofs match the reference and verify", arguments: ReferenceTree.consistency)
    func consistency(_ vector: ReferenceTree.Consistency) throws {
        let proof = try tree.consistencyProof(oldSize: vector.old, newSize: vector.new)
        #expect(proof == vector.proof.map(ReferenceTree.hex))
        let oldRoot = ReferenceTree.hex(ReferenceTree.roots[vector.old])
        let newRoot = ReferenceTree.hex(ReferenceTree.roots[vector.new])
        #expect(MerkleProof.verifyConsistency(oldSize: vector.old, newSize: vector.new, oldRoot: oldRoot, newRoot: newRoot, proof: proof))
        if vector.old != vector.new {
            #expect(!MerkleProof.verifyConsistency(oldSize: vector.old, newSize: vector.new, oldRoot: newRoot, newRoot: newRoot, proof: proof))
            #expect(!MerkleProof.verifyConsistency(oldSize: vector.old, newSize: vector.new, oldRoot: oldRoot, newRoot: oldRoot, proof: proof))
            #expect(!MerkleProof.verifyConsistency(oldSize: vector.old, newSize: vector.new, oldRoot: oldRoot, newRoot: newRoot, proof: Array(proof.dropLast())))
        }
    }

    @Test("every inclusion and consistency proof of trees up to 40 leaves verifies; flipped hashes do not")
    func exhaustive() throws {
        let leaves = (0..<40).map { MerkleHash.leaf(Data("entry \($0)".utf8)) }
        let tree = MerkleTree(leafHashes: leaves)
        // Roots by the RFC's recursive definition, independent of the level cache.
        func mth(_ slice: ArraySlice<Data>) -> Data {
            if slice.isEmpty { return MerkleHash.emptyRoot }
            if slice.count == 1 { return slice.first! }
            var k = 1
            while k << 1 < slice.count { k <<= 1 }
            return MerkleHash.node(mth(slice.prefix(k)), mth(slice.dropFirst(k)))
        }
        let roots = (0...40).map { mth(leaves[0..<$0]) }
        for size in 1...40 {
            #expect(tree.root(size: size) == roots[size])
            for index in 0..<size {
                var proof = try tree.inclusionProof(index: index, size: size)
                #expect(MerkleProof.verifyInclusion(index: index, size: size, leafHash: leaves[index], proof: proof, root: roots[size]))
                if !proof.isEmpty {
                    proof[0][0] ^= 1
                    #expect(!MerkleProof.verifyInclusion(index: index, size: size, leafHash: leaves[index], proof: proof, root: roots[size]))
                }
            }
            for old in 1...size {
                let proof = try tree.consistencyProof(oldSize: old, newSize: size)
                #expect(MerkleProof.verifyConsistency(oldSize: old, newSize: size, oldRoot: roots[old], newRoot: roots[size], proof: proof), "\(old) → \(size)")
                if old < size {
                    var bad = roots[old]
                    bad[0] ^= 1
                    #expect(!MerkleProof.verifyConsistency(oldSize: old, newSize: size, oldRoot: bad, newRoot: roots[size], proof: proof))
                }
            }
        }
    }

    @Test("a tree continued from a compact range gives the same roots and proofs after the cut")
    func compactRange() throws {
        let leaves = (0..<45).map { MerkleHash.leaf(Data("entry \($0)".utf8)) }
        let full = MerkleTree(leafHashes: leaves)
        for cut in [1, 6, 16, 23, 32] {
            var pruned = try MerkleTree(prunedSize: cut, compactRange: full.compactRange(size: cut))
            for leaf in leaves[cut...] { pruned.append(leafHash: leaf) }
            #expect(pruned.root() == full.root(), "cut \(cut)")
            for size in max(cut, 1)...45 {
                #expect(pruned.root(size: size) == full.root(size: size))
                if size - 1 >= cut {
                    #expect(try pruned.inclusionProof(index: size - 1, size: size) == full.inclusionProof(index: size - 1, size: size))
                }
                #expect(try pruned.consistencyProof(oldSize: cut, newSize: size) == full.consistencyProof(oldSize: cut, newSize: size))
            }
            #expect(throws: LetheError.self) { try pruned.inclusionProof(index: cut - 1, size: 45) }
        }
    }
}
