import Crypto
import Foundation
import LetheLedger
import LetheMemory
import LetheTestSupport
import LetheTransparency
import Testing

@Suite("Transparency ledger: publication, checkpoints, receipts, segments, retention, recovery")
struct TransparencyLedgerTests {
    @Test("a filled ledger verifies; checkpoints match the recomputed roots; records not yet published are a warning")
    func verifies() async throws {
        let ledger = TemporaryLedger()
        defer { ledger.remove() }
        let verifier = try await ledger.fill(10)
        let audit = LedgerAuditor.verify(ledger.directory, verifier: verifier)
        #expect(audit.passed, "\(audit.failures)")
        // Two batches of four commitments and a summary; records 8 and 9 wait for their period's end.
        #expect(audit.entryCount == 10 && audit.checkpointCount == 2 && audit.checkpointedSize == 10)
        #expect(audit.recordCount == 10 && audit.recordsChecked == 8 && audit.checkpointedRecords == 8 && audit.periodCount == 2)
        #expect(audit.warnings.map(\.code) == ["unpublished_records"])
        let note = try String(contentsOf: ledger.layout.checkpointFile(size: 10), encoding: .utf8)
        let checkpoint = try Checkpoint.open(note, verifier: verifier)
        #expect(checkpoint.rootHash == MerkleTree(leafHashes: try ledger.logLines().map { MerkleHash.leaf($0) }).root())
    }

    @Test("a batch's public entries are alike but for commitment and place, sorted by commitment, closed by a summary of its totals")
    func batchShape() async throws {
        let ledger = TemporaryLedger()
        defer { ledger.remove() }
        try await ledger.fill(6, publishEvery: 6)
        let entries = try DeletionLedger.readLog(in: ledger.directory)
        let wipes = entries.compactMap { entry -> WipeCommitment? in if case .wipe(let wipe) = entry { wipe } else { nil } }
        #expect(wipes.count == 6)
        #expect(wipes.map(\.commitment) == wipes.map(\.commitment).sorted())
        #expect(Set(wipes.map(\.period)).count == 1 && wipes.allSatisfy(\.wipeVerified))
        let records = try DeletionLedger.readEntries(in: ledger.directory)
        #expect(Set(try records.map { try $0.commitment() }) == Set(wipes.map(\.commitment)))
        guard case .summary(let summary) = entries.last else { Issue.record("no summary"); return }
        #expect(summary.requests == 6 && summary.wipesVerified == 6 && summary.byKind == ["skin": 6])
        #expect(summary.bytesWiped == ["pixels": (0..<6).map { 30 + $0 }.reduce(0, +), "request_body": 60])
        #expect(summary.plaintextLifetimeMaxMicroseconds == 6000 && summary.plaintextLifetimeSumMicroseconds == 21_000)
        #expect(summary.lifetimeHistogram.reduce(0, +) == 6)
        // The public lines carry no request id, pseudonym, time or size of a request.
        let text = String(decoding: Data(try ledger.logLines().joined(separator: [0x0A])), as: UTF8.self)
        for record in records {
            #expect(!text.contains(record.requestID) && !text.contains(record.wipedAt) && !text.contains(record.salt ?? "-"))
        }
        #expect(!text.contains("device") && !text.contains("received_at") && !text.contains("wiped_at"))
    }

    @Test("with checkpoint entries N a batch is published as soon as it holds N records")
    func earlyBatches() async throws {
        let ledger = TemporaryLedger()
        defer { ledger.remove() }
        let log = try ledger.open(ledger.configuration { $0.checkpointEveryEntries = 2 })
        for number in 0..<5 { try await log.append(TemporaryLedger.record(number)) }
        try await log.publish()
        #expect(await log.publishedRecordCount == 4)
        #expect(await log.batches(period: "2026-09-21T14:13:00.000Z") == [PublishedBatch(first: 0, summary: 2), PublishedBatch(first: 3, summary: 5)])
    }

