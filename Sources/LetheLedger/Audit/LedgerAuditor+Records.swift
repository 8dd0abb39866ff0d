import Foundation
import LetheTransparency

extension LedgerAuditor {
    /// Checks the private records and recomputes every published batch from them.
    /// - Returns: the records of each checked batch, keyed by the summary's sequence.
    static func checkRecords(_ layout: LedgerLayout, batches: [ScannedBatch], into audit: inout LedgerAudit) -> [Int: [DeletionRecord]] {
        let files = layout.segments()
        guard !files.isEmpty else {
            if audit.recordsPublished > 0 {
                audit.warn("records_absent", "the private records are not here: the \(audit.recordsPublished) published commitments were checked against their summaries only")
            }
            return [:]
        }
        audit.recordsPresent = true
        let first = files[0].firstIndex
        guard first >= 0 else {
            audit.fail("segment_name_invalid", "record segment file \(files[0].url.lastPathComponent) is not named after its first record")
            return [:]
        }
        audit.recordsRemoved = first

        var records: [(record: DeletionRecord, line: Data)] = []
        var previous: DeletionRecord?
        let decoder = JSONDecoder()
        for (position, (firstIndex, url)) in files.enumerated() {
            let name = url.lastPathComponent
            let expected = first + records.count
            guard firstIndex == expected else {
                audit.fail(firstIndex > expected ? "records_missing" : "segment_overlap",
                           "record segment \(name) starts at #\(firstIndex), expected #\(expected)")
                return [:]
            }
            let data = FileManager.default.contents(atPath: url.path) ?? Data()
            let lines = data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
            for (lineNumber, line) in lines.enumerated() {
                let isTail = lineNumber == lines.count - 1
                if isTail && line.isEmpty { break }
                let index = first + records.count
                let place = "record #\(index) (segments/\(name) line \(lineNumber + 1))"
                if isTail {
                    if position == files.count - 1 {
                        audit.warn("torn_tail", "\(line.count) bytes after \(index == first ? "the start" : "record #\(index - 1)") in segments/\(name) are an incomplete record from a crash; it was never acknowledged and the worker cuts it off on its next start")
                    } else {
                        audit.fail("segment_truncated", "\(place) is cut off: record segment \(name) ends inside a record")
                        return [:]
                    }
                    break
                }
                guard let record = try? decoder.decode(DeletionRecord.self, from: Data(line)), record.version == 2,
                    record.salt?.count == 32, let start = record.period.flatMap(LedgerTime.milliseconds),
                    let end = record.periodEnd.flatMap(LedgerTime.milliseconds), let wiped = LedgerTime.milliseconds(record.wipedAt)
                else {
                    audit.fail("entry_malformed", "\(place) is not a valid deletion record")
                    return [:]
                }
                guard (try? record.canonicalJSON()) == Data(line) else {
                    audit.fail("entry_not_canonical", "\(place) is not in canonical form: its bytes were edited")
                    return [:]
                }
                guard record.sequence == index else {
                    audit.fail("sequence_gap", "\(place) carries sequence \(record.sequence): records were removed, inserted or reordered")
                    return [:]
                }
                if !(start...end).contains(wiped) || wiped == end {
                    audit.fail("time_outside_period", "\(place) was wiped at \(record.wipedAt), outside its period \(record.period ?? "")…\(record.periodEnd ?? "")")
                }
                if record.clockStep == nil {
                    if let previous, record.wipedAt < previous.wipedAt {
                        audit.fail("time_backwards", "\(place) was wiped at \(record.wipedAt), before record #\(index - 1) (\(previous.wipedAt)), with no clock step recorded")
                    }
                    if record.receivedAt > record.wipedAt {
                        audit.fail("time_backwards", "\(place) was wiped at \(record.wipedAt), before it was received (\(record.receivedAt))")
                    }
                }
                if !record.wipeVerified { audit.fail("wipe_unverified", "\(place) records a wipe whose read-back verify failed") }
                records.append((record, Data(line)))
                previous = record
            }
        }
        audit.recordCount = first + records.count

        // Every published batch from its records: the same commitments, the same summary.
        var checked: [Int: [DeletionRecord]] = [:]
        for batch in batches {
            let summary = batch.summary
            let place = "the batch of \(summary.period) (entries #\(batch.first)…#\(summary.sequence))"
            guard summary.journalStart >= first, summary.journalStart <= summary.journalEnd else { continue }  // removed by retention, or refused above
            guard summary.journalEnd <= audit.recordCount else {
                audit.fail("records_missing", "\(place) stands for records #\(summary.journalStart)…#\(summary.journalEnd - 1) but only \(audit.recordCount) records exist")
                return checked
            }
            let mine = Array(records[(summary.journalStart - first)..<(summary.journalEnd - first)])
            // The log's checks made the batch as long as the range, without repeats.
            let published = Set(batch.wipes.map(\.commitment))
            if let stray = mine.first(where: { !published.contains(DeletionRecord.commitment(canonicalJSON: $0.line)) }) {
                audit.fail("commitment_mismatch", "record #\(stray.record.sequence)'s commitment is not among those of \(place): the record or the log was changed")
                continue
            }
            if let outside = mine.first(where: { $0.record.period != summary.period }) {
                audit.fail("time_outside_period", "record #\(outside.record.sequence) is of period \(outside.record.period ?? "-") but published in \(place)")
            }
            let recomputed = PeriodSummary(
                sequence: summary.sequence, period: summary.period, periodEnd: summary.periodEnd, journalStart: summary.journalStart,
                records: mine.map(\.record), refused: summary.refused, clockStep: summary.clockStep)
            if recomputed != summary {
                audit.fail("summary_mismatch", "the summary of \(place) (entry #\(summary.sequence)) differs from its records in \(differences(recomputed, summary).joined(separator: ", "))")
                continue
            }
            checked[summary.sequence] = mine.map(\.record)
            audit.recordsChecked += mine.count
        }
        if audit.recordCount > audit.recordsPublished {
            audit.warn("unpublished_records", "records #\(audit.recordsPublished)…#\(audit.recordCount - 1) are not published yet (the worker publishes them at the end of their period, or at its next start)")
        }
        return checked
    }

    /// The names of the fields in which two summaries differ.
    static func differences(_ a: PeriodSummary, _ b: PeriodSummary) -> [String] {
        var names: [String] = []
        if a.requests != b.requests { names.append("requests") }
        if a.wipesVerified != b.wipesVerified { names.append("wipes_verified") }
        if a.byOutcome != b.byOutcome { names.append("by_outcome") }
        if a.byErrorCode != b.byErrorCode { names.append("by_error_code") }
        if a.byKind != b.byKind { names.append("by_kind") }
        if a.bytesWiped != b.bytesWiped { names.append("bytes_wiped") }
        if a.buffersWiped != b.buffersWiped { names.append("buffers_wiped") }
        if a.plaintextLifetimeMaxMicroseconds != b.plaintextLifetimeMaxMicroseconds { names.append("plaintext_lifetime_max_us") }
        if a.plaintextLifetimeSumMicroseconds != b.plaintextLifetimeSumMicroseconds { names.append("plaintext_lifetime_sum_us") }
        if a.lifetimeHistogram != b.lifetimeHistogram { names.append("lifetime_histogram") }
        return names.isEmpty ? ["its other fields"] : names
    }
}
