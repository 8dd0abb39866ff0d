import Crypto
import Foundation
import LetheLedger
import Testing

/// Each kind of tampering is detected by `LedgerAuditor.verify` with a precise finding.
@Suite("Tamper detection")
struct TamperTests {
    /// A ledger of 12 entries with checkpoints at 4, 8 and 12.
    func prepared() async throws -> (TemporaryLedger, NoteVerifier) {
        let ledger = TemporaryLedger()
        let verifier = try await ledger.fill(12)
        let audit = LedgerAuditor.verify(ledger.directory, verifier: verifier)
        #expect(audit.passed && audit.warnings.isEmpty, "untampered ledger must verify: \(audit.failures)")
        return (ledger, verifier)
    }

    @Test("a flipped byte in an entry's value is pinned to the checkpoint interval holding it")
    func flippedValue() async throws {
        let (ledger, verifier) = try await prepared()
        defer { ledger.remove() }
        var lines = try ledger.segmentLines()
        // Entry 5's request id ends in …05: make it …15 (still canonical, still parses).
        let text = String(decoding: lines[5], as: UTF8.self).replacingOccurrences(of: "00000000000000000000000000000005", with: "00000000000000000000000000000015")
        lines[5] = Data(text.utf8)
        try ledger.writeSegment(lines)
        let audit = LedgerAuditor.verify(ledger.directory, verifier: verifier)
        #expect(audit.failures.first?.code == "entries_changed")
        #expect(audit.failures.first?.message.contains("checkpoint 00000000000000000008") == true)
        #expect(audit.failures.first?.message.contains("entries #4…#7") == true)
    }

    @Test("a flipped byte that breaks the canonical form names the entry")
    func flippedSyntax() async throws {
        let (ledger, verifier) = try await prepared()
        defer { ledger.remove() }
        var lines = try ledger.segmentLines()
        lines[6][0] = UInt8(ascii: "[")
        try ledger.writeSegment(lines)
        let audit = LedgerAuditor.verify(ledger.directory, verifier: verifier)
        #expect(audit.failures.first?.code == "entry_malformed")
        #expect(audit.failures.first?.message.hasPrefix("entry #6 ") == true)
    }

    @Test("a deleted entry is a sequence gap at its place")
    func deleted() async throws {
        let (ledger, verifier) = try await prepared()
        defer { ledger.remove() }
        var lines = try ledger.segmentLines()
        lines.remove(at: 3)
        try ledger.writeSegment(lines)
        let audit = LedgerAuditor.verify(ledger.directory, verifier: verifier)
        #expect(audit.failures.first == LedgerAudit.Finding(code: "sequence_gap", message: "entry #3 (00000000000000000000.jsonl line 4) carries sequence 4: entries were removed, inserted or reordered"))
    }

    @Test("two swapped entries are named")
    func swapped() async throws {
        let (ledger, verifier) = try await prepared()
        defer { ledger.remove() }
        var lines = try ledger.segmentLines()
        lines.swapAt(8, 9)
        try ledger.writeSegment(lines)
        let audit = LedgerAuditor.verify(ledger.directory, verifier: verifier)
        #expect(audit.failures.first?.code == "sequence_gap")
        #expect(audit.failures.first?.message.hasPrefix("entry #8 ") == true)
        #expect(audit.failures.first?.message.contains("carries sequence 9") == true)
    }

    @Test("a segment truncated in the middle loses acknowledged entries, which the checkpoint proves")
    func truncated() async throws {
        let (ledger, verifier) = try await prepared()
        defer { ledger.remove() }
        let file = ledger.layout.segmentFile(firstIndex: 0)
        let data = try Data(contentsOf: file)
        try data.prefix(data.count / 2).write(to: file)
        let audit = LedgerAuditor.verify(ledger.directory, verifier: verifier)
        #expect(audit.failures.first?.code == "entries_missing")
        #expect(audit.failures.first?.message.contains("checkpoint 00000000000000000008 covers 8 entries") == true)
    }

