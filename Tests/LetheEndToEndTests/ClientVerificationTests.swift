import Foundation
import LetheAPI
@testable import LetheClient
import LetheEnvelope
import LetheLedger
import LetheTransparency
import Testing

/// Clients that verify (issue 17, point 3): the device keeps the newest checkpoint it verified,
/// demands consistency for every other one, checks with the key pinned in its configuration, and
/// takes a receipt only for its own request. Real workers over loopback HTTP.
extension LedgerEndToEndTests {
    /// A ledger key file outside any ledger directory (0600), and a checkpoint state file beside it.
    struct DeviceFiles {
        let directory = URL(fileURLWithPath: "/tmp").appendingPathComponent("lethe-device-\(UUID().uuidString)")
        var keyFile: URL { directory.appendingPathComponent("ledger.key") }
        func state(_ name: String) -> CheckpointState { CheckpointState(file: directory.appendingPathComponent(name)) }

        init(origin: String) throws {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let signer = try NoteSigner.generate(name: origin)
            try Data((signer.privateKeyString + "\n").utf8).write(to: keyFile)
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: keyFile.path)
        }

        func remove() { try? FileManager.default.removeItem(at: directory) }
    }

    /// Analyses the portrait and proves its receipt, with `state` persisting checkpoints.
    static func analyseAndProve(_ base: URL, token: String, verifier: NoteVerifier, state: CheckpointState?) async throws(LetheClientError) -> ProvenDeletion {
        var client = LetheClient(serverURL: base, token: token)
        client.checkpointState = state
        let (_, receipt) = try await client.analyzeWithReceipt(photo: TestPhotos.portrait, ledgerKey: verifier)
        return try await client.proveInclusion(of: receipt, verifier: verifier, timeout: .seconds(30))
    }

    @Test("a worker showing a checkpoint inconsistent with the one the device persisted (a fork under the same key) is refused")
    func forkIsRefused() async throws {
        let files = try DeviceFiles(origin: "lethe.test/forked")
        defer { files.remove() }
        let state = files.state("checkpoints.json")
        // Worker A: two requests; the second checkpoint is accepted through a consistency proof.
        let (first, second) = try await run(keyFile: files.keyFile) { base, token, verifier, _ in
            let first = try await Self.analyseAndProve(base, token: token, verifier: verifier, state: state)
            let persisted = try #require(try state.newest(verifier: verifier)).checkpoint
            let second = try await Self.analyseAndProve(base, token: token, verifier: verifier, state: state)
            return (first.checkpoint, (persisted, second.checkpoint))
        }
        #expect(second.0.size >= first.size)
        #expect(second.1.size > first.size)
        // Worker B: the same key (the operator's), another history.
        try await run(keyFile: files.keyFile) { base, token, verifier, _ in
            #expect(try state.newest(verifier: verifier)?.checkpoint == second.1)
            let fork = await #expect(throws: LetheClientError.self) {
                _ = try await Self.analyseAndProve(base, token: token, verifier: verifier, state: state)
            }
            #expect(fork?.code == "checkpoint_inconsistent", "\(String(describing: fork))")
            // The refused checkpoint was not persisted.
            #expect(try state.newest(verifier: verifier)?.checkpoint == second.1)
            // Control: a device that remembers nothing proves the same kind of receipt here.
            let forgetful = try await Self.analyseAndProve(base, token: token, verifier: verifier, state: nil)
            #expect(forgetful.checkpoint.origin == "lethe.test/forked")
        }
    }

    @Test("a receipt for another request than the answer it came with counts as no receipt")
    func unboundReceiptIsRefused() async throws {
        try await run { base, token, verifier, _ in
            let client = LetheClient(serverURL: base, token: token)
            let (firstResponse, firstReceipt) = try await client.analyzeWithReceipt(photo: TestPhotos.portrait, ledgerKey: verifier)
            let (secondResponse, secondReceipt) = try await client.analyzeWithReceipt(photo: TestPhotos.portrait, ledgerKey: verifier)
            // Each answer's receipt names its own request.
            #expect(firstReceipt.record.requestID == firstResponse.requestID)
            #expect(secondReceipt.record.requestID == secondResponse.requestID)
            // A worker handing the first receipt out again with the second answer: refused.
            let replayed = #expect(throws: LetheClientError.self) {
                _ = try LetheClient.boundReceipt(firstReceipt, requestID: secondResponse.requestID)
            }
            #expect(replayed?.code == "receipt_unbound")
            let anonymous = #expect(throws: LetheClientError.self) {
                _ = try LetheClient.boundReceipt(firstReceipt, requestID: nil)
            }
            #expect(anonymous?.code == "receipt_unbound")
            #expect(try LetheClient.boundReceipt(secondReceipt, requestID: secondResponse.requestID) == secondReceipt)
        }
    }

    @Test("a wrong pinned ledger key refuses the receipt, the checkpoints and the persisted state")
    func wrongPinnedKeyIsRefused() async throws {
        let files = try DeviceFiles(origin: "lethe.test/pinned")
        defer { files.remove() }
        let state = files.state("checkpoints.json")
        try await run(keyFile: files.keyFile) { base, token, verifier, _ in
            let impostor = try NoteSigner.generate(name: "lethe.test/pinned").verifier
            let client = LetheClient(serverURL: base, token: token)
            let unsigned = await #expect(throws: LetheClientError.self) {
                _ = try await client.analyzeWithReceipt(photo: TestPhotos.portrait, ledgerKey: impostor)
            }
            #expect(["note_unsigned", "note_signature_invalid"].contains(unsigned?.code ?? ""), "\(String(describing: unsigned))")
            // A receipt that verifies with the right key is still not proven with a wrong one.
            let (_, receipt) = try await client.analyzeWithReceipt(photo: TestPhotos.portrait, ledgerKey: verifier)
            let unproven = await #expect(throws: LetheClientError.self) {
                _ = try await client.proveInclusion(of: receipt, verifier: impostor, timeout: .seconds(30))
            }
            #expect(["note_unsigned", "note_signature_invalid"].contains(unproven?.code ?? ""), "\(String(describing: unproven))")
            // State persisted under the right key does not verify under another.
            _ = try await Self.analyseAndProve(base, token: token, verifier: verifier, state: state)
            let invalid = #expect(throws: LetheClientError.self) { _ = try state.newest(verifier: impostor) }
            #expect(invalid?.code == "checkpoint_state_invalid")
        }
    }

    @Test("the worker answers and records under the request id the device chose; a malformed one is replaced by its own")
    func deviceChosenRequestID() async throws {
        try await run { base, token, verifier, directory in
            let client = LetheClient(serverURL: base, token: token)
            let config = try #require(try await client.fetchKeyConfigs().first)
            func send(requestID: String) async throws -> String {
                let inner = BinaryHTTPRequest.encode(
                    method: "POST", scheme: "http", authority: "lethe", path: "/v1/analyses?kind=skin",
                    headerFields: [
                        BinaryHTTPField(name: "authorization", value: "Bearer \(token)"),
                        BinaryHTTPField(name: "date", value: HTTPDate.format(Date())),
                        BinaryHTTPField(name: "lethe-request-id", value: requestID),
                    ],
                    content: Data())
                let (head, content) = try await client.send(inner, to: config)
                #expect(head.status == 400)
                return try JSONDecoder().decode(ErrorResponse.self, from: content).requestID
            }
            let chosen = LetheClient.newRequestID()
            #expect(try await send(requestID: chosen) == chosen)
            let shouting = chosen.uppercased()
            let replaced = try await send(requestID: shouting)
            #expect(replaced != shouting && replaced.count == 32)
            // Both refusals left a record, under the id each answer named.
            let records = try await Self.records(in: directory, count: 2)
            #expect(Set(records.map(\.requestID)) == [chosen, replaced])
            _ = verifier
        }
    }

    /// The private records, once `count` of them are on disk (the answer leaves after the record is durable).
    static func records(in directory: URL, count: Int) async throws -> [DeletionRecord] {
        let deadline = ContinuousClock.now + .seconds(30)
        while true {
            let records = (try? DeletionLedger.readEntries(in: directory)) ?? []
            if records.count >= count || ContinuousClock.now > deadline { return records }
            try await Task.sleep(for: .milliseconds(50))
        }
    }
}
