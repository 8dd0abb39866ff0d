// libFuzzer target: the parsers of every public (outer, unauthenticated) route, and the arithmetic
// that consumes what they parse, against real Merkle trees.
//
// Input: a request target as it arrives on the public port, `PATH[?QUERY]`. Parsed by
// LedgerRequest exactly as LedgerRoutes does (tiles, entries, proofs, checkpoints, key), then
// resolved against a 70,000-leaf tree and one whose first 1,000 leaves were removed by retention:
// tile hashes, inclusion and consistency proofs (which must verify), entry ranges and checkpoint
// file names. Key discovery (`GET /.well-known/ohttp-gateway`) reads nothing from the request; the
// key list it serves is what fuzz-key-config parses.
import Foundation
import LetheLedger
import LetheMemory
import LetheTransparency

/// Leaf hashes of entries 0..<70,000: two full level-1 tiles' worth of level-0 tiles and more.
let leaves: [Data] = (0..<70_000).map { MerkleHash.leaf(Data("entry \($0)".utf8)) }
let fullTree = MerkleTree(leafHashes: leaves)
/// The same log after retention removed entries 0..<1,000, continued from their compact range.
let prunedTree: MerkleTree = {
    var tree = try! MerkleTree(prunedSize: 1_000, compactRange: fullTree.compactRange(size: 1_000))
    for leaf in leaves[1_000...] { tree.append(leafHash: leaf) }
    return tree
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPublicRoutes(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let target = String(decoding: UnsafeRawBufferPointer(start: start, count: count), as: UTF8.self)
    let question = target.firstIndex(of: "?")
    let path = target[..<(question ?? target.endIndex)]
    let query = question.map { target[target.index(after: $0)...] }
    let request: LedgerRequest
    do throws(LetheError) {
        request = try LedgerRequest(path: path, query: query)
    } catch {
        precondition(["malformed_ledger_request", "not_found"].contains(error.code.rawValue), "unexpected code \(error.code)")
        precondition(!error.message.contains("/tmp") && error.message.utf8.count < 300)
        return 0
    }
    for tree in [fullTree, prunedTree] {
        resolve(request, in: tree)
    }
    return 0
}

func resolve(_ request: LedgerRequest, in tree: MerkleTree) {
    switch request {
    case .checkpoint, .verifierKey, .ohttpKeys:
        break
    case .checkpointOfSize(let size):
        precondition(size >= 0 && LedgerLayout.paddedName(size).utf8.count == 20)
    case .tile(let tile):
        let range = tile.leafRange!
        precondition(range.count == tile.width && range.lowerBound % TilePath.width == 0)
        // The tile's own path parses back to it.
        precondition(TilePath(components: tile.path.split(separator: "/").dropFirst().map { $0 }) == tile)
        if let hashes = tree.tileHashes(tile) {
            precondition(tile.level != nil && hashes.count == range.count * MerkleHash.byteCount)
            if tile.level == 0 { precondition(hashes.prefix(32) == tree.leafHash(at: range.lowerBound)) }
        }
    case .entries(let range):
        precondition(range.lowerBound >= 0 && !range.isEmpty && range.count <= LedgerRequest.maxEntries)
    case .period(let start):
        // Canonical: the ledger's own spelling of a time it can parse back to the same instant.
        let milliseconds = LedgerTime.milliseconds(start)!
        precondition(LedgerTime.timestamp(milliseconds) == start)
    case .inclusionProof(let index, let size):
        guard let proof = try? tree.inclusionProof(index: index, size: size) else { return }
        precondition(MerkleProof.verifyInclusion(
            index: index, size: size, leafHash: tree.leafHash(at: index), proof: proof, root: tree.root(size: size)))
    case .consistencyProof(let old, let new):
        guard let proof = try? tree.consistencyProof(oldSize: old, newSize: new) else { return }
        // RFC 9162 §2.1.4.2 verifies only 0 < old < new; an empty proof is the answer otherwise.
        guard old > 0, old < new else { return precondition(proof.isEmpty) }
        precondition(MerkleProof.verifyConsistency(
            oldSize: old, newSize: new, oldRoot: tree.root(size: old), newRoot: tree.root(size: new), proof: proof))
    }
}