    @Test("the signing key persists (0600), names the origin, and the reopened log continues the same tree")
    func reopen() async throws {
        let ledger = TemporaryLedger()
        defer { ledger.remove() }
        let configuration = ledger.configuration { $0.origin = "lethe.test/replica-1" }
        let first = try await ledger.fill(5, configuration: configuration)
        #expect(first.name == "lethe.test/replica-1")
        let reopened = try ledger.open()
        #expect(reopened.signer.verifier == first)
        #expect(await reopened.recordCount == 5)
        #expect(reopened.origin == "lethe.test/replica-1")
        let (entry, _) = try await reopened.appendWithReceipt(TemporaryLedger.record(99))
        #expect(entry.sequence == 5)
        try await reopened.publish(closingOpenPeriod: true)
        #expect(LedgerAuditor.verify(ledger.directory, verifier: first).passed)
        let attributes = try FileManager.default.attributesOfItem(atPath: ledger.layout.signingKeyFile.path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        #expect(throws: LetheError.self) { try ledger.open(ledger.configuration { $0.origin = "lethe.test/another" }) }
    }

    @Test("a receipt verifies, its record opens its commitment, and the commitment is provably in a checkpoint")
    func receiptInclusion() async throws {
        let ledger = TemporaryLedger()
        defer { ledger.remove() }
        let log = try ledger.open()
        var receipts: [String] = []
        for number in 0..<7 {
            receipts.append(try await log.appendWithReceipt(TemporaryLedger.record(number)).receipt)
        }
        let checkpoint = try #require(try await log.publish(closingOpenPeriod: true))
        let verifier = try NoteVerifier(verifierKey: log.verifierKey)
        let lines = try ledger.logLines()
        for note in receipts {
            let receipt = try DeletionReceipt.open(note, verifier: verifier)
            #expect(receipt.wipeVerified && receipt.bytesWiped == 40 + receipt.record.sequence)
            #expect(receipt.period == "2026-09-21T14:13:00.000Z")
            let batch = try #require(await log.batches(period: receipt.period).first)
            let index = try #require((batch.first..<batch.summary).first { index in
                (try? receipt.expectedEntry(sequence: index)) == lines[index]
            })
            let proof = try await log.inclusionProof(index: index, size: checkpoint.size)
            #expect(MerkleProof.verifyInclusion(index: index, size: checkpoint.size, leafHash: MerkleHash.leaf(lines[index]), proof: proof, root: checkpoint.rootHash))
        }
        // A receipt signed by someone else is refused; so is one whose record does not open its commitment.
        let genuine = try DeletionReceipt.open(receipts[0], verifier: verifier)
        let impostor = try NoteSigner.generate(name: verifier.name)
        #expect(throws: LetheError.self) { try DeletionReceipt.open(try genuine.signed(by: impostor), verifier: verifier) }
        var edited = genuine.record
        edited.bytesWiped["pixels"] = 1
        var forged = genuine
        forged.recordJSON = try edited.canonicalJSON()
        #expect(throws: LetheError.self) { try DeletionReceipt.open(try forged.signed(by: log.signer), verifier: verifier) }
    }

    @Test("torn tails are cut off on reopen, reported by verify before that, and the tree continues")
    func tornTail() async throws {
        let ledger = TemporaryLedger()
        defer { ledger.remove() }
        let verifier = try await ledger.fill(4)
        for file in [ledger.layout.logFile(firstIndex: 0), ledger.layout.segmentFile(firstIndex: 0)] {
            let handle = try FileHandle(forWritingTo: file)
            try handle.seekToEnd()
            try handle.write(contentsOf: Data(#"{"buffers_wiped":2,"bytes_wi"#.utf8))
            try handle.close()
        }
        let torn = LedgerAuditor.verify(ledger.directory, verifier: verifier)
        #expect(torn.passed, "\(torn.failures)")
        #expect(torn.warnings.map(\.code) == ["torn_tail", "torn_tail"])
        #expect(torn.warnings.first?.message.contains("after entry #4") == true)
        let reopened = try ledger.open()
        #expect(reopened.recoveredBytes == 56)
        try await reopened.append(TemporaryLedger.record(4))
        try await reopened.publish(closingOpenPeriod: true)
        let audit = LedgerAuditor.verify(ledger.directory, verifier: verifier)
        #expect(audit.passed && audit.warnings.isEmpty && audit.entryCount == 7 && audit.recordCount == 5, "\(audit.warnings)")
    }

    @Test("a batch cut short in the log is reported, dropped on reopen and published again from the records")
    func tornBatch() async throws {
        let ledger = TemporaryLedger()
        defer { ledger.remove() }
        let verifier = try await ledger.fill(8)
        let complete = try ledger.logLines()
        #expect(complete.count == 10)
        // The second batch lost its summary and one commitment: complete lines, no checkpoint covers them.
        try ledger.writeLog(Array(complete.prefix(8)))
        try FileManager.default.removeItem(at: ledger.layout.checkpointFile(size: 10))
        let torn = LedgerAuditor.verify(ledger.directory, verifier: verifier)
        #expect(torn.passed, "\(torn.failures)")
        #expect(torn.warnings.map(\.code).contains("torn_batch"))
        let reopened = try ledger.open()
        #expect(await reopened.logSize == 5)
        #expect(reopened.recoveredBytes == 0)
        try await reopened.publish()
        #expect(try ledger.logLines() == complete)
        let audit = LedgerAuditor.verify(ledger.directory, verifier: verifier)
        #expect(audit.passed && audit.warnings.isEmpty, "\(audit.failures) \(audit.warnings)")
    }

    @Test("version-1 ledgers (public per-request entries) move into the log and keep verifying; new records follow")
    func versionOneMigration() async throws {
        for legacyFile in [true, false] {
            let ledger = TemporaryLedger()
            defer { ledger.remove() }
            try FileManager.default.createDirectory(at: ledger.layout.segmentsDirectory, withIntermediateDirectories: true)
            var lines: [Data] = []
            for number in 0..<3 {
                // The exact bytes a version-1 worker wrote.
                let text = #"{"buffers_wiped":2,"bytes_wiped":{"pixels":30},"device_pseudonym":"abcd","kind":"skin","outcome":"ok","plaintext_lifetime_us":1000,"received_at":"2026-09-21T14:13:1\#(number).000Z","request_id":"\#(String(format: "%032x", number))","sequence":\#(number),"version":1,"wipe_verified":true,"wiped_at":"2026-09-21T14:13:1\#(number).500Z"}"#
                lines.append(Data(text.utf8))
            }
            let bytes = Data(lines.map { $0 + Data([0x0A]) }.joined())
            try bytes.write(to: legacyFile ? ledger.layout.legacyEntriesFile : ledger.layout.segmentFile(firstIndex: 0))
            let signer = try NoteSigner.generate(name: "lethe.test/v1")
            try Data((signer.privateKeyString + "\n").utf8).write(to: ledger.layout.signingKeyFile)
            try FileManager.default.createDirectory(at: ledger.layout.checkpointsDirectory, withIntermediateDirectories: true)
            try Checkpoint(origin: signer.name, size: 3, rootHash: MerkleTree(leafHashes: lines.map { MerkleHash.leaf($0) }).root())
                .signed(by: signer).write(to: ledger.layout.checkpointFile(size: 3), atomically: true, encoding: .utf8)
            #expect(LedgerAuditor.verify(ledger.directory, verifier: signer.verifier).passed, "a version-1 ledger verifies before migration")

            let log = try ledger.open()
            #expect(try Data(contentsOf: ledger.layout.logFile(firstIndex: 0)) == bytes)
            #expect(!FileManager.default.fileExists(atPath: ledger.layout.legacyEntriesFile.path))
            #expect(await log.logSize == 3)
            #expect(await log.recordCount == 0)
            try await log.append(TemporaryLedger.record(0))
            try await log.publish(closingOpenPeriod: true)
            let audit = LedgerAuditor.verify(ledger.directory, verifier: signer.verifier)
            #expect(audit.passed && audit.warnings.isEmpty && audit.entryCount == 5, "\(audit.failures) \(audit.warnings)")
        }
    }

    @Test("segments roll by size and by UTC day; records and log stay contiguous and verify")
    func segments() async throws {
        let ledger = TemporaryLedger()
        defer { ledger.remove() }
        let log = try ledger.open(ledger.configuration { $0.maxSegmentBytes = 1500 })
        for number in 0..<12 {
            // Records 0…9 on one day, 10 and 11 on the next.
            if number == 10 { ledger.clock.advance(seconds: 86_400) }
            try await log.append(TemporaryLedger.record(number))
            ledger.clock.advance(seconds: 1)
            if number % 3 == 2 { try await log.publish(closingOpenPeriod: true) }
        }
        let recordStarts = ledger.layout.segments().map(\.firstIndex)
        #expect(recordStarts.count >= 3 && recordStarts.first == 0 && recordStarts.contains(10))
        #expect(ledger.layout.logSegments().count >= 2)
        #expect(try DeletionLedger.readEntries(in: ledger.directory).map(\.sequence) == Array(0..<12))
        let audit = LedgerAuditor.verify(ledger.directory, verifier: log.signer.verifier)
        #expect(audit.passed && audit.warnings.isEmpty, "\(audit.failures) \(audit.warnings)")
    }

    @Test("retention removes old records, log segments and checkpoints, keeps what proves consistency across the cut, and the tree continues")
    func retention() async throws {
        let ledger = TemporaryLedger()
        defer { ledger.remove() }
        let configuration = ledger.configuration {
            $0.maxSegmentBytes = 1200
            $0.retentionDays = 0
        }
        let log = try ledger.open(configuration)
        for number in 0..<20 {
            try await log.append(TemporaryLedger.record(number))
            ledger.clock.advance(seconds: 1)
            if number % 5 == 4 { try await log.publish(closingOpenPeriod: true) }
        }
        let logBefore = ledger.layout.logSegments()
        let recordsBefore = ledger.layout.segments()
        #expect(logBefore.count >= 3 && recordsBefore.count >= 3)
        #expect(ledger.layout.checkpoints().count == 4)
        let size = await log.logSize
        let rootBefore = try await log.rootHash(size: size)

        var retained = configuration
        retained.retentionDays = 183
        let reopened = try ledger.open(retained)
        // Two years later everything but the open segments is past retention.
        let removed = try await reopened.applyRetention(now: Date(timeIntervalSince1970: 1_790_000_000 + 2 * 365 * 86_400))
        #expect(removed == logBefore.last!.firstIndex)
        #expect(ledger.layout.logSegments().map(\.firstIndex) == [logBefore.last!.firstIndex])
        #expect(ledger.layout.segments().map(\.firstIndex) == [recordsBefore.last!.firstIndex])
        // Checkpoints of removed entries only are gone; their proofs to the latest one are kept.
        #expect(ledger.layout.checkpoints().allSatisfy { $0.size >= removed })
        #expect(ledger.layout.checkpoints().map(\.size).contains(size))
        let pruned = try JSONDecoder().decode(PrunedPrefix.self, from: Data(contentsOf: ledger.layout.prunedFile))
        #expect(pruned.size == removed && !pruned.consistencyProofs.isEmpty)

        let verifier = log.signer.verifier
        let audit = LedgerAuditor.verify(ledger.directory, verifier: verifier)
        #expect(audit.passed, "\(audit.failures)")
        #expect(audit.removedCount == removed && audit.recordsRemoved == recordsBefore.last!.firstIndex && audit.recordCount == 20)

        let again = try ledger.open(retained)
        #expect(try await again.rootHash(size: size) == rootBefore)
        try await again.append(TemporaryLedger.record(20))
        try await again.publish(closingOpenPeriod: true)
        #expect(LedgerAuditor.verify(ledger.directory, verifier: verifier).passed)
    }

    @Test("docs/verify_ledger.py, written from docs/ledger.md alone, verifies what the worker wrote and finds tampering")
    func independentVerifier() async throws {
        let ledger = TemporaryLedger()
        defer { ledger.remove() }
        let verifier = try await ledger.fill(8)
        let log = try ledger.open()
        for _ in 0..<3 { await log.countRefusal(code: "payload_too_large") }
        // A logged OHTTP key configuration (§17) between two batches.
        let keyEntry = try await log.logKeyConfigs([Data([1, 0, 0x20]) + Data(repeating: 7, count: 32) + Data([0, 4, 0, 1, 0, 1])])
        try await log.append(TemporaryLedger.record(8))
        try await log.publish(closingOpenPeriod: true)
        #expect(keyEntry.count == 1)
        let script = Repository.root.appendingPathComponent("docs/verify_ledger.py").path
        func run() async throws -> (Int32, String) {
            let run = try await Program.run("python3", [script, ledger.directory.path, verifier.verifierKey])
            return (run.status, run.output)
        }
        let (status, output) = try await run()
        #expect(status == 0, "\(output)")
        #expect(output.contains("3 periods, 3 refused before any plaintext, 9 records recomputed, 4 checkpoints verified, 1 key configurations logged"), "\(output)")

        // A record edited after publication.
        let records = try ledger.recordLines()
        var edited = try JSONDecoder().decode(DeletionRecord.self, from: records[2])
        edited.plaintextLifetimeMicroseconds = 1
        try ledger.writeRecords(records.enumerated().map { $0.offset == 2 ? try edited.canonicalJSON() : $0.element })
        let (editedStatus, editedOutput) = try await run()
        #expect(editedStatus == 1 && editedOutput.contains("commitments differ from its records"), "\(editedOutput)")

        // The public log alone verifies; two commitments swapped do not.
        try FileManager.default.removeItem(at: ledger.layout.segmentsDirectory)
        #expect(try await run().0 == 0)
        var lines = try ledger.logLines()
        lines.swapAt(1, 2)
        try ledger.writeLog(lines)
        let (swappedStatus, swappedOutput) = try await run()
        #expect(swappedStatus == 1 && swappedOutput.contains("carries sequence"), "\(swappedOutput)")
    }

    @Test("tiles and entry bundles follow C2SP tlog-tiles and rebuild the checkpoint's root")
    func tiles() async throws {
        let ledger = TemporaryLedger()
        defer { ledger.remove() }
        let log = try ledger.open()
        for number in 0..<299 { try await log.append(TemporaryLedger.record(number)) }
        let checkpoint = try #require(try await log.publish(closingOpenPeriod: true))
        #expect(checkpoint.size == 300)
        let full = try #require(await log.tile(TilePath(level: 0, index: 0)))
        let partial = try #require(await log.tile(TilePath(level: 0, index: 1, width: 44)))
        #expect(full.count == 256 * 32 && partial.count == 44 * 32)
        #expect(await log.tile(TilePath(level: 0, index: 1, width: 45)) == nil)
        let firstSubtree = MerkleTree(leafHashes: stride(from: 0, to: full.count, by: 32).map { Data(full[$0..<$0 + 32]) }).root()
        #expect(await log.tile(TilePath(level: 1, index: 0, width: 1)) == firstSubtree)
        let hashes = stride(from: 0, to: full.count, by: 32).map { Data(full[$0..<$0 + 32]) } + stride(from: 0, to: partial.count, by: 32).map { Data(partial[$0..<$0 + 32]) }
        #expect(MerkleTree(leafHashes: hashes).root() == checkpoint.rootHash)
        let bundle = try #require(await log.tile(TilePath(level: nil, index: 1, width: 44)))
        var offset = 0
        var entries: [Data] = []
        while offset < bundle.count {
            let length = Int(bundle[offset]) << 8 | Int(bundle[offset + 1])
            entries.append(bundle[(offset + 2)..<(offset + 2 + length)])
            offset += 2 + length
        }
        #expect(entries.count == 44)
        #expect(entries.map { MerkleHash.leaf($0) } == Array(hashes[256...]))
    }
}
