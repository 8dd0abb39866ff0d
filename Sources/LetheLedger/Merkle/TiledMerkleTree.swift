import Foundation
import LetheMemory
import LetheTransparency

/// The worker's RFC 9162 Merkle tree, whose memory does not grow with the log: full C2SP
/// tlog-tiles (8 levels × 256 hashes) go to disk (`TileStore`) the moment they fill; memory holds
/// only the right edge — the hash of the last complete subtree at each level where the size has
/// a set bit (at most 63) — and the partial rightmost tile of each tile level (at most 8 × 255
/// hashes), about 70 KiB in all at any size.
///
/// A hash at tree level `h` and index `i` (leaves `i·2^h ..< (i+1)·2^h`) is the edge's, or is
/// folded from the `2^(h mod 8)` hashes at level `8·⌊h/8⌋` below it, all in one tile: a full tile
/// read from disk, or the partial tile in memory. Roots and proofs are the same recursions as
/// `MerkleTree`'s (RFC 9162 §2.1), over those lookups; the root of the current size needs the
/// edge only, so signing a checkpoint never reads a tile.
///
/// After retention (`init(prunedSize:compactRange:store:)`) the removed leaves' compact range
/// stands in for them; the tiles that straddle the cut keep their unknown part unknown (never
/// served, never written), and every proof for leaves after the cut still resolves.
struct TiledMerkleTree {
    /// Number of leaves.
    private(set) var size = 0
    /// Leaves 0..<prunedSize were removed by retention; only their compact range is known.
    private(set) var prunedSize = 0
    /// `edge[h]`: the hash of leaves `size − size mod 2^(h+1) ..< … + 2^h` when bit h of `size` is set.
    private var edge: [Data?] = Array(repeating: nil, count: Int.bitWidth)
    /// `partial[L]`: the level-8L hashes of the rightmost, incomplete tile of tile level L.
    private var partial: [[Data]] = Array(repeating: [], count: Self.tileLevels)
    /// `knownFrom[L]`: level-8L hashes before this index are unknown (they were removed).
    private var knownFrom: [Int] = Array(repeating: 0, count: Self.tileLevels)
    /// A full tile that straddles the cut, by tile level: in memory, since it cannot be written whole.
    private var straddling: [Int: (index: Int, hashes: [Data])] = [:]
    /// The removed leaves' compact range, by level: (index at that level, hash).
    private var prunedNodes: [Int: (index: Int, hash: Data)] = [:]
    private let store: TileStore

    /// Tree levels 0…63 are tile levels 0…7.
    static let tileLevels = 8

    /// An empty tree whose full tiles go to `store`.
    init(store: TileStore) {
        self.store = store
    }

    /// A tree that continues after `size` removed leaves, from their compact range: the hashes of
    /// the perfect subtrees covering 0..<size, largest first (one per set bit of `size`).
    init(prunedSize size: Int, compactRange: [Data], store: TileStore) throws {
        guard size >= 0, compactRange.count == size.nonzeroBitCount, compactRange.allSatisfy({ $0.count == MerkleHash.byteCount }) else {
            throw LetheError(.ledgerCorrupt, "a compact range of \(size) leaves has \(size.nonzeroBitCount) hashes, not \(compactRange.count)")
        }
        self.store = store
        self.size = size
        self.prunedSize = size
        var start = 0
        var hashes = compactRange.makeIterator()
        for level in stride(from: Int.bitWidth - 2, through: 0, by: -1) where size & (1 << level) != 0 {
            let hash = hashes.next()!
            prunedNodes[level] = (start >> level, hash)
            edge[level] = hash
            start += 1 << level
        }
        for tileLevel in 0..<Self.tileLevels {
            let count = size >> (tileLevel * TilePath.height)
            partial[tileLevel] = Array(repeating: Data(), count: count % TilePath.width)
            knownFrom[tileLevel] = count
            // The last compact node at a tile level sits at the end of its partial tile.
            if let node = prunedNodes[tileLevel * TilePath.height], count % TilePath.width > 0 {
                partial[tileLevel][partial[tileLevel].count - 1] = node.hash
                knownFrom[tileLevel] = node.index
            }
        }
    }

