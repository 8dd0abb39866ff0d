import Foundation
import LetheMemory
import LetheTransparency

extension DeletionLedger {
    /// The latest signed checkpoint note, if any.
    public var latestCheckpointNote: String? { latestCheckpoint?.note }

    /// Size of the latest checkpoint in log entries (0 when none).
    public var checkpointedSize: Int { latestCheckpoint?.size ?? 0 }

    /// Records whose commitments the latest checkpoint covers.
    public var checkpointedRecords: Int { latestCheckpoint?.records ?? 0 }

    /// Signs and durably writes a checkpoint of the whole log when it has grown since the last one.
    /// The log only ever grows by whole batches (`publish`), so a checkpoint never splits one.
    /// - Returns: the new checkpoint, or nil when nothing was uncovered.
    /// With witnesses configured (`LedgerConfiguration.cosigning`), their cosignature lines are
    /// appended to the note before it is written and published (C2SP tlog-witness): the note
    /// served at `/ledger/checkpoint` is the cosigned one.
    @discardableResult
    public func writeCheckpoint() async throws -> Checkpoint? {
        guard tree.size > checkpointedSize || (latestCheckpoint == nil && tree.size > 0) else { return nil }
        let checkpoint = Checkpoint(origin: origin, size: tree.size, rootHash: try tree.root())
        var note = try checkpoint.signed(by: signer)
        if let cosigning = configuration.cosigning {
            // `publish` holds `publishing`, so the tree does not grow while the witnesses answer.
            let lines = await cosigning.cosign(note: note, checkpoint: checkpoint) { [self] oldSize in
                try await self.consistencyProof(oldSize: oldSize, newSize: checkpoint.size)
            }
            note += lines.map(\.line).joined()
        }
        try LedgerFile.replace(layout.checkpointFile(size: checkpoint.size).path, with: Data(note.utf8))
        latestCheckpoint = (checkpoint.size, note, publishedRecords)
        return checkpoint
    }

    /// The signed checkpoint note of exactly `size` entries, when one was written and kept.
    public func checkpointNote(size: Int) -> String? {
        try? String(contentsOf: layout.checkpointFile(size: size), encoding: .utf8)
    }

    /// RFC 9162 inclusion proof of log entry `index` in the tree of `size` entries.
    public func inclusionProof(index: Int, size: Int) throws -> [Data] {
        try tree.inclusionProof(index: index, size: size)
    }

    /// RFC 9162 consistency proof from `oldSize` to `newSize` log entries.
    public func consistencyProof(oldSize: Int, newSize: Int) throws -> [Data] {
        try tree.consistencyProof(oldSize: oldSize, newSize: newSize)
    }

    /// Root of the first `size` log entries.
    public func rootHash(size: Int) throws -> Data {
        guard size <= tree.size, size == 0 || size >= tree.prunedSize else {
            throw LetheError(.proofOutOfRange, "no root for size \(size) (log has \(tree.size), removed \(tree.prunedSize))")
        }
        return try tree.root(size: size)
    }

    /// Leaf hash of log entry `index`.
    public func leafHash(index: Int) throws -> Data {
        guard index >= tree.prunedSize, index < tree.size else {
            throw LetheError(.proofOutOfRange, "no entry \(index)")
        }
        return try tree.leafHash(at: index)
    }

    /// Canonical JSON bytes of the public log entries in `range` (not those removed by retention).
    public func entryBytes(_ range: Range<Int>) throws -> [Data] {
        guard range.lowerBound >= log.firstIndex, range.upperBound <= tree.size, !range.isEmpty else {
            throw LetheError(.proofOutOfRange, "entries \(range) are not in the log (\(log.firstIndex)..<\(tree.size))")
        }
        return try log.lines(range)
    }

    /// Canonical JSON bytes of the private records in `range`, for the operator's own audit.
    public func recordBytes(_ range: Range<Int>) throws -> [Data] {
        guard range.lowerBound >= records.firstIndex, range.upperBound <= records.count, !range.isEmpty else {
            throw LetheError(.proofOutOfRange, "records \(range) are not kept (\(records.firstIndex)..<\(records.count))")
        }
        return try records.lines(range)
    }
}
