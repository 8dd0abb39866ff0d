import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension DeletionLedger {
    /// Removes closed segments whose newest entry is older than the retention period, keeping what
    /// proves consistency across the cut (`LedgerLayout`'s `pruned` file): the compact range of the
    /// removed entries and consistency proofs from every older checkpoint to the latest one.
    /// Only entries covered by a checkpoint are ever removed. Runs when a segment is closed.
    /// - Parameter now: the current time (a parameter for tests).
    /// - Returns: the number of entries removed so far in total.
    @discardableResult
    public func applyRetention(now: Date = Date()) throws -> Int {
        guard configuration.retentionDays > 0, let checkpoint = latestCheckpoint else { return removedSize }
        let cutoff = DeletionRecord.timestamp(now.addingTimeInterval(-Double(configuration.retentionDays) * 86_400))
        let closed = layout.segments().filter { $0.firstIndex >= 0 && $0.firstIndex != segment.firstIndex }
        var cut = removedSize
        var doomed: [URL] = []
        for (position, file) in closed.enumerated() {
            let end = position + 1 < closed.count ? closed[position + 1].firstIndex : segment.firstIndex
            guard end <= checkpoint.size, end > file.firstIndex,
                let newest = try? JSONDecoder().decode(DeletionRecord.self, from: try entryBytes((end - 1)..<end)[0]),
                newest.wipedAt < cutoff
            else { break }
            cut = end
            doomed.append(file.url)
        }
        guard cut > removedSize else { return removedSize }

        var proofs = previouslyPruned()?.consistencyProofs ?? [:]
        for kept in layout.checkpoints() where kept.size > 0 && kept.size < cut && kept.size >= removedSize && kept.size < checkpoint.size {
            proofs["\(kept.size)-\(checkpoint.size)"] = try tree.consistencyProof(oldSize: kept.size, newSize: checkpoint.size).map { $0.base64EncodedString() }
        }
        let pruned = PrunedPrefix(
            size: cut, compactRange: tree.compactRange(size: cut).map { $0.base64EncodedString() }, consistencyProofs: proofs)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        try LedgerFile.replace(layout.prunedFile.path, with: try encoder.encode(pruned))
        for url in doomed { unlink(url.path) }
        try LedgerFile.syncDirectory(containing: layout.segmentFile(firstIndex: 0).path)
        removedSize = cut
        return cut
    }

    private func previouslyPruned() -> PrunedPrefix? {
        FileManager.default.contents(atPath: layout.prunedFile.path).flatMap { try? JSONDecoder().decode(PrunedPrefix.self, from: $0) }
    }

    /// Finishes a retention run a crash interrupted: segments entirely before the cut go.
    static func removeSegmentsBeforeCut(_ layout: LedgerLayout, cut: Int) {
        let segments = layout.segments()
        for (position, file) in segments.enumerated() where position + 1 < segments.count && segments[position + 1].firstIndex <= cut && file.firstIndex < cut {
            unlink(file.url.path)
        }
    }
}
