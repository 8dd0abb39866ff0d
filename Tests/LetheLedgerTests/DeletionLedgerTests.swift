import Crypto
import Foundation
import LetheLedger
import LetheTransparency
import Testing

@Suite("DeletionLedger: records, group commit, refusals, clock")
struct DeletionLedgerTests {
    @Test("records are canonical JSON with sorted keys and no personal data fields; the commitment hashes those bytes")
    func canonical() throws {
        var record = TemporaryLedger.record(7)
        record.sequence = 7
        record.wipedAt = "2026-09-21T14:13:20.250Z"
        record.period = "2026-09-21T14:13:00.000Z"
        record.periodEnd = "2026-09-21T14:14:00.000Z"
        record.salt = "000102030405060708090a0b0c0d0e0f"
        let json = try record.canonicalJSON()
        #expect(String(decoding: json, as: UTF8.self) == #"{"buffers_wiped":2,"bytes_wiped":{"pixels":37,"request_body":10},"device_pseudonym":"abcd","kind":"skin","outcome":"ok","period":"2026-09-21T14:13:00.000Z","period_end":"2026-09-21T14:14:00.000Z","plaintext_lifetime_us":8000,"received_at":"2026-09-21T14:13:19.000Z","request_id":"00000000000000000000000000000007","salt":"000102030405060708090a0b0c0d0e0f","sequence":7,"version":2,"wipe_verified":true,"wiped_at":"2026-09-21T14:13:20.250Z"}"#)
        var hasher = SHA256()
        hasher.update(data: Data("lethe.commitment/v2\n".utf8))
        hasher.update(data: json)
        #expect(try record.commitment() == hasher.finalize().map { String(format: "%02x", $0) }.joined())
    }

    @Test("appends get consecutive sequence numbers, their period and a salt, and continue after reopening")
    func sequence() async throws {
        let ledger = TemporaryLedger()
        defer { ledger.remove() }
        do {
            let log = try ledger.open()
            let first = try await log.append(TemporaryLedger.record(0))
            #expect(first.sequence == 0 && first.wipedAt == "2026-09-21T14:13:20.000Z")
            #expect(first.period == "2026-09-21T14:13:00.000Z" && first.periodEnd == "2026-09-21T14:14:00.000Z")
            #expect(first.salt?.count == 32)
            ledger.clock.advance(seconds: 0.25)
            #expect(try await log.append(TemporaryLedger.record(1, errorCode: "image_corrupt")).sequence == 1)
        }
        let reopened = try ledger.open()
        #expect(await reopened.recordCount == 2)
        #expect(try await reopened.append(TemporaryLedger.record(2)).sequence == 2)
        let records = try DeletionLedger.readEntries(in: ledger.directory)
        #expect(records.map(\.sequence) == [0, 1, 2])
        #expect(records[1].outcome == "error" && records[1].errorCode == "image_corrupt" && records[1].wipedAt == "2026-09-21T14:13:20.250Z")
        #expect(Set(records.compactMap(\.salt)).count == 3)
    }

