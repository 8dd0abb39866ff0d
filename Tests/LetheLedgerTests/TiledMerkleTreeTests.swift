import CLetheSystem
import Foundation
import LetheMemory
@testable import LetheLedger
import LetheTransparency
import LetheTestSupport
import Testing

/// The worker's tree keeps only its right edge and partial tiles in memory and reads full tiles
/// from disk (docs/ledger.md §6): every root and proof must equal the in-memory reference
/// (`MerkleTree`, itself checked against the RFC and the transparency-dev test data), and memory
/// must not grow with the leaves.
// Serialized: the reference trees of the tests here are large.
@Suite("Tiled Merkle tree: full tiles on disk, the right edge in memory", .serialized)
struct TiledMerkleTreeTests {
    /// A tile directory under /tmp, removed afterwards.
    struct Directory {
        let url = URL(fileURLWithPath: "/tmp").appendingPathComponent("lethe-tiles-\(UUID().uuidString)")
        func remove() { try? FileManager.default.removeItem(at: url) }
    }

    /// Leaf `i`: the hash of its 8-byte big-endian number (any distinct hashes would do).
    static func leaf(_ index: Int) -> Data {
        withUnsafeBytes(of: UInt64(index).bigEndian) { MerkleHash.leaf(Data($0)) }
    }

    /// Bytes the allocator hands out now (all arenas, and mmapped blocks).
    static func allocatedBytes() -> Int { Int(lethe_allocated_bytes()) }

    @Test("a million leaves in bounded memory; proofs from the disk tiles verify against the roots; measured in a process of their own")
    func millionLeaves() async throws {
        // The allocator's figures are the whole process's: the leaves are appended alone in a
        // child (`MeasuredAlone`), where no other suite allocates during a window.
        try await MeasuredAlone.expectPassing("millionLeavesAlone", printing: "tiled tree alone:")
    }

