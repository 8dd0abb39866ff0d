import Crypto
import Foundation
@testable import LetheClient
import LetheLedger
import LetheMemory
import LetheServer
import LetheTestSupport
import LetheTransparency
import Logging
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Witnesses (issue 17, point 1): `lethe witness` speaks C2SP tlog-witness over real HTTP, keeps
/// its state across restarts, refuses forks; the worker gets each checkpoint cosigned and
/// publishes it; clients and auditors hold it to a k-of-n policy. Interoperability is shown
/// against aics-tlog/aics-witness (PyPI), an implementation that shares no code with Lethe.
extension LedgerEndToEndTests {
    /// A log of `size` leaves under `signer`, its signed checkpoints and consistency proofs.
    struct TestLog {
        let signer: NoteSigner
        var tree = MerkleTree()

        init(origin: String, leaves: Int, salt: String = "") throws {
            signer = try NoteSigner.generate(name: origin)
            grow(to: leaves, salt: salt)
        }

        mutating func grow(to size: Int, salt: String = "") {
            while tree.size < size { tree.append(leafHash: MerkleHash.leaf(Data("\(salt)entry \(tree.size)".utf8))) }
        }

        func note(size: Int, by other: NoteSigner? = nil) throws -> String {
            try Checkpoint(origin: signer.name, size: size, rootHash: tree.root(size: size)).signed(by: other ?? signer)
        }

        func proof(from old: Int, to new: Int) throws -> [Data] {
            old == 0 || old == new ? [] : try tree.consistencyProof(oldSize: old, newSize: new)
        }
    }

    /// A witness on a free loopback port over `stateDirectory`, for the duration of `body`.
    static func withWitness<Result: Sendable>(
        _ signer: CosignerSigner, logs: [NoteVerifier], stateDirectory: URL, _ body: @escaping @Sendable (URL) async throws -> Result
    ) async throws -> Result {
        var logger = Logger(label: "lethe-witness-test")
        logger.logLevel = .critical
        let witness = try Witness(signer: signer, logs: logs, stateDirectory: stateDirectory)
        // On threads no other test can block, like the workers (WorkerHarness).
        return try await withTaskExecutorPreference(DedicatedExecutor.shared) {
            try await WitnessServer(witness: witness, port: 0, logger: logger).withRunning { port in
                try await body(URL(string: "http://127.0.0.1:\(port)")!)
            }
        }
    }

    /// POSTs an add-checkpoint request; returns status, content type and body.
    static func addCheckpoint(_ witness: URL, old: Int, proof: [Data], note: String) async throws -> (Int, String?, String) {
        var request = URLRequest(url: witness.appendingPathComponent("add-checkpoint"))
        request.httpMethod = "POST"
        request.httpBody = Data(AddCheckpointRequest(oldSize: old, proof: proof, note: note).body.utf8)
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = response as? HTTPURLResponse
        return (http?.statusCode ?? 0, http?.value(forHTTPHeaderField: "Content-Type"), String(decoding: data, as: UTF8.self))
    }

    static func temporaryDirectory(_ label: String) -> URL {
        URL(fileURLWithPath: "/tmp").appendingPathComponent("lethe-\(label)-\(UUID().uuidString)")
    }

