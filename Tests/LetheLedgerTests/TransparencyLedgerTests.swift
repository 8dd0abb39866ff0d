import Crypto
import Foundation
import LetheLedger
import LetheMemory
import Testing

@Suite("Transparency ledger: checkpoints, receipts, segments, retention, recovery")
struct TransparencyLedgerTests {
    @Test("a filled ledger verifies; checkpoints match the recomputed roots")
    func verifies() async throws {
        let ledger = TemporaryLedger()
        defer { ledger.remove() }
        let verifier = try await ledger.fill(10)
        let audit = LedgerAuditor.verify(ledger.directory, verifier: verifier)
        #expect(audit.passed, "\(audit.failures)")
        #expect(audit.entryCount == 10 && audit.checkpointCount == 2 && audit.checkpointedSize == 8)
        #expect(audit.warnings.map(\.code) == ["uncovered_entries"])
        let note = try String(contentsOf: ledger.layout.checkpointFile(size: 8), encoding: .utf8)
        let checkpoint = try Checkpoint.open(note, verifier: verifier)
        let leaves = try ledger.segmentLines().prefix(8).map { MerkleHash.leaf($0) }
        #expect(checkpoint.rootHash == MerkleTree(leafHashes: leaves).root())
    }

    @Test("the signing key persists (0600), names the origin, and the reopened log continues the same tree")
    func reopen() async throws {
        let ledger = TemporaryLedger()
        defer { ledger.remove() }
        var configuration = LedgerConfiguration()
        configuration.origin = "lethe.test/replica-1"
        let first = try await ledger.fill(5, configuration: configuration)
        #expect(first.name == "lethe.test/replica-1")
        let reopened = try DeletionLedger(directory: ledger.directory)
        #expect(reopened.signer.verifier == first)
        #expect(await reopened.count == 5)
        let (entry, _) = try await reopened.appendWithReceipt(TemporaryLedger.record(99, wipedAt: Date(timeIntervalSince1970: 1_790_000_100)))
        #expect(entry.sequence == 5)
        try await reopened.writeCheckpoint()
        #expect(LedgerAuditor.verify(ledger.directory, verifier: first).passed)
        let attributes = try FileManager.default.attributesOfItem(atPath: ledger.layout.signingKeyFile.path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        var other = LedgerConfiguration()
        other.origin = "lethe.test/another"
        #expect(throws: LetheError.self) { try DeletionLedger(directory: ledger.directory, configuration: other) }
    }

    @Test("a receipt verifies with the verifier key and its entry is provably in a later checkpoint")
    func receiptInclusion() async throws {
        let ledger = TemporaryLedger()
        defer { ledger.remove() }
        let log = try DeletionLedger(directory: ledger.directory)
        var receipts: [String] = []
        for number in 0..<7 {
            receipts.append(try await log.appendWithReceipt(TemporaryLedger.record(number)).receipt)
        }
        let checkpoint = try #require(try await log.writeCheckpoint())
        let verifier = try NoteVerifier(verifierKey: log.verifierKey)
        for note in receipts {
            let receipt = try DeletionReceipt.open(note, verifier: verifier)
            let proof = try await log.inclusionProof(index: receipt.index, size: checkpoint.size)
            #expect(MerkleProof.verifyInclusion(index: receipt.index, size: checkpoint.size, leafHash: receipt.leafHash, proof: proof, root: checkpoint.rootHash))
            #expect(receipt.wipeVerified && receipt.bytesWiped == 40 + receipt.index)
        }
        // A receipt signed by someone else is refused.
        let forged = try DeletionReceipt.open(receipts[0], verifier: verifier)
        let impostor = try NoteSigner.generate(name: verifier.name)
        #expect(throws: LetheError.self) { try DeletionReceipt.open(try forged.signed(by: impostor), verifier: verifier) }
    }

    @Test("a torn tail is cut off on reopen, reported by verify before that, and the tree continues")
    func tornTail() async throws {
        let ledger = TemporaryLedger()
        defer { ledger.remove() }
        let verifier = try await ledger.fill(4)
        let handle = try FileHandle(forWritingTo: ledger.layout.segmentFile(firstIndex: 0))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(#"{"buffers_wiped":2,"bytes_wi"#.utf8))
        try handle.close()
        let torn = LedgerAuditor.verify(ledger.directory, verifier: verifier)
        #expect(torn.passed)
        #expect(torn.warnings.first?.code == "torn_tail")
        #expect(torn.warnings.first?.message.contains("after entry #3") == true)
        let reopened = try DeletionLedger(directory: ledger.directory)
        #expect(reopened.recoveredBytes == 28)
        try await reopened.append(TemporaryLedger.record(4, wipedAt: Date(timeIntervalSince1970: 1_790_000_010)))
        try await reopened.writeCheckpoint()
        let audit = LedgerAuditor.verify(ledger.directory, verifier: verifier)
        #expect(audit.passed && audit.warnings.isEmpty && audit.entryCount == 5)
    }

    @Test("a legacy deletions.jsonl is migrated into the first segment and keeps verifying")
    func legacyMigration() throws {
        let ledger = TemporaryLedger()
        defer { ledger.remove() }
        try FileManager.default.createDirectory(at: ledger.directory, withIntermediateDirectories: true)
        var lines = Data()
        for number in 0..<3 {
            var entry = TemporaryLedger.record(number)
            entry.sequence = number
            lines += try entry.canonicalJSON() + Data([0x0A])
        }
        try lines.write(to: ledger.layout.legacyEntriesFile)
        #expect(try DeletionLedger.readEntries(in: ledger.directory).count == 3)
        let log = try DeletionLedger(directory: ledger.directory)
        #expect(!FileManager.default.fileExists(atPath: ledger.layout.legacyEntriesFile.path))
        #expect(try Data(contentsOf: ledger.layout.segmentFile(firstIndex: 0)) == lines)
        #expect(try DeletionLedger.readEntries(in: ledger.directory).map(\.sequence) == [0, 1, 2])
        _ = log
    }

    @Test("segments roll by size and by UTC day; entries stay contiguous and verify")
    func segments() async throws {
        let ledger = TemporaryLedger()
        defer { ledger.remove() }
        var configuration = LedgerConfiguration()
        configuration.maxSegmentBytes = 1500
        let log = try DeletionLedger(directory: ledger.directory, configuration: configuration)
        for number in 0..<12 {
            // Entries 0…9 on one day, 10 and 11 on the next.
            let day = number < 10 ? 0.0 : 86_400.0
            try await log.append(TemporaryLedger.record(number, wipedAt: Date(timeIntervalSince1970: 1_790_000_000 + day + Double(number))))
        }
        try await log.writeCheckpoint()
        let starts = ledger.layout.segments().map(\.firstIndex)
        #expect(starts.count >= 3)
        #expect(starts.first == 0 && starts.contains(10))
        #expect(try DeletionLedger.readEntries(in: ledger.directory).map(\.sequence) == Array(0..<12))
        let audit = LedgerAuditor.verify(ledger.directory, verifier: log.signer.verifier)
        #expect(audit.passed && audit.warnings.isEmpty, "\(audit.failures) \(audit.warnings)")
    }

    @Test("retention removes old segments, keeps what proves consistency across the cut, and the tree continues")
    func retention() async throws {
        let ledger = TemporaryLedger()
        defer { ledger.remove() }
        var configuration = LedgerConfiguration()
        configuration.maxSegmentBytes = 1200
        configuration.retentionDays = 0
        let log = try DeletionLedger(directory: ledger.directory, configuration: configuration)
        for number in 0..<20 {
            try await log.append(TemporaryLedger.record(number, wipedAt: Date(timeIntervalSince1970: 1_790_000_000 + Double(number))))
            if number % 5 == 4 { try await log.writeCheckpoint() }
        }
        let before = ledger.layout.segments()
        #expect(before.count >= 3)
        let rootBefore = try await log.rootHash(size: 20)

        var retained = configuration
        retained.retentionDays = 183
        let reopened = try DeletionLedger(directory: ledger.directory, configuration: retained)
        // Two years later everything but the open segment is past retention.
        let removed = try await reopened.applyRetention(now: Date(timeIntervalSince1970: 1_790_000_000 + 2 * 365 * 86_400))
        #expect(removed == before.last!.firstIndex)
        #expect(ledger.layout.segments().map(\.firstIndex) == [before.last!.firstIndex])
        let pruned = try JSONDecoder().decode(PrunedPrefix.self, from: Data(contentsOf: ledger.layout.prunedFile))
        #expect(pruned.size == removed)

        let verifier = log.signer.verifier
        let audit = LedgerAuditor.verify(ledger.directory, verifier: verifier)
        #expect(audit.passed, "\(audit.failures)")
        #expect(audit.removedCount == removed && audit.checkpointCount == 4)

        let again = try DeletionLedger(directory: ledger.directory, configuration: retained)
        #expect(try await again.rootHash(size: 20) == rootBefore)
        try await again.append(TemporaryLedger.record(20, wipedAt: Date(timeIntervalSince1970: 1_790_000_100)))
        try await again.writeCheckpoint()
        #expect(LedgerAuditor.verify(ledger.directory, verifier: verifier).passed)

        // A kept proof that was edited breaks the link of the old checkpoints.
        var edited = pruned
        if let key = edited.consistencyProofs.keys.sorted().first {
            edited.consistencyProofs[key] = edited.consistencyProofs[key]!.reversed()
            try JSONEncoder().encode(edited).write(to: ledger.layout.prunedFile)
            let broken = LedgerAuditor.verify(ledger.directory, verifier: verifier)
            #expect(broken.failures.first?.code == "checkpoint_inconsistent")
        }
    }

    @Test("tiles and entry bundles follow C2SP tlog-tiles and rebuild the checkpoint's root")
    func tiles() async throws {
        let ledger = TemporaryLedger()
        defer { ledger.remove() }
        let log = try DeletionLedger(directory: ledger.directory)
        for number in 0..<300 { try await log.append(TemporaryLedger.record(number)) }
        let checkpoint = try #require(try await log.writeCheckpoint())
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
