import Foundation
import LetheClient
import LetheEnvelope
import LetheLedger
import LetheServer
import Logging
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Receipts, publication and proofs over a real loopback socket.
@Suite("Ledger over loopback HTTP")
struct LedgerEndToEndTests {
    /// A worker that checkpoints after every entry, on its own /tmp ledger.
    func run<Result: Sendable>(_ body: @escaping @Sendable (URL, String, NoteVerifier, URL) async throws -> Result) async throws -> Result {
        let directory = URL(fileURLWithPath: "/tmp").appendingPathComponent("lethe-ledger-e2e-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        var configuration = ServerConfiguration()
        // Several workers share the test process: no per-process memory ceiling.
        configuration.memoryBudgetMiB = nil
        configuration.port = 0
        configuration.adminPort = 0
        configuration.ledgerDirectory = directory.path
        configuration.ledger.checkpointEveryEntries = 1
        var logger = Logger(label: "lethe-test")
        logger.logLevel = .warning
        let worker = try await LetheWorker(configuration: configuration, logger: logger)
        let token = worker.demoToken!
        let verifier = try NoteVerifier(verifierKey: worker.ledgerVerifierKey)
        return try await withTaskExecutorPreference(DedicatedExecutor.shared) {
            try await worker.withRunningServer { ports in
                try await body(URL(string: "http://127.0.0.1:\(ports.gateway)")!, token, verifier, directory)
            }
        }
    }

    static func get(_ base: URL, _ path: String) async throws -> (Int, Data) {
        let (data, response) = try await URLSession.shared.data(from: URL(string: base.absoluteString + path)!)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, data)
    }