    @Test("an independent tlog-witness client (aics-witness, PyPI) gets every status of the spec, and cosignatures that aics-tlog verifies and recomputes byte for byte")
    func independentClientInterop() async throws {
        let state = Self.temporaryDirectory("witness-state")
        let plan = Self.temporaryDirectory("witness-plan")
        defer {
            try? FileManager.default.removeItem(at: state)
            try? FileManager.default.removeItem(at: plan)
        }
        var log = try TestLog(origin: "lethe.test/interop", leaves: 8)
        let fork = try TestLog(origin: "lethe.test/interop", leaves: 8, salt: "forked ")
        let stranger = try TestLog(origin: "lethe.test/unknown", leaves: 2)
        let impostor = try NoteSigner.generate(name: "lethe.test/interop")
        log.grow(to: 8)
        let seed = Curve25519.Signing.PrivateKey()
        let signer = try CosignerSigner(name: "witness.test/w1", privateKey: seed)
        func forkedNote(size: Int) throws -> String {
            try Checkpoint(origin: log.signer.name, size: size, rootHash: fork.tree.root(size: size)).signed(by: log.signer)
        }
        func step(_ old: Int, _ proof: [Data], _ note: String, _ expect: Int, size: Int? = nil) -> [String: Any] {
            var step: [String: Any] = ["old": old, "proof": proof.map { $0.base64EncodedString() }, "note": note, "expect": expect]
            step["expect_size"] = size
            return step
        }
        let steps: [[String: Any]] = [
            step(0, [], try log.note(size: 3), 200),
            step(0, [], try log.note(size: 5), 409, size: 3),  // not the witness's size
            step(3, try log.proof(from: 3, to: 5), try log.note(size: 5), 200),
            step(5, [], try log.note(size: 5), 200),  // the same checkpoint again
            step(5, [], try forkedNote(size: 5), 409),  // same size, other root: a fork
            step(5, try fork.proof(from: 5, to: 8), try forkedNote(size: 8), 422),  // not consistent with 5
            step(5, try log.proof(from: 5, to: 8), try log.note(size: 8, by: impostor), 403),  // not the log's key
            step(0, [], try stranger.note(size: 2), 404),  // a log it does not witness
            step(6, try log.proof(from: 5, to: 8), try log.note(size: 5), 400),  // old above the checkpoint
            step(3, try log.proof(from: 3, to: 8), try log.note(size: 8), 409, size: 5),  // never backwards
            step(5, try log.proof(from: 5, to: 8), try log.note(size: 8), 200),
        ]
        let stepsJSON = try JSONSerialization.data(withJSONObject: steps)
        try await Self.withWitness(signer, logs: [log.signer.verifier], stateDirectory: state) { url in
            let document: [String: Any] = [
                "url": url.absoluteString, "witness_vkey": signer.verifier.verifierKey,
                "witness_seed": seed.rawRepresentation.map { String(format: "%02x", $0) }.joined(),
                "steps": try JSONSerialization.jsonObject(with: stepsJSON),
            ]
            try JSONSerialization.data(withJSONObject: document).write(to: plan)
            let script = Repository.root.appendingPathComponent("Tests/Interop/tlog_witness_client.py")
            let result = try await Program.run("python3", [script.path, plan.path])
            #expect(result.status == 0, "\(result.output)")
            #expect(result.output.contains("OK: 11 steps, 4 cosignatures verified and recomputed byte for byte"), "\(result.output)")
        }
    }

    @Test("a restarted witness keeps its state: it answers 409 with the size it cosigned, refuses a fork of it, and goes on from it")
    func witnessRestartKeepsState() async throws {
        let state = Self.temporaryDirectory("witness-state")
        defer { try? FileManager.default.removeItem(at: state) }
        let log = try TestLog(origin: "lethe.test/restart", leaves: 9)
        let fork = try TestLog(origin: "lethe.test/restart", leaves: 9, salt: "forked ")
        let signer = try CosignerSigner.generate(name: "witness.test/restart")
        let first = try await Self.withWitness(signer, logs: [log.signer.verifier], stateDirectory: state) { url in
            try await Self.addCheckpoint(url, old: 0, proof: [], note: try log.note(size: 6))
        }
        #expect(first.0 == 200)
        // A new process over the same state directory.
        try await Self.withWitness(signer, logs: [log.signer.verifier], stateDirectory: state) { url in
            let fresh = try await Self.addCheckpoint(url, old: 0, proof: [], note: try log.note(size: 4))
            #expect(fresh.0 == 409 && fresh.1 == "text/x.tlog.size" && fresh.2 == "6\n", "\(fresh)")
            let forked = try await Self.addCheckpoint(
                url, old: 6, proof: [], note: try Checkpoint(origin: log.signer.name, size: 6, rootHash: fork.tree.root(size: 6)).signed(by: log.signer))
            #expect(forked.0 == 409 && forked.2.contains("witness_conflict"), "\(forked)")
            let next = try await Self.addCheckpoint(url, old: 6, proof: try log.proof(from: 6, to: 9), note: try log.note(size: 9))
            #expect(next.0 == 200, "\(next)")
            let body = try SignedNote.parse(try log.note(size: 9)).text
            let lines = try SignedNote.parse(body + "\n" + next.2).signatures
            #expect(lines.count == 1)
            #expect(lines.first.flatMap { signer.verifier.timestamp(of: $0, checkpointBody: body) } != nil)
        }
        // The state on disk is the log-signed checkpoint of size 9.
        let files = try FileManager.default.contentsOfDirectory(atPath: state.path).filter { $0.hasSuffix(".checkpoint") }
        #expect(files.count == 1)
        #expect(try Checkpoint.open(String(contentsOf: state.appendingPathComponent(files[0]), encoding: .utf8), verifier: log.signer.verifier).size == 9)
    }