    @Test("a truncated segment that is not the last one is named")
    func truncatedMiddleSegment() async throws {
        let ledger = TemporaryLedger()
        defer { ledger.remove() }
        var configuration = LedgerConfiguration()
        configuration.maxSegmentBytes = 1200
        let verifier = try await ledger.fill(12, configuration: configuration)
        let second = ledger.layout.segments()[1]
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
        let file = ledger.layout.checkpointFile(size: 8)
        let original = try Checkpoint(body: SignedNote.parse(String(contentsOf: file, encoding: .utf8)).text)
        let impostor = try NoteSigner.generate(name: verifier.name)
        try original.signed(by: impostor).write(to: file, atomically: true, encoding: .utf8)
        let audit = LedgerAuditor.verify(ledger.directory, verifier: verifier)
        #expect(audit.failures.first?.code == "note_unsigned")
        #expect(audit.failures.first?.message.hasPrefix("checkpoint 00000000000000000008: not signed by \(verifier.name)") == true)
    }

    @Test("a validly signed checkpoint inconsistent with the others is named as a fork")
    func inconsistent() async throws {
        let ledger = TemporaryLedger()
        defer { ledger.remove() }
        try FileManager.default.createDirectory(at: ledger.directory, withIntermediateDirectories: true)
        let log = try DeletionLedger(directory: ledger.directory)
        for number in 0..<12 {
            try await log.append(TemporaryLedger.record(number, wipedAt: Date(timeIntervalSince1970: 1_790_000_000 + Double(number))))
            if number == 3 || number == 11 { try await log.writeCheckpoint() }
        }
        // The key holder signs a checkpoint of size 8 over a different history.
        var forkedLeaves = try ledger.segmentLines().prefix(8).map { MerkleHash.leaf($0) }
        forkedLeaves[6] = MerkleHash.leaf(Data("rewritten".utf8))
        let forked = Checkpoint(origin: log.origin, size: 8, rootHash: MerkleTree(leafHashes: forkedLeaves).root())
        try forked.signed(by: log.signer).write(to: ledger.layout.checkpointFile(size: 8), atomically: true, encoding: .utf8)
        let audit = LedgerAuditor.verify(ledger.directory, verifier: log.signer.verifier)
        #expect(audit.failures.first?.code == "checkpoint_inconsistent")
        #expect(audit.failures.first?.message.hasPrefix("checkpoint 00000000000000000008 is inconsistent with checkpoint 00000000000000000004 and checkpoint 00000000000000000012") == true)
    }

    @Test("an unverified wipe and time going backwards are failures")
    func semantic() async throws {
        let ledger = TemporaryLedger()
        defer { ledger.remove() }
        let log = try DeletionLedger(directory: ledger.directory)
        try await log.append(TemporaryLedger.record(0, wipedAt: Date(timeIntervalSince1970: 1_790_000_010)))
        // The ledger itself keeps time order: an earlier wipe time is raised to the newest one.
        let raised = try await log.append(TemporaryLedger.record(1, wipedAt: Date(timeIntervalSince1970: 1_790_000_000)))
        #expect(raised.wipedAt == TemporaryLedger.record(0, wipedAt: Date(timeIntervalSince1970: 1_790_000_010)).wipedAt)
        var unverified = TemporaryLedger.record(2, wipedAt: Date(timeIntervalSince1970: 1_790_000_020))
        unverified.wipeVerified = false
        try await log.append(unverified)

        // A history with time going backwards, signed with the real key (a buggy or forged
        // worker): the audit must still refuse it.
        var backwards = TemporaryLedger.record(1, wipedAt: Date(timeIntervalSince1970: 1_790_000_000))
        backwards.sequence = 1
        var lines = try ledger.segmentLines()
        lines[1] = try backwards.canonicalJSON()
        try ledger.writeSegment(lines)
        let checkpoint = Checkpoint(origin: log.origin, size: 3, rootHash: MerkleTree(leafHashes: lines.map { MerkleHash.leaf($0) }).root())
        try checkpoint.signed(by: log.signer).write(to: ledger.layout.checkpointFile(size: 3), atomically: true, encoding: .utf8)

        let audit = LedgerAuditor.verify(ledger.directory, verifier: log.signer.verifier)
        #expect(audit.failures.map(\.code) == ["time_backwards", "wipe_unverified"])
        #expect(audit.failures.first?.message.hasPrefix("entry #1 ") == true)
    }
}
