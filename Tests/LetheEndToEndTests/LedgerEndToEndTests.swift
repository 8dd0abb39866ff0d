import Foundation
import LetheClient
import LetheEnvelope
import LetheLedger
import LetheServer
import LetheTransparency
import LetheTestSupport
import Logging
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Receipts, publication and proofs over a real loopback socket.
@Suite("Ledger over loopback HTTP")
struct LedgerEndToEndTests {
    /// A worker that publishes each record at once (and refusals every half second), on its own /tmp ledger.
    func run<Result: Sendable>(
        keyFile: URL? = nil,
        witnesses: [WitnessEndpoint] = [],
        prefill: (URL) async throws -> Void = { _ in },
        configure: (inout ServerConfiguration) -> Void = { _ in },
        _ body: @escaping @Sendable (URL, String, NoteVerifier, URL) async throws -> Result
    ) async throws -> Result {
        try await runWorker(keyFile: keyFile, witnesses: witnesses, prefill: prefill, configure: configure) { worker, base, directory in
            try await body(base, worker.demoToken!, try NoteVerifier(verifierKey: worker.ledgerVerifierKey), directory)
        }
    }

    /// `run`, handing `body` the worker itself.
    func runWorker<Result: Sendable>(
        keyFile: URL? = nil,
        witnesses: [WitnessEndpoint] = [],
        prefill: (URL) async throws -> Void = { _ in },
        configure: (inout ServerConfiguration) -> Void = { _ in },
        _ body: @escaping @Sendable (LetheWorker, URL, URL) async throws -> Result
    ) async throws -> Result {
        let directory = URL(fileURLWithPath: "/tmp").appendingPathComponent("lethe-ledger-e2e-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        try await prefill(directory)
        var configuration = WorkerHarness.testConfiguration(ledgerDirectory: directory)
        configuration.ledger.checkpointEveryEntries = 1
        configuration.ledger.checkpointIntervalSeconds = 0.5
        configuration.ledger.signingKeyFile = keyFile?.path
        configuration.witnesses = witnesses
        configure(&configuration)
        var logger = Logger(label: "lethe-test")
        logger.logLevel = .warning
        let worker = try await LetheWorker(configuration: configuration, logger: logger)
        return try await withTaskExecutorPreference(DedicatedExecutor.shared) {
            try await worker.withRunningServer { ports in
                try await body(worker, URL(string: "http://127.0.0.1:\(ports.gateway)")!, directory)
            }
        }
    }

    /// Status, body and `Cache-Control`.
    static func getWithCache(_ base: URL, _ path: String) async throws -> (Int, Data, String?) {
        let (data, response) = try await URLSession.shared.data(from: URL(string: base.absoluteString + path)!)
        let http = response as? HTTPURLResponse
        return (http?.statusCode ?? 0, data, http?.value(forHTTPHeaderField: "Cache-Control"))
    }

    static func get(_ base: URL, _ path: String) async throws -> (Int, Data) {
        let (data, response) = try await URLSession.shared.data(from: URL(string: base.absoluteString + path)!)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, data)
    }