    @Test("a worker with two witnesses publishes checkpoints cosigned by both; a client and the auditor accept them under a 2-of-2 policy and refuse them under a quorum they do not meet")
    func workerWithTwoWitnesses() async throws {
        let files = try DeviceFiles(origin: "lethe.test/witnessed")
        let states = (Self.temporaryDirectory("witness-a"), Self.temporaryDirectory("witness-b"))
        defer {
            files.remove()
            try? FileManager.default.removeItem(at: states.0)
            try? FileManager.default.removeItem(at: states.1)
        }
        let logKey = try NoteSigner(privateKeyString: String(contentsOf: files.keyFile, encoding: .utf8)).verifier
        let witnessA = try CosignerSigner.generate(name: "witness.test/a")
        let witnessB = try CosignerSigner.generate(name: "witness.test/b")
        let absent = try CosignerSigner.generate(name: "witness.test/absent")
        let both = try WitnessPolicy(witnesses: [witnessA.verifier, witnessB.verifier], quorum: 2)
        let unmet = try WitnessPolicy(witnesses: [witnessA.verifier, witnessB.verifier, absent.verifier], quorum: 3)
        try await Self.withWitness(witnessA, logs: [logKey], stateDirectory: states.0) { urlA in
            try await Self.withWitness(witnessB, logs: [logKey], stateDirectory: states.1) { urlB in
                let endpoints = [WitnessEndpoint(verifier: witnessA.verifier, submissionPrefix: urlA), WitnessEndpoint(verifier: witnessB.verifier, submissionPrefix: urlB)]
                try await self.run(keyFile: files.keyFile, witnesses: endpoints) { base, token, verifier, directory in
                    var client = LetheClient(serverURL: base, token: token)
                    client.witnessPolicy = both
                    for _ in 0..<2 {
                        let (_, receipt) = try await client.analyzeWithReceipt(photo: TestPhotos.portrait, ledgerKey: verifier)
                        let proven = try await client.proveInclusion(of: receipt, verifier: verifier, timeout: .seconds(60))
                        #expect(proven.cosigners == ["witness.test/a", "witness.test/b"])
                    }
                    // The published note: the log's signature and one cosignature per witness.
                    let (_, note, _) = try await Self.getWithCache(base, "/ledger/checkpoint")
                    let text = String(decoding: note, as: UTF8.self)
                    #expect(try SignedNote.parse(text).signatures.map(\.name) == [verifier.name, "witness.test/a", "witness.test/b"])
                    #expect(try both.check(text) == ["witness.test/a", "witness.test/b"])
                    // The monitor holds the live log to the same policies.
                    let fetch = Self.monitor(base, verifier: verifier).fetch
                    let watched = await LogMonitor(verifier: verifier, policy: both, maxAgeSeconds: nil, fetch: fetch).check(from: nil)
                    #expect(watched.alerts.isEmpty && watched.entriesVerified > 0, "\(watched.alerts)")
                    let below = await LogMonitor(verifier: verifier, policy: unmet, maxAgeSeconds: nil, fetch: fetch).check(from: nil)
                    #expect(below.alerts.map(\.code) == ["witness_quorum_missing"], "\(below.alerts)")
                    // Below quorum: the client refuses the receipt's proof (the receipt is taken under
                    // the met policy: under the unmet one the client would not even encrypt to the
                    // key, whose proof is against the same checkpoints, docs/ledger.md §17).
                    let (_, receipt) = try await client.analyzeWithReceipt(photo: TestPhotos.portrait, ledgerKey: verifier)
                    client.witnessPolicy = unmet
                    let unlogged = await #expect(throws: LetheClientError.self) {
                        _ = try await client.analyzeWithReceipt(photo: TestPhotos.portrait, ledgerKey: verifier)
                    }
                    #expect(unlogged?.code == "witness_quorum_missing", "\(String(describing: unlogged))")
                    let refused = await #expect(throws: LetheClientError.self) {
                        _ = try await client.proveInclusion(of: receipt, verifier: verifier, timeout: .seconds(60))
                    }
                    #expect(refused?.code == "witness_quorum_missing", "\(String(describing: refused))")
                    // The auditor, offline, over the ledger directory.
                    var audit = LedgerAuditor.verify(directory, verifier: verifier)
                    LedgerAuditor.checkWitnesses(&audit, directory: directory, policy: both)
                    #expect(audit.passed, "\(audit.failures)")
                    #expect(audit.witnessing?.cosigners == ["witness.test/a", "witness.test/b"])
                    var short = LedgerAuditor.verify(directory, verifier: verifier)
                    LedgerAuditor.checkWitnesses(&short, directory: directory, policy: unmet)
                    #expect(short.failures.map(\.code) == ["witness_quorum_missing"])
                }
            }
        }
    }
}
