import Foundation
import LetheMemory
import LetheTransparency

/// Recomputes a ledger directory from its files alone and a verifier key, as a third party would.
///
/// The public log: every entry parsed and canonical, sequence numbers without gaps, each batch's
/// wipe entries of one period, sorted by commitment and all verified, closed by a summary whose
/// counts agree with them, record ranges contiguous, periods never going backwards except after a
/// recorded clock step; log segments contiguous, every checkpoint signed by the key and matching
/// the recomputed tree, successive checkpoints consistent (RFC 9162 proofs), and what retention
/// removed bridged by its compact range and consistency proofs.
///
/// The private records, when present (the operator's own audit): each one canonical, in sequence,
/// inside its period, its time never going backwards except at a recorded clock step, its wipe
/// verified; and every published batch recomputed from its records: the same commitments and the
/// same summary, field by field.
public enum LedgerAuditor {
    /// What a report reads, in log order.
    public enum Item: Sendable {
        /// A published batch, with its records when they were present and checked.
        case batch(PeriodSummary, records: [DeletionRecord]?)
        /// A version-1 entry (public per-request detail from before records became private).
        case legacy(DeletionRecord)
        /// A logged OHTTP key configuration (docs/ledger.md §17).
        case key(KeyConfigEntry)
    }

    /// One batch as read from the log.
    struct ScannedBatch {
        var first: Int
        var wipes: [WipeCommitment]
        var summary: PeriodSummary
    }

    /// The log as read: the recomputed tree, retention's cut, the batches and the version-1 entries.
    struct LogScan {
        var tree = MerkleTree()
        var pruned: PrunedPrefix?
        var batches: [ScannedBatch] = []
        var legacy: [DeletionRecord] = []
        /// The logged OHTTP key configurations, in log order.
        var keys: [KeyConfigEntry] = []
        /// A version-1 ledger not yet migrated: its `segments/` are the log, there are no records.
        var legacyOnly = false
        /// False when a structural failure stopped the scan (the records are then not compared).
        var complete = false
    }

    /// Verifies `directory` against `verifier`. Never throws: problems become findings.
    /// - Parameter visit: receives each batch and legacy entry (for reports), in order, unless a
    ///   structural failure stopped the reading.
    public static func verify(_ directory: URL, verifier: NoteVerifier?, visit: (Item) -> Void = { _ in }) -> LedgerAudit {
        var audit = LedgerAudit(directory: directory.path, origin: verifier?.name)
        let layout = LedgerLayout(directory: directory)
        let scan = scanLog(layout, into: &audit)
        var checked: [Int: [DeletionRecord]] = [:]
        if scan.complete, !scan.legacyOnly {
            checked = checkRecords(layout, batches: scan.batches, into: &audit)
        }
        if scan.complete {
            for record in scan.legacy { visit(.legacy(record)) }
            for batch in scan.batches { visit(.batch(batch.summary, records: checked[batch.summary.sequence])) }
            for key in scan.keys { visit(.key(key)) }
        }
        finish(&audit, scan: scan, layout: layout, verifier: verifier)
        return audit
    }

