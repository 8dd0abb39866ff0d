import Foundation
import LetheMemory

extension DeletionLedger {
    /// The latest signed checkpoint note, if any.
    public var latestCheckpointNote: String? { latestCheckpoint?.note }

    /// Size of the latest checkpoint (0 when none).
    public var checkpointedSize: Int { latestCheckpoint?.size ?? 0 }

    /// True when the configured entry count or interval since the first uncovered entry is reached.
    public var checkpointDue: Bool {
        let uncovered = tree.size - checkpointedSize
        guard uncovered > 0 else { return false }
        if uncovered >= configuration.checkpointEveryEntries { return true }
        guard let since = uncoveredSince else { return true }
        return ContinuousClock.now - since >= .milliseconds(Int64(configuration.checkpointIntervalSeconds * 1000))
    }

    /// Signs and durably writes a checkpoint of the whole log when it has grown since the last one.
    /// - Returns: the new checkpoint, or nil when nothing was uncovered.
    @discardableResult
    public func writeCheckpoint() throws -> Checkpoint? {
        guard tree.size > checkpointedSize || (latestCheckpoint == nil && tree.size > 0) else { return nil }
        let checkpoint = Checkpoint(origin: origin, size: tree.size, rootHash: tree.root())
        let note = try checkpoint.signed(by: signer)
        try LedgerFile.replace(layout.checkpointFile(size: checkpoint.size).path, with: Data(note.utf8))
        latestCheckpoint = (checkpoint.size, note)
        uncoveredSince = nil
        return checkpoint
    }

    /// The signed checkpoint note of exactly `size` entries, when one was written and kept.
    public func checkpointNote(size: Int) -> String? {
        try? String(contentsOf: layout.checkpointFile(size: size), encoding: .utf8)
    }

    /// RFC 9162 inclusion proof of entry `index` in the tree of `size` entries.
    public func inclusionProof(index: Int, size: Int) throws -> [Data] {
        try tree.inclusionProof(index: index, size: size)
    }

    /// RFC 9162 consistency proof from `oldSize` to `newSize` entries.
    public func consistencyProof(oldSize: Int, newSize: Int) throws -> [Data] {
        try tree.consistencyProof(oldSize: oldSize, newSize: newSize)
    }

    /// Root of the first `size` entries.
    public func rootHash(size: Int) throws -> Data {
        guard size <= tree.size, size == 0 || size >= tree.prunedSize else {
            throw LetheError(.proofOutOfRange, "no root for size \(size) (log has \(tree.size), removed \(tree.prunedSize))")
        }
        return tree.root(size: size)
    }

    /// Leaf hash of entry `index`.
    public func leafHash(index: Int) throws -> Data {
        guard index >= tree.prunedSize, index < tree.size else {
            throw LetheError(.proofOutOfRange, "no entry \(index)")
        }
        return tree.leafHash(at: index)
    }

    /// Canonical JSON bytes of the entries in `range` (not those removed by retention).
    public func entryBytes(_ range: Range<Int>) throws -> [Data] {
        guard range.lowerBound >= removedSize, range.upperBound <= tree.size, !range.isEmpty else {
            throw LetheError(.proofOutOfRange, "entries \(range) are not in the log (\(removedSize)..<\(tree.size))")
        }
        return try range.map { index in
            let location = locations[index]
            return try LedgerFile.read(layout.segmentFile(firstIndex: location.segment).path, offset: location.offset, length: location.length)
        }
    }
}
