import Foundation
import LetheClient
import LetheLedger
import LetheTestSupport
import LetheTransparency
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The real `lethe serve` binary under load, killed with SIGKILL, restarted: every acknowledged
/// record survives and verifies, a torn tail is reported and repaired, records left unpublished
/// are published, the tree continues.
@Suite("Ledger crash safety (real lethe binary, kill -9)")
struct LedgerCrashTests {
    static let token = "crash-test-token-0123456789abcdef"

    /// `lethe serve` on `ledger`, one device in `tokens`, a checkpoint every 8 entries or 0.5 s.
    static func serve(ledger: URL, tokens: URL) async throws -> ServerProcess {
        try await ServerProcess(
            arguments: ["--tokens-file", tokens.path, "--checkpoint-entries", "8", "--checkpoint-interval", "0.5"],
            knownToken: token, ledgerDirectory: ledger)
    }

    /// Runs `lethe` with arguments, returning exit status and output.
    static func lethe(_ arguments: [String]) async throws -> (Int32, String) {
        let run = try await Program.run(ServerProcess.executable.path, arguments)
        return (run.status, run.output)
    }

    /// Sends refused (cheap) requests from `clients` concurrent clients until cancelled; collects receipts.
    actor Acknowledged {
        var receipts: [DeletionReceipt] = []
        func add(_ receipt: DeletionReceipt) { receipts.append(receipt) }
    }

    static func load(_ url: URL, verifier: NoteVerifier, into acknowledged: Acknowledged, until count: Int) async {
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    let client = LetheClient(serverURL: url, token: "not-a-device")
                    while await acknowledged.receipts.count < count {
                        do {
                            _ = try await client.analyzeWithReceipt(photo: Data([0xFF, 0xD8, 0xFF, 0xE0]), ledgerKey: verifier)
                        } catch let error as LetheClientError {
                            guard let receipt = error.receipt else { return }  // the server is gone
                            await acknowledged.add(receipt)
                        } catch {
                            return
                        }
                    }
                }
            }
        }
    }

    @Test("kill -9 under load: acknowledged records survive, torn tail repaired, unpublished records published, verify passes", .timeLimit(.minutes(5)))
    func killNine() async throws {
        let ledger = URL(fileURLWithPath: "/tmp").appendingPathComponent("lethe-crash-ledger-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: ledger) }

        let tokens = URL(fileURLWithPath: "/tmp/lethe-crash-tokens-\(UUID().uuidString)")
        try Data("camera-1 \(Self.token)\n".utf8).write(to: tokens)
        defer { try? FileManager.default.removeItem(at: tokens) }

        let first = try await Self.serve(ledger: ledger, tokens: tokens)
        defer { first.stop() }
        let url = first.baseURL
        let (keyStatus, keyOutput) = try await Self.lethe(["keys", "ledger", "--ledger-dir", ledger.path])
        #expect(keyStatus == 0)
        let verifier = try NoteVerifier(verifierKey: keyOutput.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(first.log.contains("ledger verifier key \(verifier.verifierKey)"))

        // Load from four clients; SIGKILL while they are still sending.
        let acknowledged = Acknowledged()
        let loader = Task { await Self.load(url, verifier: verifier, into: acknowledged, until: 1_000_000) }
        while await acknowledged.receipts.count < 60 { try await Task.sleep(for: .milliseconds(20)) }
        first.signal(SIGKILL)
        _ = try await first.waitForExit()
        await loader.value
        let before = await acknowledged.receipts
        #expect(before.count >= 60)

        // Simulate the write the kill interrupted: half a record at the end of the last segment.
        let layout = LedgerLayout(directory: ledger)
        let lastSegment = try #require(layout.segments().last).url
        let handle = try FileHandle(forWritingTo: lastSegment)
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(#"{"buffers_wiped":0,"bytes_wiped":{},"kin"#.utf8))
        try handle.close()
        let torn = LedgerAuditor.verify(ledger, verifier: verifier)
        #expect(torn.passed, "\(torn.failures)")
        #expect(torn.warnings.contains { $0.code == "torn_tail" })

        // Every acknowledged receipt is a record on disk, byte for byte: group commit never
        // acknowledges before the fsync that covers the record.
        let recordsAfterCrash = try DeletionLedger.readEntries(in: ledger)
        for receipt in before {
            #expect(receipt.record.sequence < recordsAfterCrash.count)
            if receipt.record.sequence < recordsAfterCrash.count {
                #expect(try recordsAfterCrash[receipt.record.sequence].canonicalJSON() == receipt.recordJSON)
            }
        }

        // Restart: the tail is cut off and reported; records left unpublished are published; new
        // records continue the sequence and the same tree.
        let second = try await Self.serve(ledger: ledger, tokens: tokens)
        defer { second.stop() }
        let (url2, token2) = (second.baseURL, Self.token)
        #expect(second.log.contains("ledger_recovered_bytes=40"), "\(second.log)")
        let more = Acknowledged()
        await Self.load(url2, verifier: verifier, into: more, until: 20)
        let after = await more.receipts
        #expect(after.allSatisfy { $0.record.sequence >= recordsAfterCrash.count })
        #expect(Set(after.map(\.record.sequence)).count == after.count)
        // One real analysis on the restarted worker, proven against its checkpoint; and one
        // acknowledged before the crash, published by the restarted worker.
        let client = LetheClient(serverURL: url2, token: token2)
        let (_, receipt) = try await client.analyzeWithReceipt(photo: TestPhotos.portrait, ledgerKey: verifier)
        _ = try await client.proveInclusion(of: receipt, verifier: verifier, timeout: .seconds(30))
        _ = try await client.proveInclusion(of: try #require(before.last), verifier: verifier, timeout: .seconds(30))
        second.signal(SIGTERM)
        #expect(try await second.waitForExit() == 0, "\(second.log.suffix(2000))")

        // After a graceful stop every record is published and the final checkpoint covers it; the CLI agrees.
        let audit = LedgerAuditor.verify(ledger, verifier: verifier)
        #expect(audit.passed, "\(audit.failures)")
        #expect(audit.warnings.isEmpty, "\(audit.warnings)")
        #expect(audit.checkpointedSize == audit.entryCount && audit.checkpointedRecords == audit.recordCount)
        #expect(audit.recordsChecked == audit.recordCount)
        let commitments = Set(try DeletionLedger.readLog(in: ledger).compactMap { entry -> String? in
            if case .wipe(let wipe) = entry { wipe.commitment } else { nil }
        })
        #expect((before + after).allSatisfy { commitments.contains($0.commitment) })
        let (status, output) = try await Self.lethe(["audit", "verify", ledger.path, "--key", verifier.verifierKey])
        #expect(status == 0, "\(output)")
        #expect(output.hasPrefix("OK: \(audit.recordCount) records"), "\(output)")
        #expect(output.contains("latest covers \(audit.recordCount) records"), "\(output)")

        // And the CLI fails, naming the entry, after an edit.
        let segment = try #require(layout.logSegments().first).url
        var lines = try Data(contentsOf: segment).split(separator: 0x0A, omittingEmptySubsequences: false).map { Data($0) }
        lines.swapAt(2, 3)
        try Data(lines.map { $0 }.joined(separator: [0x0A])).write(to: segment)
        let (badStatus, badOutput) = try await Self.lethe(["audit", "verify", ledger.path, "--key", verifier.verifierKey])
        #expect(badStatus == 1)
        #expect(badOutput.contains("FAILED: sequence_gap: entry #2 "), "\(badOutput)")
    }
}