    /// Hashes held in memory (edge, partial and straddling tiles, compact range): bounded, whatever the size.
    var hashesInMemory: Int {
        edge.count(where: { $0 != nil }) + partial.reduce(0) { $0 + $1.count }
            + straddling.values.reduce(0) { $0 + $1.hashes.count } + prunedNodes.count
    }

    /// Appends one leaf hash: completes the subtrees it closes (RFC 9162's binary counter) and
    /// writes every tile that fills.
    mutating func append(leafHash: Data) {
        let newSize = size + 1
        var carry = leafHash
        var level = 0
        emit(carry, level: level, newSize: newSize)
        while size & (1 << level) != 0 {
            carry = MerkleHash.node(edge[level]!, carry)
            edge[level] = nil
            level += 1
            emit(carry, level: level, newSize: newSize)
        }
        edge[level] = carry
        size = newSize
    }

    /// A new complete hash at `level`: at a tile level it joins the partial tile, which is written
    /// when it holds 256.
    private mutating func emit(_ hash: Data, level: Int, newSize: Int) {
        guard level % TilePath.height == 0 else { return }
        let tileLevel = level / TilePath.height
        partial[tileLevel].append(hash)
        guard partial[tileLevel].count == TilePath.width else { return }
        let index = ((newSize >> level) - 1) / TilePath.width
        if knownFrom[tileLevel] <= index * TilePath.width {
            store.put(level: tileLevel, index: index, hashes: partial[tileLevel].reduce(into: Data()) { $0.append($1) })
        } else {
            straddling[tileLevel] = (index, partial[tileLevel])
        }
        partial[tileLevel] = []
    }

    /// The hash of leaves `index·2^level ..< (index+1)·2^level` (a complete subtree): the
    /// compact range's or the edge's when it is one of those, a stored hash at a tile level, else
    /// the hash of its two children (at most 7 levels down to a tile level). Going down level by
    /// level, not folding a tile's run at once, lets a subtree that straddles the retention cut
    /// resolve through the compact range's nodes.
    func node(level: Int, index: Int) throws -> Data {
        if let pruned = prunedNodes[level], pruned.index == index { return pruned.hash }
        if let hash = edge[level], index == (size >> level) - 1 { return hash }
        guard level % TilePath.height == 0 else {
            return MerkleHash.node(try node(level: level - 1, index: 2 * index), try node(level: level - 1, index: 2 * index + 1))
        }
        let tileLevel = level / TilePath.height
        let tile = index / TilePath.width
        let offset = index % TilePath.width
        let available = size >> level
        var hash: Data?
        if index < available, index >= 0 {
            if tile < available / TilePath.width {
                if let data = store.read(level: tileLevel, index: tile) {
                    hash = data.subdata(in: offset * MerkleHash.byteCount..<(offset + 1) * MerkleHash.byteCount)
                } else if let kept = straddling[tileLevel], kept.index == tile, index >= knownFrom[tileLevel] {
                    hash = kept.hashes[offset]
                }
            } else if index >= knownFrom[tileLevel] {
                hash = partial[tileLevel][offset]
            }
        }
        guard let hash, hash.count == MerkleHash.byteCount else {
            throw LetheError(.proofOutOfRange, "no hash at level \(level), index \(index) (tree has \(size), removed \(prunedSize))")
        }
        return hash
    }

    /// The leaf hash at `index`.
    func leafHash(at index: Int) throws -> Data {
        guard index >= prunedSize, index < size else {
            throw LetheError(.proofOutOfRange, "no entry \(index)")
        }
        return try node(level: 0, index: index)
    }

    /// The root of the first `size` leaves (`MTH(D[0:size])`, RFC 9162 §2.1.1).
    func root(size: Int? = nil) throws -> Data {
        let size = size ?? self.size
        guard size >= 0, size <= self.size, size == 0 || size >= prunedSize else {
            throw LetheError(.proofOutOfRange, "no root for size \(size) (tree has \(self.size), removed \(prunedSize))")
        }
        return size == 0 ? MerkleHash.emptyRoot : try hash(start: 0, count: size)
    }