    /// The test itself, only in the child (`millionLeaves`).
    @Test("a million leaves, alone", .enabled(if: MeasuredAlone.isChild(running: "millionLeavesAlone")))
    func millionLeavesAlone() throws {
        let directory = Directory()
        defer { directory.remove() }
        var tree = TiledMerkleTree(store: TileStore(directory: directory.url))
        let warmUp = 10_000
        for index in 0..<warmUp { tree.append(leafHash: Self.leaf(index)) }
        #expect(Self.allocatedBytes() > 0, "no allocator statistics on this platform")
        // Three windows of 330,000 leaves each; the smallest growth counts. The whole
        // tree in memory (`MerkleTree`, the worker's tree before tiles) grows by about 290 bytes a
        // leaf, ~96 MB a window; the tiled tree by a few tiles of cache.
        let count = 1_000_000
        let window = (count - warmUp) / 3
        var growths: [Int] = []
        for part in 0..<3 {
            let baseline = Self.allocatedBytes()
            let end = part == 2 ? count : warmUp + (part + 1) * window
            for index in (warmUp + part * window)..<end { tree.append(leafHash: Self.leaf(index)) }
            growths.append(Self.allocatedBytes() - baseline)
        }
        print("tiled tree alone: allocated bytes grew by \(growths) over three windows")
        #expect(growths.min()! < 16 << 20, "allocated bytes grew by \(growths) over three windows of \(window) leaves")
        #expect(tree.hashesInMemory <= 63 + 8 * 255, "\(tree.hashesInMemory) hashes in memory")
        #expect(tree.size == count)
        // Every full level-0 tile is on disk: 3906 of them, and 15 at level 1.
        let level0 = try FileManager.default.subpathsOfDirectory(atPath: directory.url.appendingPathComponent("tile/0").path).filter { !$0.hasPrefix(".") && !$0.hasSuffix(".tmp") }
        #expect(level0.filter { !$0.hasPrefix("x") || $0.contains("/") }.count == count / 256)

        var generator = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            let size = Int.random(in: 1...count, using: &generator)
            let index = Int.random(in: 0..<size, using: &generator)
            let root = try tree.root(size: size)
            let proof = try tree.inclusionProof(index: index, size: size)
            #expect(MerkleProof.verifyInclusion(index: index, size: size, leafHash: Self.leaf(index), proof: proof, root: root), "leaf \(index) of \(size)")
            let newer = Int.random(in: size...count, using: &generator)
            let consistency = try tree.consistencyProof(oldSize: size, newSize: newer)
            #expect(MerkleProof.verifyConsistency(oldSize: size, newSize: newer, oldRoot: root, newRoot: try tree.root(size: newer), proof: consistency), "\(size) → \(newer)")
        }
        // A wrong leaf does not verify (the check can fail).
        let proof = try tree.inclusionProof(index: 123_456, size: count)
        #expect(!MerkleProof.verifyInclusion(index: 123_456, size: count, leafHash: Self.leaf(123_457), proof: proof, root: try tree.root()))
    }

    @Test("roots, inclusion and consistency proofs from tiles equal the in-memory tree's, for random sizes")
    func proofsEqualInMemoryTree() throws {
        let directory = Directory()
        defer { directory.remove() }
        // Past 65 536 leaves, so that a level-1 tile is full and a level-2 tile partial.
        let count = 70_000
        var tiled = TiledMerkleTree(store: TileStore(directory: directory.url))
        var reference = MerkleTree()
        for index in 0..<count {
            tiled.append(leafHash: Self.leaf(index))
            reference.append(leafHash: Self.leaf(index))
        }
        var generator = SystemRandomNumberGenerator()
        let edges = [1, 2, 255, 256, 257, 511, 512, 65_535, 65_536, 65_537, count]
        let sizes = edges + (0..<300).map { _ in Int.random(in: 1...count, using: &generator) }
        for size in sizes {
            #expect(try tiled.root(size: size) == reference.root(size: size), "root of \(size)")
            for index in [0, size - 1, Int.random(in: 0..<size, using: &generator)] {
                #expect(try tiled.inclusionProof(index: index, size: size) == reference.inclusionProof(index: index, size: size), "leaf \(index) of \(size)")
            }
            let newer = Int.random(in: size...count, using: &generator)
            #expect(try tiled.consistencyProof(oldSize: size, newSize: newer) == reference.consistencyProof(oldSize: size, newSize: newer), "\(size) → \(newer)")
        }
        // The tiles served are the reference's, full from disk and partial from memory.
        for level in 0...2 {
            let available = count >> (8 * level)
            for index in 0...(available / 256) {
                let width = min(256, available - 256 * index)
                guard width > 0 else { continue }
                let tile = TilePath(level: level, index: index, width: width)
                #expect(tiled.tileHashes(tile) == reference.tileHashes(tile), "\(tile.path)")
            }
        }
        #expect(tiled.tileHashes(TilePath(level: 0, index: count / 256, width: count % 256 + 1)) == nil)
        #expect(throws: LetheError.self) { try tiled.inclusionProof(index: count, size: count + 1) }
    }

    @Test("after retention the tree continues from the compact range, and proofs after the cut equal the in-memory tree's")
    func continuesAfterRetentionCut() throws {
        var generator = SystemRandomNumberGenerator()
        for cut in [300, 256, 65_600, Int.random(in: 1...70_000, using: &generator)] {
            let directory = Directory()
            defer { directory.remove() }
            var full = MerkleTree()
            for index in 0..<cut { full.append(leafHash: Self.leaf(index)) }
            let range = full.compactRange(size: cut)
            var tiled = try TiledMerkleTree(prunedSize: cut, compactRange: range, store: TileStore(directory: directory.url))
            var reference = try MerkleTree(prunedSize: cut, compactRange: range)
            let count = cut + 70_000
            for index in cut..<count {
                tiled.append(leafHash: Self.leaf(index))
                reference.append(leafHash: Self.leaf(index))
            }
            for _ in 0..<150 {
                let size = Int.random(in: cut...count, using: &generator)
                #expect(try tiled.root(size: size) == reference.root(size: size), "cut \(cut): root of \(size)")
                let index = Int.random(in: cut..<max(cut + 1, size), using: &generator)
                if index < size {
                    #expect(try tiled.inclusionProof(index: index, size: size) == reference.inclusionProof(index: index, size: size), "cut \(cut): leaf \(index) of \(size)")
                }
                let newer = Int.random(in: size...count, using: &generator)
                #expect(try tiled.consistencyProof(oldSize: size, newSize: newer) == reference.consistencyProof(oldSize: size, newSize: newer), "cut \(cut): \(size) → \(newer)")
            }
            #expect(try tiled.compactRange(size: count) == reference.compactRange(size: count))
            #expect(throws: LetheError.self) { try tiled.inclusionProof(index: cut - 1, size: count) }
        }
    }

    @Test("a damaged tile file is rewritten when the tree is rebuilt from the log")
    func damagedTileIsRewritten() throws {
        let directory = Directory()
        defer { directory.remove() }
        var first = TiledMerkleTree(store: TileStore(directory: directory.url))
        for index in 0..<600 { first.append(leafHash: Self.leaf(index)) }
        let path = TileStore.url(in: directory.url, level: 0, index: 1).path
        let good = try #require(FileManager.default.contents(atPath: path))
        try Data(repeating: 0xAB, count: good.count).write(to: URL(fileURLWithPath: path))
        var rebuilt = TiledMerkleTree(store: TileStore(directory: directory.url))
        for index in 0..<600 { rebuilt.append(leafHash: Self.leaf(index)) }
        #expect(FileManager.default.contents(atPath: path) == good)
        #expect(try rebuilt.root() == first.root())
    }
}
