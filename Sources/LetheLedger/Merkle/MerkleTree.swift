import Foundation
import LetheMemory
import LetheTransparency

/// An append-only RFC 9162 Merkle tree over leaf hashes, keeping every complete (perfect,
/// aligned) subtree hash level by level, so that roots and proofs for any size cost O(log n)
/// hashes rather than a rehash of the whole log.
///
/// `levels[0]` are the leaf hashes; `levels[h][i]` is the hash of leaves `i·2^h ..< (i+1)·2^h`.
/// The same layout is what C2SP tlog-tiles publishes (tiles of 8 levels × 256 hashes).
public struct MerkleTree: Sendable {
    /// Complete subtree hashes, level by level.
    public private(set) var levels: [[Data]] = [[]]

    /// An empty tree.
    public init() {}

    /// A tree over `leafHashes`.
    public init(leafHashes: some Sequence<Data>) {
        for hash in leafHashes { append(leafHash: hash) }
    }

    /// Number of leaves.
    public var size: Int { levels[0].count }

    /// Leaves 0..<prunedSize were removed by retention; only their compact range is known.
    public private(set) var prunedSize = 0

    /// A tree that continues after `size` removed leaves, from their compact range: the hashes of
    /// the perfect subtrees that cover 0..<size, largest first (one per set bit of `size`).
    public init(prunedSize size: Int, compactRange: [Data]) throws {
        guard size >= 0, compactRange.count == size.nonzeroBitCount else {
            throw LetheError(.ledgerCorrupt, "a compact range of \(size) leaves has \(size.nonzeroBitCount) hashes, not \(compactRange.count)")
        }
        var start = 0
        var hashes = compactRange.makeIterator()
        for level in stride(from: Int.bitWidth - 2, through: 0, by: -1) where size & (1 << level) != 0 {
            while levels.count <= level { levels.append([]) }
            // Placeholders stand for removed nodes below and beside the range; never read (checked).
            for below in 0..<level {
                let end = (start + (1 << level)) >> below
                levels[below].append(contentsOf: repeatElement(Data(), count: end - levels[below].count))
            }
            levels[level].append(contentsOf: repeatElement(Data(), count: (start >> level) - levels[level].count))
            levels[level].append(hashes.next()!)
            start += 1 << level
        }
        prunedSize = size
    }

    /// The compact range of the first `size` leaves: perfect subtree hashes, largest first.
    public func compactRange(size: Int) -> [Data] {
        var start = 0
        var range: [Data] = []
        for level in stride(from: Int.bitWidth - 2, through: 0, by: -1) where size & (1 << level) != 0 {
            range.append(levels[level][start >> level])
            start += 1 << level
        }
        return range
    }

    /// Appends one leaf hash and every subtree it completes.
    public mutating func append(leafHash: Data) {
        levels[0].append(leafHash)
        var level = 0
        while levels[level].count % 2 == 0 {
            let count = levels[level].count
            let parent = MerkleHash.node(levels[level][count - 2], levels[level][count - 1])
            if levels.count == level + 1 { levels.append([]) }
            levels[level + 1].append(parent)
            level += 1
        }
    }

    /// The leaf hash at `index`.
    public func leafHash(at index: Int) -> Data { levels[0][index] }

    /// The root of the first `size` leaves (`MTH(D[0:size])`, RFC 9162 §2.1.1).
    public func root(size: Int? = nil) -> Data {
        let size = size ?? self.size
        precondition(size <= self.size && (size == 0 || size >= prunedSize), "tree has \(self.size) leaves, not \(size)")
        return size == 0 ? MerkleHash.emptyRoot : hash(start: 0, count: size)
    }

    /// `MTH(D[start:start+count])`.
    func hash(start: Int, count: Int) -> Data {
        if count == 1 { return levels[0][start] }
        if count & (count - 1) == 0, start % count == 0 {
            let level = count.trailingZeroBitCount
            return levels[level][start / count]
        }
        let k = MerkleHash.split(count)
        return MerkleHash.node(hash(start: start, count: k), hash(start: start + k, count: count - k))
    }

    /// The audit path of leaf `index` in the tree of the first `size` leaves (RFC 9162 §2.1.3.1).
    public func inclusionProof(index: Int, size: Int) throws -> [Data] {
        guard index >= prunedSize, index < size, size <= self.size else {
            throw LetheError(.proofOutOfRange, "no leaf \(index) in a tree of size \(size) (log has \(self.size))")
        }
        var proof: [Data] = []
        path(index, start: 0, count: size, into: &proof)
        return proof
    }

    private func path(_ m: Int, start: Int, count: Int, into proof: inout [Data]) {
        guard count > 1 else { return }
        let k = MerkleHash.split(count)
        if m < k {
            path(m, start: start, count: k, into: &proof)
            proof.append(hash(start: start + k, count: count - k))
        } else {
            path(m - k, start: start + k, count: count - k, into: &proof)
            proof.append(hash(start: start, count: k))
        }
    }

    /// The consistency proof between the trees of the first `oldSize` and `newSize` leaves
    /// (RFC 9162 §2.1.4.1). Empty when `oldSize` is 0 or equals `newSize`.
    public func consistencyProof(oldSize: Int, newSize: Int) throws -> [Data] {
        guard oldSize == 0 || oldSize >= prunedSize, oldSize <= newSize, newSize <= self.size else {
            throw LetheError(.proofOutOfRange, "no consistency proof from \(oldSize) to \(newSize) (log has \(self.size))")
        }
        guard oldSize > 0, oldSize < newSize else { return [] }
        var proof: [Data] = []
        subproof(oldSize, start: 0, count: newSize, complete: true, into: &proof)
        return proof
    }

    private func subproof(_ m: Int, start: Int, count: Int, complete: Bool, into proof: inout [Data]) {
        if m == count {
            if !complete { proof.append(hash(start: start, count: count)) }
            return
        }
        let k = MerkleHash.split(count)
        if m <= k {
            subproof(m, start: start, count: k, complete: complete, into: &proof)
            proof.append(hash(start: start + k, count: count - k))
        } else {
            subproof(m - k, start: start + k, count: count - k, complete: false, into: &proof)
            proof.append(hash(start: start, count: k))
        }
    }
}