    /// The compact range of the first `size` leaves: perfect subtree hashes, largest first.
    func compactRange(size: Int) throws -> [Data] {
        var start = 0
        var range: [Data] = []
        for level in stride(from: Int.bitWidth - 2, through: 0, by: -1) where size & (1 << level) != 0 {
            range.append(try node(level: level, index: start >> level))
            start += 1 << level
        }
        return range
    }

    /// `MTH(D[start:start+count])`.
    private func hash(start: Int, count: Int) throws -> Data {
        if count & (count - 1) == 0, start % count == 0 {
            return try node(level: count.trailingZeroBitCount, index: start / count)
        }
        let k = MerkleHash.split(count)
        return MerkleHash.node(try hash(start: start, count: k), try hash(start: start + k, count: count - k))
    }

    /// The audit path of leaf `index` in the tree of the first `size` leaves (RFC 9162 §2.1.3.1).
    func inclusionProof(index: Int, size: Int) throws -> [Data] {
        guard index >= prunedSize, index < size, size <= self.size else {
            throw LetheError(.proofOutOfRange, "no leaf \(index) in a tree of size \(size) (log has \(self.size))")
        }
        var proof: [Data] = []
        try path(index, start: 0, count: size, into: &proof)
        return proof
    }

    private func path(_ m: Int, start: Int, count: Int, into proof: inout [Data]) throws {
        guard count > 1 else { return }
        let k = MerkleHash.split(count)
        if m < k {
            try path(m, start: start, count: k, into: &proof)
            proof.append(try hash(start: start + k, count: count - k))
        } else {
            try path(m - k, start: start + k, count: count - k, into: &proof)
            proof.append(try hash(start: start, count: k))
        }
    }

    /// The consistency proof between the trees of the first `oldSize` and `newSize` leaves
    /// (RFC 9162 §2.1.4.1). Empty when `oldSize` is 0 or equals `newSize`.
    func consistencyProof(oldSize: Int, newSize: Int) throws -> [Data] {
        guard oldSize >= 0, oldSize == 0 || oldSize >= prunedSize, oldSize <= newSize, newSize <= self.size else {
            throw LetheError(.proofOutOfRange, "no consistency proof from \(oldSize) to \(newSize) (log has \(self.size))")
        }
        guard oldSize > 0, oldSize < newSize else { return [] }
        var proof: [Data] = []
        try subproof(oldSize, start: 0, count: newSize, complete: true, into: &proof)
        return proof
    }

    private func subproof(_ m: Int, start: Int, count: Int, complete: Bool, into proof: inout [Data]) throws {
        if m == count {
            if !complete { proof.append(try hash(start: start, count: count)) }
            return
        }
        let k = MerkleHash.split(count)
        if m <= k {
            try subproof(m, start: start, count: k, complete: complete, into: &proof)
            proof.append(try hash(start: start + k, count: count - k))
        } else {
            try subproof(m - k, start: start + k, count: count - k, complete: false, into: &proof)
            proof.append(try hash(start: start, count: k))
        }
    }

    /// The hashes of hash tile `tile` (tree level 8·L, positions `tile.leafRange`), concatenated:
    /// a full tile from disk (or a prefix of it, for a client asking at an older width), the
    /// partial one from memory. Nil for an entry bundle, a tile the tree does not have whole, or
    /// one that straddles the retention cut.
    func tileHashes(_ tile: TilePath) -> Data? {
        guard let level = tile.level, (0..<Self.tileLevels).contains(level), let range = tile.leafRange else { return nil }
        let available = size >> (level * TilePath.height)
        guard range.upperBound <= available else { return nil }
        if tile.index < available / TilePath.width {
            return store.read(level: level, index: tile.index)?.prefix(range.count * MerkleHash.byteCount)
        }
        guard range.lowerBound >= knownFrom[level] else { return nil }
        return partial[level].prefix(range.count).reduce(into: Data(capacity: range.count * MerkleHash.byteCount)) { $0.append($1) }
    }
}
