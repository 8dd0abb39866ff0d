import Foundation
import LetheTransparency

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension DeletionLedger {
    /// Removes what is older than the retention period, only once it is covered by the latest
    /// checkpoint:
    /// - closed log segments, keeping what proves consistency across the cut (`LEDGER_DIR/pruned`:
    ///   the compact range of the removed entries and consistency proofs from every older
    ///   checkpoint to the latest one), and the checkpoint files before the cut;
    /// - closed record segments whose records are all published and older than the period.
    /// Runs at start and whenever a segment is closed.
    /// - Parameter now: the current time (a parameter for tests).
    /// - Returns: the number of log entries removed so far in total.
    @discardableResult
    public func applyRetention(now: Date = Date()) throws -> Int {
        guard configuration.retentionDays > 0, let checkpoint = latestCheckpoint else { return log.firstIndex }
        let cutoff = DeletionRecord.timestamp(now.addingTimeInterval(-Double(configuration.retentionDays) * 86_400))
        try applyLogRetention(cutoff: cutoff, checkpointSize: checkpoint.size)
        try applyRecordRetention(cutoff: cutoff, coveredRecords: checkpoint.records)
        return log.firstIndex
    }

    private func applyLogRetention(cutoff: String, checkpointSize: Int) throws {
        var cut = log.firstIndex
        for file in log.closedSegments() {
            guard file.end <= checkpointSize, file.end > file.firstIndex,
                let newest = try? LogEntry.decode(try log.lines((file.end - 1)..<file.end)[0]),
                Self.time(of: newest) < cutoff
            else { break }
            cut = file.end
        }
        guard cut > log.firstIndex else { return }

        var proofs = previouslyPruned()?.consistencyProofs ?? [:]
        for kept in layout.checkpoints() where kept.size > 0 && kept.size < cut && kept.size >= log.firstIndex && kept.size < checkpointSize {
            proofs["\(kept.size)-\(checkpointSize)"] = try tree.consistencyProof(oldSize: kept.size, newSize: checkpointSize).map { $0.base64EncodedString() }
        }
        let pruned = PrunedPrefix(
            size: cut, compactRange: try tree.compactRange(size: cut).map { $0.base64EncodedString() }, consistencyProofs: proofs)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        try LedgerFile.replace(layout.prunedFile.path, with: try encoder.encode(pruned))
        try log.removeSegments(before: cut)
        // Periods whose batches are gone are no longer served (not_in_ledger), nor remembered.
        periods = periods.filter { $0.value.contains { $0.summary >= cut } }
        // Checkpoints of removed entries only: their consistency proofs to the latest one are in
        // `pruned`, for anyone who kept a copy.
        for old in layout.checkpoints() where old.size >= 0 && old.size < cut {
            unlink(old.url.path)
        }
        try LedgerFile.syncDirectory(containing: layout.checkpointFile(size: 0).path)
    }

    private func applyRecordRetention(cutoff: String, coveredRecords: Int) throws {
        var cut = records.firstIndex
        for file in records.closedSegments() {
            guard file.end <= coveredRecords, file.end > file.firstIndex,
                let newest = try? JSONDecoder().decode(DeletionRecord.self, from: try records.lines((file.end - 1)..<file.end)[0]),
                newest.wipedAt < cutoff
            else { break }
            cut = file.end
        }
        try records.removeSegments(before: cut)
    }

    /// The time a log entry stands for: its period, or a legacy entry's wipe time.
    static func time(of entry: LogEntry) -> String {
        switch entry {
        case .wipe(let wipe): wipe.period
        case .summary(let summary): summary.periodEnd
        case .key(let key): key.period
        case .legacy(let record): record.wipedAt
        }
    }

    private func previouslyPruned() -> PrunedPrefix? {
        FileManager.default.contents(atPath: layout.prunedFile.path).flatMap { try? JSONDecoder().decode(PrunedPrefix.self, from: $0) }
    }
}