    @Test("an incomplete last record from a crash is cut off and earlier records survive")
    func crashRecovery() async throws {
        let ledger = TemporaryLedger()
        defer { ledger.remove() }
        do {
            try await ledger.open().append(TemporaryLedger.record(0))
        }
        let handle = try FileHandle(forWritingTo: ledger.layout.segmentFile(firstIndex: 0))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(#"{"buffers_wi"#.utf8))
        try handle.close()

        let reopened = try ledger.open()
        #expect(reopened.recoveredBytes == 12)
        #expect(try await reopened.append(TemporaryLedger.record(1)).sequence == 1)
        #expect(try DeletionLedger.readEntries(in: ledger.directory).count == 2)
    }

    @Test("concurrent appends share fsyncs (group commit), and every receipt's record is on disk before the receipt exists")
    func groupCommit() async throws {
        let ledger = TemporaryLedger()
        defer { ledger.remove() }
        let log = try ledger.open()
        let verifier = log.signer.verifier
        let count = 64
        let receipts = try await withThrowingTaskGroup(of: String.self) { group in
            for number in 0..<count {
                group.addTask { try await log.appendWithReceipt(TemporaryLedger.record(number)).receipt }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let syncs = await log.recordSyncCount
        print("group commit: \(count) concurrent appends, \(syncs) fsyncs")
        #expect(syncs >= 1 && syncs < count)
        let onDisk = Set(try ledger.recordLines())
        #expect(onDisk.count == count)
        for note in receipts {
            let receipt = try DeletionReceipt.open(note, verifier: verifier)
            #expect(onDisk.contains(receipt.recordJSON))
            #expect(DeletionRecord.commitment(canonicalJSON: receipt.recordJSON) == receipt.commitment)
        }
    }

    @Test("requests refused before any plaintext are counted in their period's summary, not written one by one")
    func refusalsAreCounted() async throws {
        let ledger = TemporaryLedger()
        defer { ledger.remove() }
        let log = try ledger.open()
        let recordsBefore = try FileManager.default.attributesOfItem(atPath: ledger.layout.segmentFile(firstIndex: 0).path)[.size] as? Int
        for _ in 0..<400 { await log.countRefusal(code: "unsupported_envelope_media_type") }
        for _ in 0..<3 { await log.countRefusal(code: "payload_too_large") }
        #expect(await log.recordSyncCount == 0)
        #expect(try FileManager.default.attributesOfItem(atPath: ledger.layout.segmentFile(firstIndex: 0).path)[.size] as? Int == recordsBefore)
        try await log.append(TemporaryLedger.record(0))
        ledger.clock.advance(seconds: 60)
        try #require(try await log.publish() != nil)

        let entries = try DeletionLedger.readLog(in: ledger.directory)
        #expect(entries.count == 2)
        guard case .summary(let summary) = entries.last else { Issue.record("the batch must end in its summary"); return }
        #expect(summary.refused == ["unsupported_envelope_media_type": 400, "payload_too_large": 3])
        #expect(summary.requests == 1 && summary.journalStart == 0 && summary.journalEnd == 1)
        let audit = LedgerAuditor.verify(ledger.directory, verifier: log.signer.verifier)
        #expect(audit.passed && audit.warnings.isEmpty, "\(audit.failures) \(audit.warnings)")
        #expect(audit.refusedCount == 403 && audit.recordsChecked == 1)
    }

    @Test("a forward jump of the wall clock does not freeze wiped_at: the jump and its correction are recorded and the audit accepts them")
    func clockJump() async throws {
        let ledger = TemporaryLedger()
        defer { ledger.remove() }
        let log = try ledger.open()
        let before = try await log.append(TemporaryLedger.record(0))
        // A wobble below the tolerance is absorbed: the stamp never goes backwards, no step.
        ledger.clock.advance(seconds: 0.5)
        ledger.clock.stepWall(seconds: -0.3)
        let wobble = try await log.append(TemporaryLedger.record(1))
        #expect(wobble.clockStep == nil && wobble.wipedAt >= before.wipedAt)

        // The wall clock leaps a year ahead…
        ledger.clock.advance(seconds: 1)
        ledger.clock.stepWall(seconds: 365 * 86_400)
        let ahead = try await log.append(TemporaryLedger.record(2))
        #expect(ahead.wipedAt.hasPrefix("2027-09-21"))
        #expect(ahead.clockStep?.to == ahead.wipedAt)
        // …and is corrected: the next record follows the corrected clock at once, recording the step.
        ledger.clock.advance(seconds: 1)
        ledger.clock.stepWall(seconds: -365 * 86_400)
        let corrected = try await log.append(TemporaryLedger.record(3))
        #expect(corrected.wipedAt.hasPrefix("2026-09-21T14:13:2"))
        #expect(corrected.clockStep?.from.hasPrefix("2027-09-21") == true)
        #expect(corrected.clockStep?.to == corrected.wipedAt)
        ledger.clock.advance(seconds: 1)
        let after = try await log.append(TemporaryLedger.record(4))
        #expect(after.clockStep == nil && after.wipedAt > corrected.wipedAt && after.wipedAt < ahead.wipedAt)
        #expect(await log.clockStepCount == 2)

        try await log.publish(closingOpenPeriod: true)
        let summaries = try DeletionLedger.readLog(in: ledger.directory).compactMap { entry -> PeriodSummary? in
            if case .summary(let summary) = entry { summary } else { nil }
        }
        try #require(summaries.map(\.requests) == [2, 1, 2])
        #expect(summaries[1].clockStep == ahead.clockStep && summaries[2].clockStep == corrected.clockStep)
        let audit = LedgerAuditor.verify(ledger.directory, verifier: log.signer.verifier)
        #expect(audit.passed && audit.warnings.isEmpty, "\(audit.failures) \(audit.warnings)")

        // The same history without the recorded step is refused.
        // (Each change of UTC day started a segment: records 0–1, 2, then 3–4.)
        #expect(ledger.layout.segments().map(\.firstIndex) == [0, 2, 3])
        var lines = try ledger.recordLines(3)
        var unexplained = try JSONDecoder().decode(DeletionRecord.self, from: lines[0])
        unexplained.clockStep = nil
        lines[0] = try unexplained.canonicalJSON()
        try ledger.writeRecords(lines, firstIndex: 3)
        let refused = LedgerAuditor.verify(ledger.directory, verifier: log.signer.verifier)
        #expect(refused.failures.contains { $0.code == "time_backwards" && $0.message.hasPrefix("record #3 ") })
    }

    @Test("a wall clock behind the newest record at start is recorded as a step")
    func clockBehindAtRestart() async throws {
        let ledger = TemporaryLedger()
        defer { ledger.remove() }
        do {
            try await ledger.open().append(TemporaryLedger.record(0))
        }
        ledger.clock.stepWall(seconds: -3600)
        let log = try ledger.open()
        let record = try await log.append(TemporaryLedger.record(1))
        #expect(record.clockStep == ClockStep(from: "2026-09-21T14:13:20.000Z", to: "2026-09-21T13:13:20.000Z"))
        try await log.publish(closingOpenPeriod: true)
        #expect(LedgerAuditor.verify(ledger.directory, verifier: log.signer.verifier).passed)
    }

    @Test("files are private to the worker")
    func permissions() async throws {
        let ledger = TemporaryLedger()
        defer { ledger.remove() }
        let log = try ledger.open()
        try await log.append(TemporaryLedger.record(0))
        try await log.publish(closingOpenPeriod: true)
        for name in ["segments/00000000000000000000.jsonl", "log/00000000000000000000.jsonl", "checkpoints/00000000000000000002", "pseudonym.key", "ledger-signing.key"] {
            let attributes = try FileManager.default.attributesOfItem(atPath: ledger.directory.appendingPathComponent(name).path)
            #expect((attributes[.posixPermissions] as? Int) == 0o600, "\(name)")
        }
    }

    @Test("pseudonyms are stable per key and day, differ between devices, keys and days")
    func pseudonyms() throws {
        let directory = URL(fileURLWithPath: "/tmp").appendingPathComponent("lethe-ledger-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let first = try DevicePseudonymizer.loadOrCreate(in: directory)
        let again = try DevicePseudonymizer.loadOrCreate(in: directory)
        let other = DevicePseudonymizer(key: .init(size: .bits256))
        let monday = Date(timeIntervalSince1970: 1_790_000_000)
        let mondayEvening = monday.addingTimeInterval(3600)
        let tuesday = monday.addingTimeInterval(86_400)
        #expect(first.pseudonym(for: "camera-7", on: monday) == again.pseudonym(for: "camera-7", on: mondayEvening))
        #expect(first.pseudonym(for: "camera-7", on: monday) != first.pseudonym(for: "camera-8", on: monday))
        #expect(first.pseudonym(for: "camera-7", on: monday) != other.pseudonym(for: "camera-7", on: monday))
        #expect(first.pseudonym(for: "camera-7", on: monday) != first.pseudonym(for: "camera-7", on: tuesday))
        #expect(first.pseudonym(for: "camera-7", on: monday).count == 32)
        #expect(!first.pseudonym(for: "camera-7", on: monday).contains("camera"))
    }
}
