import Crypto
import Foundation
import LetheLedger
import LetheTransparency
import Testing

/// Each kind of tampering is detected by `LedgerAuditor.verify` with a precise finding.
@Suite("Tamper detection")
struct TamperTests {
    /// 12 records in three batches: log entries 0…14 (summaries at 4, 9, 14), checkpoints at 5, 10 and 15.
    func prepared() async throws -> (TemporaryLedger, NoteVerifier) {
        let ledger = TemporaryLedger()
        let verifier = try await ledger.fill(12)
        let audit = LedgerAuditor.verify(ledger.directory, verifier: verifier)
        #expect(audit.passed && audit.warnings.isEmpty, "untampered ledger must verify: \(audit.failures)")
        return (ledger, verifier)
    }

    /// Replaces a JSON value in a log line, keeping it canonical.
    func edit(_ line: Data, _ from: String, _ to: String) -> Data {
        Data(String(decoding: line, as: UTF8.self).replacingOccurrences(of: from, with: to).utf8)
    }

    @Test("an edited summary is pinned to the checkpoint interval holding it, and (with the records) to the field that lies")
    func editedSummary() async throws {
        let (ledger, verifier) = try await prepared()
        defer { ledger.remove() }
        var lines = try ledger.logLines()
        // The second batch's summary claims one buffer more.
        lines[9] = edit(lines[9], #""buffers_wiped":8"#, #""buffers_wiped":9"#)
        try ledger.writeLog(lines)
        let audit = LedgerAuditor.verify(ledger.directory, verifier: verifier)
        #expect(audit.failures.map(\.code) == ["summary_mismatch", "entries_changed"])
        #expect(audit.failures.first?.message.contains("buffers_wiped") == true)
        #expect(audit.failures.last?.message.contains("checkpoint 00000000000000000010") == true)
        #expect(audit.failures.last?.message.contains("entries #5…#9") == true)
        // A third party without the private records still finds it through the checkpoint.
        try FileManager.default.removeItem(at: ledger.layout.segmentsDirectory)
        let public_ = LedgerAuditor.verify(ledger.directory, verifier: verifier)
        #expect(public_.failures.map(\.code) == ["entries_changed"])
    }

    @Test("a flipped byte that breaks the canonical form names the entry")
    func flippedSyntax() async throws {
        let (ledger, verifier) = try await prepared()
        defer { ledger.remove() }
        var lines = try ledger.logLines()
        lines[6][0] = UInt8(ascii: "[")
        try ledger.writeLog(lines)
        let audit = LedgerAuditor.verify(ledger.directory, verifier: verifier)
        #expect(audit.failures.first?.code == "entry_malformed")
        #expect(audit.failures.first?.message.hasPrefix("entry #6 ") == true)
    }

    @Test("a deleted entry is a sequence gap at its place")
    func deleted() async throws {
        let (ledger, verifier) = try await prepared()
        defer { ledger.remove() }
        var lines = try ledger.logLines()
        lines.remove(at: 3)
        try ledger.writeLog(lines)
        let audit = LedgerAuditor.verify(ledger.directory, verifier: verifier)
        #expect(audit.failures.first == LedgerAudit.Finding(code: "sequence_gap", message: "entry #3 (00000000000000000000.jsonl line 4) carries sequence 4: entries were removed, inserted or reordered"))
    }

    @Test("two swapped entries are named; re-numbered and re-signed, the order betrays them")
    func swapped() async throws {
        let (ledger, verifier) = try await prepared()
        defer { ledger.remove() }
        var lines = try ledger.logLines()
        lines.swapAt(6, 7)
        try ledger.writeLog(lines)
        let audit = LedgerAuditor.verify(ledger.directory, verifier: verifier)
        #expect(audit.failures.first?.code == "sequence_gap")
        #expect(audit.failures.first?.message.hasPrefix("entry #6 ") == true)
        #expect(audit.failures.first?.message.contains("carries sequence 7") == true)

        // A worker that numbers the swapped entries anew and signs them: the batch is no longer
        // in commitment order, an order that could follow arrival.
        lines[6] = edit(lines[6], #""sequence":7"#, #""sequence":6"#)
        lines[7] = edit(lines[7], #""sequence":6"#, #""sequence":7"#)
        try ledger.writeLog(lines)
        let signer = try NoteSigner(privateKeyString: String(contentsOf: ledger.layout.signingKeyFile, encoding: .utf8))
        try Checkpoint(origin: signer.name, size: 15, rootHash: MerkleTree(leafHashes: lines.map { MerkleHash.leaf($0) }).root())
            .signed(by: signer).write(to: ledger.layout.checkpointFile(size: 15), atomically: true, encoding: .utf8)
        let resigned = LedgerAuditor.verify(ledger.directory, verifier: verifier)
        #expect(resigned.failures.first?.code == "batch_order")
        #expect(resigned.failures.first?.message.hasPrefix("entry #7 ") == true)
    }

    @Test("a segment truncated in the middle loses signed entries, which the checkpoint proves")
    func truncated() async throws {
        let (ledger, verifier) = try await prepared()
        defer { ledger.remove() }
        let file = ledger.layout.logFile(firstIndex: 0)
        let data = try Data(contentsOf: file)
        try data.prefix(data.count / 2).write(to: file)
        let audit = LedgerAuditor.verify(ledger.directory, verifier: verifier)
        #expect(audit.failures.first?.code == "entries_missing")
        #expect(audit.failures.first?.message.contains("checkpoint 00000000000000000010 covers 10 entries") == true)
    }

    @Test("a truncated log segment that is not the last one is named")
    func truncatedMiddleSegment() async throws {
        let ledger = TemporaryLedger()
        defer { ledger.remove() }
        let verifier = try await ledger.fill(12, configuration: ledger.configuration { $0.maxSegmentBytes = 1200 })
        let second = ledger.layout.logSegments()[1]
        let data = try Data(contentsOf: second.url)
        try data.prefix(data.count - 40).write(to: second.url)
        let audit = LedgerAuditor.verify(ledger.directory, verifier: verifier)
        #expect(audit.failures.first?.code == "segment_truncated")
        #expect(audit.failures.first?.message.contains(second.url.lastPathComponent) == true)
    }

    @Test("a checkpoint re-signed with another key is refused")
    func resigned() async throws {
        let (ledger, verifier) = try await prepared()
        defer { ledger.remove() }
        let file = ledger.layout.checkpointFile(size: 10)
        let original = try Checkpoint(body: SignedNote.parse(String(contentsOf: file, encoding: .utf8)).text)
        let impostor = try NoteSigner.generate(name: verifier.name)
        try original.signed(by: impostor).write(to: file, atomically: true, encoding: .utf8)
        let audit = LedgerAuditor.verify(ledger.directory, verifier: verifier)
        #expect(audit.failures.first?.code == "note_unsigned")
        #expect(audit.failures.first?.message.hasPrefix("checkpoint 00000000000000000010: not signed by \(verifier.name)") == true)
    }

    @Test("a validly signed checkpoint inconsistent with the others is named as a fork")
    func inconsistent() async throws {
        let (ledger, _) = try await prepared()
        defer { ledger.remove() }
        let log = try ledger.open()
        // The key holder signs a checkpoint of size 10 over a different history.
        var forkedLeaves = try ledger.logLines().prefix(10).map { MerkleHash.leaf($0) }
        forkedLeaves[6] = MerkleHash.leaf(Data("rewritten".utf8))
        let forked = Checkpoint(origin: log.origin, size: 10, rootHash: MerkleTree(leafHashes: forkedLeaves).root())
        try forked.signed(by: log.signer).write(to: ledger.layout.checkpointFile(size: 10), atomically: true, encoding: .utf8)
        let audit = LedgerAuditor.verify(ledger.directory, verifier: log.signer.verifier)
        #expect(audit.failures.first?.code == "checkpoint_inconsistent")
        #expect(audit.failures.first?.message.hasPrefix("checkpoint 00000000000000000010 is inconsistent with checkpoint 00000000000000000005 and checkpoint 00000000000000000015") == true)
    }

    @Test("records that disagree with their commitments, an unverified wipe and time going backwards are failures")
    func records() async throws {
        let (ledger, verifier) = try await prepared()
        defer { ledger.remove() }
        let original = try ledger.recordLines()

        // A record's bytes edited after publication (still canonical): its commitment is not in the batch.
        var lines = original
        var edited = try JSONDecoder().decode(DeletionRecord.self, from: lines[5])
        edited.bytesWiped["pixels"] = 1
        lines[5] = try edited.canonicalJSON()
        try ledger.writeRecords(lines)
        var audit = LedgerAuditor.verify(ledger.directory, verifier: verifier)
        #expect(audit.failures.map(\.code) == ["commitment_mismatch"])
        #expect(audit.failures.first?.message.hasPrefix("record #5's commitment is not among those of the batch of 2026-09-21T14:13:00.000Z (entries #5…#9)") == true)

        // A removed record: the sequence names it.
        lines = original
        lines.remove(at: 2)
        try ledger.writeRecords(lines)
        audit = LedgerAuditor.verify(ledger.directory, verifier: verifier)
        #expect(audit.failures.first?.code == "sequence_gap")
        #expect(audit.failures.first?.message.hasPrefix("record #2 ") == true)

        // A record whose time goes backwards with no clock step, and one whose wipe failed.
        lines = original
        var early = try JSONDecoder().decode(DeletionRecord.self, from: lines[7])
        early.wipedAt = "2026-09-21T14:13:21.000Z"
        lines[7] = try early.canonicalJSON()
        var unverified = try JSONDecoder().decode(DeletionRecord.self, from: lines[10])
        unverified.wipeVerified = false
        lines[10] = try unverified.canonicalJSON()
        try ledger.writeRecords(lines)
        audit = LedgerAuditor.verify(ledger.directory, verifier: verifier)
        #expect(Array(audit.failures.map(\.code).prefix(2)) == ["time_backwards", "wipe_unverified"])
        #expect(audit.failures.first?.message.hasPrefix("record #7 ") == true)
    }

    @Test("numbers at the edge of Int in the files are findings, never a trap of the auditor or the report")
    func hostileNumbers() async throws {
        let (ledger, verifier) = try await prepared()
        defer { ledger.remove() }
        var lines = try ledger.logLines()
        lines[4] = edit(lines[4], #""refused":{}"#, #""refused":{"a":9223372036854775807,"b":9223372036854775807}"#)
        lines[9] = edit(lines[9], #""journal_end":8"#, #""journal_end":-9223372036854775808"#)
        try ledger.writeLog(lines)
        var records = try ledger.recordLines()
        var huge = try JSONDecoder().decode(DeletionRecord.self, from: records[1])
        huge.bytesWiped = ["pixels": Int.max, "request_body": Int.max]
        huge.plaintextLifetimeMicroseconds = Int.max
        records[1] = try huge.canonicalJSON()
        try ledger.writeRecords(records)
        let audit = LedgerAuditor.verify(ledger.directory, verifier: verifier)
        #expect(!audit.passed)
        #expect(audit.failures.contains { $0.code == "summary_mismatch" })
        let report = LedgerReport.make(directories: [ledger.directory], verifiers: [verifier], since: nil, until: nil)
        #expect(report.replicas.first?.verified == false)
    }

    @Test("a public entry standing for an unverified wipe fails even when the worker signed it")
    func unverifiedEntry() async throws {
        let ledger = TemporaryLedger()
        defer { ledger.remove() }
        let log = try ledger.open()
        var record = TemporaryLedger.record(0)
        record.wipeVerified = false
        try await log.append(record)
        try await log.publish(closingOpenPeriod: true)
        let audit = LedgerAuditor.verify(ledger.directory, verifier: log.signer.verifier)
        #expect(audit.failures.map(\.code) == ["wipe_unverified", "wipe_unverified"])
        #expect(audit.failures.first?.message.hasPrefix("entry #0 ") == true)
        #expect(audit.failures.last?.message.hasPrefix("record #0 ") == true)
    }
}
