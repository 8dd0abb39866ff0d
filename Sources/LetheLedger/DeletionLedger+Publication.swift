import Foundation
import LetheMemory
import LetheTransparency

extension DeletionLedger {
    /// Publishes every batch whose period has ended (or, with `closingOpenPeriod`, the open one
    /// too: at shutdown, and in tests), then signs a checkpoint of the log.
    ///
    /// Each batch becomes one `WipeCommitment` per record, sorted by commitment so that the order
    /// says nothing about arrival, followed by its `PeriodSummary`; the batch is written with one
    /// `write` and fsynced before it enters the tree, and only a whole batch is ever signed.
    /// - Returns: the new checkpoint, or nil when the log did not grow.
    @discardableResult
    public func publish(closingOpenPeriod: Bool = false) async throws -> Checkpoint? {
        if closingOpenPeriod {
            _ = readClock()
            closeOpenBatch()
        } else {
            let now = readClock()
            if let open = openBatch, now >= open.periodEnd { closeOpenBatch() }
        }
        guard !publishing else { return nil }
        publishing = true
        defer { publishing = false }
        var published = false
        while let batch = closedBatches.first {
            try await publish(batch)
            closedBatches.removeFirst()
            published = true
        }
        return published || latestCheckpoint?.size != tree.size ? try await writeCheckpoint() : nil
    }

    private func publish(_ batch: Batch) async throws {
        if let logBroken { throw logBroken }
        try await waitUntilDurable(batch.recordEnd)
        let period = LedgerTime.timestamp(batch.period)
        let first = tree.size
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var entries = try batch.commitments.sorted { $0.commitment < $1.commitment }.enumerated().map { offset, record in
            try encoder.encode(WipeCommitment(sequence: first + offset, period: period, commitment: record.commitment, wipeVerified: record.verified))
        }
        let summary = PeriodSummary(
            sequence: first + entries.count, period: period, periodEnd: LedgerTime.timestamp(batch.periodEnd),
            journalStart: batch.recordStart, totals: batch.totals, refused: batch.refused, clockStep: batch.clockStep)
        entries.append(try encoder.encode(summary))

        let rolled = try log.append(entries, day: String(period.prefix(10)))
        do {
            try log.sync()
        } catch {
            // Not in the tree yet: cut it off so that the retry does not write it twice.
            do { try log.truncate(to: first) } catch { logBroken = LetheError(.ledgerUnwritable, "the log could not be cut back after a failed write: restart the worker") }
            throw error
        }
        for entry in entries { tree.append(leafHash: MerkleHash.leaf(entry)) }
        publishedTreeSize.store(tree.size, ordering: .releasing)
        periods[period, default: []].append(PublishedBatch(first: first, summary: first + entries.count - 1))
        publishedRecords = batch.recordEnd
        if rolled { _ = try? applyRetention() }
    }

    /// The published batches of the period starting at `period` (RFC 3339, as in a receipt).
    public func batches(period: String) -> [PublishedBatch] {
        periods[period] ?? []
    }
}