    /// The published period summaries, once `condition` holds for them (polls the log files).
    static func summaries(in directory: URL, until condition: ([PeriodSummary]) -> Bool) async throws -> [PeriodSummary] {
        let deadline = ContinuousClock.now + .seconds(60)
        while true {
            let summaries = ((try? DeletionLedger.readLog(in: directory)) ?? []).compactMap { entry -> PeriodSummary? in
                if case .summary(let summary) = entry { summary } else { nil }
            }
            if condition(summaries) || ContinuousClock.now > deadline { return summaries }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    @Test("a refused envelope held no plaintext: no record, no receipt, and its period's summary counts it")
    func refusedEnvelopeIsCounted() async throws {
        try await run { base, token, verifier, directory in
            var request = URLRequest(url: base.appendingPathComponent(".well-known/ohttp-gateway"))
            request.httpMethod = "POST"
            request.setValue("message/ohttp-req", forHTTPHeaderField: "Content-Type")
            request.httpBody = Data([0x07, 0x00, 0x20, 0x00, 0x01, 0x00, 0x01]) + Data(repeating: 0x42, count: 60)
            let (body, response) = try await URLSession.shared.data(for: request)
            #expect((response as? HTTPURLResponse)?.statusCode == 400)
            let problem = try #require(try JSONSerialization.jsonObject(with: body) as? [String: String])
            #expect(problem["code"] == "unknown_key_id")
            #expect(problem["receipt"] == nil)
            // The device library gets the code and no receipt (a device that checks logged keys
            // would not send to this unlogged config at all: key_config_unlogged, KeyLogTests).
            let config = try #require(try await LetheClient(serverURL: base, token: token).fetchKeyConfigs().first)
            var client = LetheClient(serverURL: base, token: token)
            client.pinnedKeyConfig = OHTTPKeyConfig(keyID: 99, kemID: config.kemID, publicKey: config.publicKey, suites: config.suites)
            let error = await #expect(throws: LetheClientError.self) {
                _ = try await client.analyze(photo: TestPhotos.portrait)
            }
            #expect(error?.code == "unknown_key_id" && error?.receipt == nil)
            let unlogged = await #expect(throws: LetheClientError.self) {
                _ = try await client.analyzeWithReceipt(photo: TestPhotos.portrait, ledgerKey: verifier)
            }
            #expect(unlogged?.code == "key_config_unlogged")
            #expect(try DeletionLedger.readEntries(in: directory).isEmpty)
            let summaries = try await Self.summaries(in: directory) { $0.map { $0.refused["unknown_key_id"] ?? 0 }.reduce(0, +) == 2 }
            #expect(summaries.map { $0.refused["unknown_key_id"] ?? 0 }.reduce(0, +) == 2)
            #expect(summaries.allSatisfy { $0.requests == 0 })
        }
    }

    @Test("a successful analysis carries a verified receipt whose record opens its commitment, proven in a signed checkpoint")
    func receiptAndProof() async throws {
        try await run { base, token, verifier, directory in
            let client = LetheClient(serverURL: base, token: token)
            #expect(try await client.fetchLedgerKey() == verifier)
            let (response, receipt) = try await client.analyzeWithReceipt(photo: TestPhotos.portrait, ledgerKey: verifier)
            #expect(receipt.requestID == response.requestID)
            #expect(receipt.record.sequence == 0 && receipt.wipeVerified && receipt.origin == verifier.name)
            let record = try #require(try DeletionLedger.readEntries(in: directory).first)
            #expect(receipt.recordJSON == (try record.canonicalJSON()))
            #expect(receipt.commitment == (try record.commitment()))
            #expect(receipt.bytesWiped == record.totalBytesWiped && receipt.wipedAt == record.wipedAt)
            let proven = try await client.proveInclusion(of: receipt, verifier: verifier, timeout: .seconds(30))
            #expect(proven.checkpoint.size >= 4 && proven.index == 2)

            // The receipt does not open with another request's context or another key.
            let other = try NoteSigner.generate(name: verifier.name).verifier
            await #expect(throws: LetheClientError.self) { try await client.analyzeWithReceipt(photo: TestPhotos.portrait, ledgerKey: other) }
        }
    }

    @Test("a request refused after decryption also gets a verified receipt, and relays see only ciphertext in the header")
    func refusedReceipt() async throws {
        try await run { base, _, verifier, _ in
            let client = LetheClient(serverURL: base, token: "not-a-token")
            do {
                _ = try await client.analyzeWithReceipt(photo: TestPhotos.portrait, ledgerKey: verifier)
                Issue.record("an unknown token must be refused")
            } catch let error as LetheClientError {
                #expect(error.code == "invalid_token")
                let receipt = try #require(error.receipt)
                #expect(receipt.record.sequence == 0 && receipt.wipeVerified && receipt.record.errorCode == "invalid_token")
                _ = try await client.proveInclusion(of: receipt, verifier: verifier, timeout: .seconds(30))
            } catch {
                Issue.record("unexpected \(error)")
            }
        }
    }