    /// Reads the public log (in `log/`, or a version-1 ledger's `segments/` not yet migrated).
    static func scanLog(_ layout: LedgerLayout, into audit: inout LedgerAudit) -> LogScan {
        var scan = LogScan()
        var files = layout.logSegments()
        if files.isEmpty {
            if FileManager.default.fileExists(atPath: layout.legacyEntriesFile.path), layout.segments().isEmpty {
                files = [(0, layout.legacyEntriesFile)]
                scan.legacyOnly = true
            } else if let first = layout.segments().first,
                let line = (FileManager.default.contents(atPath: first.url.path) ?? Data()).split(separator: 0x0A).first,
                (try? JSONDecoder().decode(DeletionRecord.self, from: Data(line)))?.version == 1 {
                files = layout.segments()
                scan.legacyOnly = true
            }
        }

        // Retention's cut: the tree starts from the compact range of the removed entries.
        if let data = FileManager.default.contents(atPath: layout.prunedFile.path) {
            do {
                let prefix = try JSONDecoder().decode(PrunedPrefix.self, from: data)
                let range = prefix.compactRange.compactMap { Data(base64Encoded: $0) }
                guard range.count == prefix.compactRange.count else { throw LetheError(.ledgerCorrupt, "the compact range is not base64") }
                scan.tree = try MerkleTree(prunedSize: prefix.size, compactRange: range)
                scan.pruned = prefix
                audit.removedCount = prefix.size
            } catch {
                audit.fail("pruned_invalid", "\(layout.prunedFile.lastPathComponent): not a valid record of removed entries")
                return scan
            }
        }

        var open: (first: Int, wipes: [WipeCommitment])?
        var previousLegacy: DeletionRecord?
        var previousSummary: PeriodSummary?
        func stop() -> LogScan { scan }
        for (position, (firstIndex, url)) in files.enumerated() {
            let name = url.lastPathComponent
            guard firstIndex == scan.tree.size else {
                if firstIndex < 0 {
                    audit.fail("segment_name_invalid", "log segment file \(name) is not named after its first entry")
                } else if firstIndex > scan.tree.size {
                    audit.fail("entries_missing", "entries #\(scan.tree.size)…#\(firstIndex - 1) are missing: log segment \(name) starts at #\(firstIndex)")
                } else {
                    audit.fail("segment_overlap", "log segment \(name) starts at #\(firstIndex) but #\(scan.tree.size - 1) was already read")
                }
                return stop()
            }
            let data = FileManager.default.contents(atPath: url.path) ?? Data()
            let lines = data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
            for (lineNumber, line) in lines.enumerated() {
                let isTail = lineNumber == lines.count - 1
                if isTail && line.isEmpty { break }
                let index = scan.tree.size
                let place = "entry #\(index) (\(name) line \(lineNumber + 1))"
                if isTail {
                    // No newline: written when the process died, never in a checkpoint.
                    if position == files.count - 1 {
                        audit.warn("torn_tail", "\(line.count) bytes after \(index == 0 ? "the start" : "entry #\(index - 1)") of the log in \(name) are an incomplete entry from a crash; it was never signed and the worker cuts it off on its next start")
                    } else {
                        audit.fail("segment_truncated", "\(place) is cut off: log segment \(name) ends inside an entry")
                        return stop()
                    }
                    break
                }
                guard let entry = try? LogEntry.decode(Data(line)) else {
                    audit.fail("entry_malformed", "\(place) is not a valid log entry")
                    return stop()
                }
                guard let canonical = try? entry.canonicalJSON(), canonical == Data(line) else {
                    audit.fail("entry_not_canonical", "\(place) is not in canonical form: its bytes were edited")
                    return stop()
                }
                guard entry.sequence == index else {
                    audit.fail("sequence_gap", "\(place) carries sequence \(entry.sequence): entries were removed, inserted or reordered")
                    return stop()
                }
                switch entry {
                case .legacy(let record):
                    if open != nil || previousSummary != nil {
                        audit.fail("entry_malformed", "\(place) is a version-1 entry after version-2 entries")
                        return stop()
                    }
                    if let previousLegacy, record.wipedAt < previousLegacy.wipedAt {
                        audit.fail("time_backwards", "\(place) was wiped at \(record.wipedAt), before entry #\(index - 1) (\(previousLegacy.wipedAt))")
                    }
                    if record.receivedAt > record.wipedAt {
                        audit.fail("time_backwards", "\(place) was wiped at \(record.wipedAt), before it was received (\(record.receivedAt))")
                    }
                    if !record.wipeVerified { audit.fail("wipe_unverified", "\(place) records a wipe whose read-back verify failed") }
                    previousLegacy = record
                    scan.legacy.append(record)
                case .wipe(let wipe):
                    var batch = open ?? (index, [])
                    if let last = batch.wipes.last {
                        if wipe.period != last.period {
                            audit.fail("batch_malformed", "\(place) is of period \(wipe.period) inside the batch of \(last.period) (entries from #\(batch.first)), before its summary")
                        } else if wipe.commitment <= last.commitment {
                            audit.fail("batch_order", "\(place) is not after entry #\(index - 1) in commitment order: a batch's order must not depend on arrival")
                        }
                    }
                    if wipe.commitment.utf8.count != 64 || !wipe.commitment.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }) {
                        audit.fail("entry_malformed", "\(place): the commitment is not 64 hex digits")
                    }
                    if !wipe.wipeVerified { audit.fail("wipe_unverified", "\(place) stands for a wipe whose read-back verify failed") }
                    batch.wipes.append(wipe)
                    open = batch
                case .key(let key):
                    if let open {
                        audit.fail("batch_malformed", "\(place) logs a key inside the batch of entries from #\(open.first), before its summary")
                    }
                    if key.configBytes?.isEmpty != false {
                        audit.fail("entry_malformed", "\(place): the key configuration is not base64")
                    }
                    scan.keys.append(key)
                case .summary(let summary):
                    let batch = open ?? (index, [])
                    checkSummary(summary, wipes: batch.wipes, previous: previousSummary, place: place, audit: &audit)
                    scan.batches.append(ScannedBatch(first: batch.first, wipes: batch.wipes, summary: summary))
                    audit.periodCount += 1
                    audit.refusedCount &+= summary.refusedCount
                    audit.recordsPublished = summary.journalEnd
                    previousSummary = summary
                    open = nil
                }
                scan.tree.append(leafHash: MerkleHash.leaf(line))
            }
        }
        if let open {
            // Complete lines but no summary: the batch's single write was cut short by a crash.
            audit.warn("torn_batch", "entries #\(open.first)…#\(scan.tree.size - 1) are a batch without its summary, cut short by a crash; never signed, the worker publishes them again on its next start")
        }
        scan.complete = true
        return scan
    }

    /// A summary against its batch's wipe entries and the summary before it.
    static func checkSummary(_ summary: PeriodSummary, wipes: [WipeCommitment], previous: PeriodSummary?, place: String, audit: inout LedgerAudit) {
        if let other = wipes.first(where: { $0.period != summary.period }) {
            audit.fail("batch_malformed", "\(place) summarises period \(summary.period) but entry #\(other.sequence) of its batch is of \(other.period)")
        }
        // Wrapping arithmetic: the numbers come from a file that may be hostile; a lie disagrees anyway.
        guard summary.requests == wipes.count, summary.wipesVerified == wipes.filter(\.wipeVerified).count,
            summary.journalStart >= 0, summary.journalEnd &- summary.journalStart == summary.requests,
            summary.byOutcome.values.reduce(0, &+) == summary.requests, summary.lifetimeHistogram.reduce(0, &+) == summary.requests,
            summary.lifetimeHistogram.count == PeriodSummary.bucketBoundsMilliseconds.count + 1
        else {
            audit.fail("summary_mismatch", "\(place) counts \(summary.requests) requests (records #\(summary.journalStart)…#\(summary.journalEnd &- 1)) but its batch has \(wipes.count) entries, or its totals disagree with each other")
            return
        }
        guard let start = LedgerTime.milliseconds(summary.period), let end = LedgerTime.milliseconds(summary.periodEnd), start < end else {
            audit.fail("summary_mismatch", "\(place) has no valid period")
            return
        }
        if let previous {
            if summary.journalStart != previous.journalEnd {
                audit.fail("records_missing", "\(place) starts at record #\(summary.journalStart) but the previous batch ended at #\(previous.journalEnd): records were left out or counted twice")
            }
            if summary.period < previous.period, summary.clockStep == nil {
                audit.fail("time_backwards", "\(place) is of period \(summary.period), before the previous batch's \(previous.period), with no clock step recorded")
            }
        }
    }
}