    @Test("a refused envelope still gets its signed receipt, in the problem document, and the client verifies it")
    func refusedEnvelopeReceipt() async throws {
        try await run { base, token, verifier, directory in
            var request = URLRequest(url: base.appendingPathComponent(".well-known/ohttp-gateway"))
            request.httpMethod = "POST"
            request.setValue("message/ohttp-req", forHTTPHeaderField: "Content-Type")
            request.httpBody = Data([0x07, 0x00, 0x20, 0x00, 0x01, 0x00, 0x01]) + Data(repeating: 0x42, count: 60)
            let (body, response) = try await URLSession.shared.data(for: request)
            #expect((response as? HTTPURLResponse)?.statusCode == 400)
            let problem = try #require(try JSONSerialization.jsonObject(with: body) as? [String: String])
            #expect(problem["code"] == "unknown_key_id")
            let receipt = try DeletionReceipt.open(try #require(problem["receipt"]), verifier: verifier)
            #expect(receipt.index == 0)
            #expect(receipt.bytesWiped == 0)
            #expect(receipt.wipeVerified)
            // The device library surfaces it on the error, verified against the pinned key.
            let config = try #require(try await LetheClient(serverURL: base, token: token).fetchKeyConfigs().first)
            let wrongKey = OHTTPKeyConfig(keyID: 99, kemID: config.kemID, publicKey: config.publicKey, suites: config.suites)
            var client = LetheClient(serverURL: base, token: token)
            client.pinnedKeyConfig = wrongKey
            do {
                _ = try await client.analyzeWithReceipt(photo: TestPhotos.portrait, ledgerKey: verifier)
                Issue.record("a request to an unknown key id must fail")
            } catch let error as LetheClientError {
                #expect(error.code == "unknown_key_id")
                #expect(error.receipt?.index == 1)
            }
        }
    }

    @Test("a successful analysis carries a verified receipt whose entry is proven in a signed checkpoint")
    func receiptAndProof() async throws {
        try await run { base, token, verifier, directory in
            let client = LetheClient(serverURL: base, token: token)
            #expect(try await client.fetchLedgerKey() == verifier)
            let (response, receipt) = try await client.analyzeWithReceipt(photo: TestPhotos.portrait, ledgerKey: verifier)
            #expect(receipt.requestID == response.requestID)
            #expect(receipt.index == 0 && receipt.wipeVerified && receipt.origin == verifier.name)
            let entry = try #require(try DeletionLedger.readEntries(in: directory).first)
            #expect(receipt.leafHash == MerkleHash.leaf(try entry.canonicalJSON()))
            #expect(receipt.bytesWiped == entry.totalBytesWiped && receipt.wipedAt == entry.wipedAt)
            let proven = try await client.proveInclusion(of: receipt, verifier: verifier, timeout: .seconds(20))
            #expect(proven.checkpoint.size >= 1)

            // The receipt does not open with another request's context or another key.
            let other = try NoteSigner.generate(name: verifier.name).verifier
            await #expect(throws: LetheClientError.self) { try await client.analyzeWithReceipt(photo: TestPhotos.portrait, ledgerKey: other) }
        }
    }

    @Test("a refused request also gets a verified receipt, and relays see only ciphertext in the header")
    func refusedReceipt() async throws {
        try await run { base, _, verifier, _ in
            let client = LetheClient(serverURL: base, token: "not-a-token")
            do {
                _ = try await client.analyzeWithReceipt(photo: TestPhotos.portrait, ledgerKey: verifier)
                Issue.record("an unknown token must be refused")
            } catch let error as LetheClientError {
                #expect(error.code == "invalid_token")
                let receipt = try #require(error.receipt)
                #expect(receipt.index == 0 && receipt.wipeVerified)
            } catch {
                Issue.record("unexpected \(error)")
            }
        }
    }

    @Test("checkpoint, tiles, entries and proofs are published and agree with each other")
    func publication() async throws {
        try await run { base, token, verifier, _ in
            let client = LetheClient(serverURL: base, token: token)
            let bad = LetheClient(serverURL: base, token: "nope")
            _ = try? await bad.analyzeWithReceipt(photo: Data([0xFF, 0xD8, 0xFF]), ledgerKey: verifier)
            var early: Checkpoint?
            for _ in 0..<100 where early == nil {
                let (status, note) = try await Self.get(base, "/ledger/checkpoint")
                if status == 200 { early = try Checkpoint.open(String(decoding: note, as: UTF8.self), verifier: verifier) } else { try await Task.sleep(for: .milliseconds(100)) }
            }
            let one = try #require(early)
            #expect(one.size == 1)
            for _ in 0..<4 { _ = try? await bad.analyzeWithReceipt(photo: Data([0xFF, 0xD8, 0xFF]), ledgerKey: verifier) }
            let (_, receipt) = try await client.analyzeWithReceipt(photo: TestPhotos.portrait, ledgerKey: verifier)
            let proven = try await client.proveInclusion(of: receipt, verifier: verifier, timeout: .seconds(20))
            #expect(proven.checkpoint.size == 6)

            let (status, note) = try await Self.get(base, "/ledger/checkpoint")
            #expect(status == 200)
            let checkpoint = try Checkpoint.open(String(decoding: note, as: UTF8.self), verifier: verifier)
            #expect(checkpoint == proven.checkpoint)

            // tlog-tiles: the partial level-0 tile and entry bundle rebuild the signed root.
            let (tileStatus, tile) = try await Self.get(base, "/ledger/tile/0/000.p/6")
            let (bundleStatus, bundle) = try await Self.get(base, "/ledger/tile/entries/000.p/6")
            #expect(tileStatus == 200 && bundleStatus == 200 && tile.count == 6 * 32)
            let hashes = stride(from: 0, to: tile.count, by: 32).map { Data(tile[$0..<$0 + 32]) }
            #expect(MerkleTree(leafHashes: hashes).root() == checkpoint.rootHash)
            var offset = bundle.startIndex
            var leaves: [Data] = []
            while offset < bundle.endIndex {
                let length = Int(bundle[offset]) << 8 | Int(bundle[offset + 1])
                let entry = bundle[(offset + 2)..<(offset + 2 + length)]
                #expect(!String(decoding: entry, as: UTF8.self).contains("127.0.0.1"))
                leaves.append(MerkleHash.leaf(entry))
                offset += 2 + length
            }
            #expect(leaves == hashes)
            #expect(try await Self.get(base, "/ledger/tile/0/000.p/7").0 == 404)
            #expect(try await Self.get(base, "/ledger/tile/0/000").0 == 404)

            // Entries by range are the same bytes.
            let (_, lines) = try await Self.get(base, "/ledger/entries?start=0&end=6")
            #expect(lines.split(separator: 0x0A).map { MerkleHash.leaf($0) } == hashes)

            // Consistency between the first checkpoint and the latest.
            let (keptStatus, kept) = try await Self.get(base, "/ledger/checkpoints/00000000000000000001")
            #expect(keptStatus == 200 && String(decoding: kept, as: UTF8.self).hasPrefix(one.body))
            let (_, proofData) = try await Self.get(base, "/ledger/proof/consistency?old=1&new=6")
            let proof = try JSONDecoder().decode(ConsistencyProofDocument.self, from: proofData)
            #expect(MerkleProof.verifyConsistency(
                oldSize: 1, newSize: 6, oldRoot: one.rootHash, newRoot: checkpoint.rootHash,
                proof: proof.proof.compactMap { Data(base64Encoded: $0) }))
            #expect(try await Self.get(base, "/ledger/proof/inclusion?index=9&size=6").0 == 404)
        }
    }
}