    @Test("checkpoint, tiles, entries, periods and proofs are published and agree with each other")
    func publication() async throws {
        try await run { base, token, verifier, directory in
            let client = LetheClient(serverURL: base, token: token)
            let bad = LetheClient(serverURL: base, token: "nope")
            _ = try? await bad.analyzeWithReceipt(photo: Data([0xFF, 0xD8, 0xFF]), ledgerKey: verifier)
            var early: Checkpoint?
            for _ in 0..<100 where early == nil {
                let (status, note) = try await Self.get(base, "/ledger/checkpoint")
                if status == 200 { early = try Checkpoint.open(String(decoding: note, as: UTF8.self), verifier: verifier) } else { try await Task.sleep(for: .milliseconds(100)) }
            }
            _ = try #require(early)
            let one = try Checkpoint.open(String(decoding: try await Self.get(base, "/ledger/checkpoints/2").1, as: UTF8.self), verifier: verifier)
            // The worker's two OHTTP key entries (docs/ledger.md §17) are signed at start.
            #expect(one.size == 2)
            for _ in 0..<4 { _ = try? await bad.analyzeWithReceipt(photo: Data([0xFF, 0xD8, 0xFF]), ledgerKey: verifier) }
            let (_, receipt) = try await client.analyzeWithReceipt(photo: TestPhotos.portrait, ledgerKey: verifier)
            let proven = try await client.proveInclusion(of: receipt, verifier: verifier, timeout: .seconds(30))
            #expect(proven.checkpoint.size == 14 && proven.index == 12)

            let (status, note) = try await Self.get(base, "/ledger/checkpoint")
            #expect(status == 200)
            let checkpoint = try Checkpoint.open(String(decoding: note, as: UTF8.self), verifier: verifier)
            #expect(checkpoint == proven.checkpoint)

            // The receipt's period names its batch.
            let (periodStatus, periodData) = try await Self.get(base, "/ledger/period?start=\(receipt.period)")
            #expect(periodStatus == 200)
            let period = try JSONDecoder().decode(PeriodDocument.self, from: periodData)
            #expect(period.batches.contains(PublishedBatch(first: 12, summary: 13)))
            #expect(try await Self.get(base, "/ledger/period?start=1999-01-01T00:00:00.000Z").0 == 404)

            // tlog-tiles: the partial level-0 tile and entry bundle rebuild the signed root.
            let (tileStatus, tile, tileCache) = try await Self.getWithCache(base, "/ledger/tile/0/000.p/14")
            #expect(tileCache == "no-cache")
            #expect(try await Self.getWithCache(base, "/ledger/checkpoint").2 == "no-cache")
            let (bundleStatus, bundle) = try await Self.get(base, "/ledger/tile/entries/000.p/14")
            #expect(tileStatus == 200 && bundleStatus == 200 && tile.count == 14 * 32)
            let hashes = stride(from: 0, to: tile.count, by: 32).map { Data(tile[$0..<$0 + 32]) }
            #expect(MerkleTree(leafHashes: hashes).root() == checkpoint.rootHash)
            var offset = bundle.startIndex
            var leaves: [Data] = []
            let records = try DeletionLedger.readEntries(in: directory)
            while offset < bundle.endIndex {
                let length = Int(bundle[offset]) << 8 | Int(bundle[offset + 1])
                let entry = bundle[(offset + 2)..<(offset + 2 + length)]
                let text = String(decoding: entry, as: UTF8.self)
                #expect(!text.contains("127.0.0.1") && !text.contains("wiped_at") && !text.contains("device"))
                for record in records { #expect(!text.contains(record.requestID)) }
                leaves.append(MerkleHash.leaf(entry))
                offset += 2 + length
            }
            #expect(leaves == hashes)
            #expect(try await Self.get(base, "/ledger/tile/0/000.p/15").0 == 404)
            #expect(try await Self.get(base, "/ledger/tile/0/000").0 == 404)

            // Entries by range are the same bytes.
            let (_, lines) = try await Self.get(base, "/ledger/entries?start=0&end=14")
            #expect(lines.split(separator: 0x0A).map { MerkleHash.leaf($0) } == hashes)

            // Consistency between the first checkpoint and the latest.
            let (keptStatus, kept) = try await Self.get(base, "/ledger/checkpoints/00000000000000000002")
            #expect(keptStatus == 200 && String(decoding: kept, as: UTF8.self).hasPrefix(one.body))
            let (_, proofData) = try await Self.get(base, "/ledger/proof/consistency?old=2&new=14")
            let proof = try JSONDecoder().decode(ConsistencyProofDocument.self, from: proofData)
            #expect(MerkleProof.verifyConsistency(
                oldSize: 2, newSize: 14, oldRoot: one.rootHash, newRoot: checkpoint.rootHash,
                proof: proof.proof.compactMap { Data(base64Encoded: $0) }))
            #expect(try await Self.get(base, "/ledger/proof/inclusion?index=19&size=12").0 == 404)
        }
    }

    @Test("full tiles come from disk marked immutable; partial tiles and the checkpoint are revalidated")
    func fullTilesAreImmutable() async throws {
        // 299 records and their summary: one full level-0 tile and 44 entries of the next.
        try await run(prefill: { directory in
            let ledger = try DeletionLedger(directory: directory)
            for number in 0..<299 {
                _ = try await ledger.append(DeletionRecord(
                    requestID: String(format: "%032x", number), devicePseudonym: "abcd", kind: "skin",
                    receivedAt: Date(), plaintextLifetimeMicroseconds: 1000, bytesWiped: ["pixels": 30], buffersWiped: 1,
                    wipeVerified: true, errorCode: nil))
            }
            try await ledger.publish(closingOpenPeriod: true)
        }) { base, _, verifier, directory in
            let (noteStatus, note, noteCache) = try await Self.getWithCache(base, "/ledger/checkpoint")
            #expect(noteStatus == 200 && noteCache == "no-cache")
            let checkpoint = try Checkpoint.open(String(decoding: note, as: UTF8.self), verifier: verifier)
            // 300 entries, or more if the worker published a period of its own since it started.
            let width = checkpoint.size - 256
            #expect((44..<256).contains(width), "checkpoint of \(checkpoint.size)")
            let (fullStatus, full, fullCache) = try await Self.getWithCache(base, "/ledger/tile/0/000")
            #expect(fullStatus == 200 && fullCache == "public, max-age=31536000, immutable")
            #expect(full == FileManager.default.contents(atPath: directory.appendingPathComponent("tile/0/000").path))
            let (partialStatus, partial, partialCache) = try await Self.getWithCache(base, "/ledger/tile/0/001.p/\(width)")
            #expect(partialStatus == 200 && partialCache == "no-cache")
            let hashes = [full, partial].flatMap { tile in stride(from: 0, to: tile.count, by: 32).map { Data(tile[$0..<$0 + 32]) } }
            #expect(MerkleTree(leafHashes: hashes).root() == checkpoint.rootHash)
            let (bundleStatus, _, bundleCache) = try await Self.getWithCache(base, "/ledger/tile/entries/000")
            #expect(bundleStatus == 200 && bundleCache == "public, max-age=31536000, immutable")
            #expect(try await Self.getWithCache(base, "/ledger/tile/entries/001.p/\(width)").2 == "no-cache")
            // A tile file beyond the published tree (left by an older log) is never served.
            try FileManager.default.copyItem(
                at: directory.appendingPathComponent("tile/0/000"), to: directory.appendingPathComponent("tile/0/005"))
            #expect(try await Self.get(base, "/ledger/tile/0/005").0 == 404)
        }
    }
}
