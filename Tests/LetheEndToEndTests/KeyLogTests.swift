import Foundation
@testable import LetheClient
import LetheEnvelope
import LetheLedger
@testable import LetheServer
import LetheTransparency
import Testing

/// Logged keys (issue 17, point 2; docs/ledger.md §17): every OHTTP key configuration the worker
/// accepts is in its log under a signed checkpoint before it is served, and a device with a
/// pinned ledger key encrypts to nothing else. Real workers with real key files over loopback.
extension LedgerEndToEndTests {
    /// A key file with an X25519 and an X-Wing key (ids `first`, `first + 1`).
    static func writeKeyFile(_ path: String, first: UInt8) throws -> [OHTTPPrivateKey] {
        let keys = [try OHTTPPrivateKey.generate(keyID: first, kem: .x25519), try OHTTPPrivateKey.generate(keyID: first + 1, kem: .xWing)]
        try OHTTPKeyFile.write(keys, to: path)
        return keys
    }

    /// Runs a worker whose OHTTP keys come from a key file (ids 1 and 2) and whose ledger key is
    /// `files`' own; `body` gets the worker, its URL, its ledger directory and the key file's path.
    func runWithKeyFile<Result: Sendable>(
        _ files: DeviceFiles, reloadIntervalSeconds: Double = 10,
        _ body: @escaping @Sendable (LetheWorker, URL, URL, String) async throws -> Result
    ) async throws -> Result {
        let keyFile = files.directory.appendingPathComponent("ohttp-keys.json").path
        _ = try Self.writeKeyFile(keyFile, first: 1)
        return try await runWorker(keyFile: files.keyFile, configure: {
            $0.keyFile = keyFile
            $0.keyReloadIntervalSeconds = reloadIntervalSeconds
        }) { worker, base, directory in try await body(worker, base, directory, keyFile) }
    }

    /// The `ohttp_key` entries of the ledger in `directory`.
    static func loggedKeys(_ directory: URL) throws -> [KeyConfigEntry] {
        try DeletionLedger.readLog(in: directory).compactMap { if case .key(let key) = $0 { key } else { nil } }
    }

    @Test("every key the worker accepts is logged before it serves; a device proves it before encrypting")
    func keysAreLoggedAndProven() async throws {
        let files = try DeviceFiles(origin: "lethe.test/keys")
        defer { files.remove() }
        try await runWithKeyFile(files) { worker, base, directory, keyFile in
            let keys = try OHTTPKeyFile.read(from: keyFile)
            let verifier = try NoteVerifier(verifierKey: worker.ledgerVerifierKey)
            // Logged at start, first in the log, and covered by the checkpoint served.
            let logged = try Self.loggedKeys(directory)
            #expect(logged.map(\.sequence) == [0, 1])
            #expect(logged.compactMap(\.configBytes) == keys.map { $0.config.encoded() })
            var device = LetheClient(serverURL: base, token: worker.demoToken!)
            device.ledgerKey = verifier
            device.checkpointState = files.state("checkpoints.json")
            let served = try await device.fetchKeyConfigs()
            #expect(served.map(\.keyID) == [1, 2])
            for config in served {
                let proven = try await device.proveKeyConfig(config, verifier: verifier)
                #expect(proven.index == Int(config.keyID) - 1)
                #expect(proven.index < proven.checkpoint.size)
            }
            // The proof advanced the device's persisted checkpoint.
            #expect(try device.checkpointState?.newest(verifier: verifier)?.checkpoint.size ?? 0 >= 2)
            // A device that checks keys analyses as before, X25519 and X-Wing alike, with receipts.
            _ = try await device.analyze(photo: TestPhotos.portrait)
            let (_, receipt) = try await device.analyzeWithReceipt(photo: TestPhotos.portrait, postQuantum: true, ledgerKey: verifier)
            _ = try await device.proveInclusion(of: receipt, verifier: verifier, timeout: .seconds(30))
            // The auditor accepts a log with key entries, and they were logged once.
            let audit = LedgerAuditor.verify(directory, verifier: verifier)
            #expect(audit.failures.isEmpty, "\(audit.failures)")
            #expect(try Self.loggedKeys(directory).count == 2)
        }
    }

    @Test("a key served to a device without being logged (key targeting) is refused before anything is sent")
    func targetedKeyIsRefused() async throws {
        let files = try DeviceFiles(origin: "lethe.test/targeted")
        defer { files.remove() }
        try await runWithKeyFile(files) { worker, base, directory, keyFile in
            let verifier = try NoteVerifier(verifierKey: worker.ledgerVerifierKey)
            // The operator turns: key 3 is put in use and served by the discovery route without
            // being logged (the reload path that skips the log, as a modified worker would).
            let targeted = try Self.writeKeyFile(keyFile, first: 3)[0]
            _ = try worker.pipeline.gateway.keyRing.reload(force: true, gracePeriod: 0)
            let plain = LetheClient(serverURL: base, token: worker.demoToken!)
            #expect(try await plain.fetchKeyConfigs().contains(targeted.config))
            #expect(!(try Self.loggedKeys(directory).compactMap(\.configBytes).contains(targeted.config.encoded())))

            var device = plain
            device.ledgerKey = verifier
            device.checkpointState = files.state("checkpoints.json")
            let recordsBefore = await worker.pipeline.ledger.recordCount
            let served = await #expect(throws: LetheClientError.self) { _ = try await device.analyze(photo: TestPhotos.portrait) }
            #expect(served?.code == "key_config_unlogged", "\(String(describing: served))")
            // Handed out of band (a pinned config) it is refused the same way.
            device.pinnedKeyConfig = targeted.config
            let pinned = await #expect(throws: LetheClientError.self) {
                _ = try await device.analyzeWithReceipt(photo: TestPhotos.portrait, ledgerKey: verifier)
            }
            #expect(pinned?.code == "key_config_unlogged", "\(String(describing: pinned))")
            // Nothing reached the worker.
            #expect(await worker.pipeline.ledger.recordCount == recordsBefore)
            // Control: the key is real and accepted; a device that does not check keys uses it.
            let response = try await plain.analyze(photo: TestPhotos.portrait)
            #expect(!response.requestID.isEmpty)
            #expect(await worker.pipeline.ledger.recordCount == recordsBefore + 1)
        }
    }

    @Test("a reloaded key file's keys are logged, under a signed checkpoint, before they are served")
    func reloadLogsBeforeServing() async throws {
        let files = try DeviceFiles(origin: "lethe.test/reload")
        defer { files.remove() }
        try await runWithKeyFile(files, reloadIntervalSeconds: 0.05) { worker, base, directory, keyFile in
            let verifier = try NoteVerifier(verifierKey: worker.ledgerVerifierKey)
            var device = LetheClient(serverURL: base, token: worker.demoToken!)
            device.ledgerKey = verifier
            device.checkpointState = files.state("checkpoints.json")
            let rotated = try Self.writeKeyFile(keyFile, first: 3)
            // Every config discovery serves, at any moment of the reload, is already proven.
            let deadline = ContinuousClock.now + .seconds(30)
            var served = try await device.fetchKeyConfigs()
            while !served.contains(rotated[0].config), ContinuousClock.now < deadline {
                for config in served { _ = try await device.proveKeyConfig(config, verifier: verifier) }
                served = try await device.fetchKeyConfigs()
            }
            #expect(served.map(\.keyID) == [3, 4])
            for config in served {
                let proven = try await device.proveKeyConfig(config, verifier: verifier)
                #expect(proven.index >= 2)
            }
            let logged = try Self.loggedKeys(directory)
            #expect(logged.map(\.sequence) == [0, 1, 2, 3])
            #expect(logged.suffix(2).compactMap(\.configBytes) == rotated.map { $0.config.encoded() })
            _ = try await device.analyze(photo: TestPhotos.portrait)
            // The compliance report lists the key log: the first keys superseded by the rotated ones.
            let report = LedgerReport.make(directories: [directory], verifiers: [verifier], since: nil, until: nil)
            #expect(report.keys.map(\.keyID) == [1, 2, 3, 4])
            #expect(report.keys.prefix(2).allSatisfy { $0.supersededIn == logged[2].period })
            #expect(report.keys.suffix(2).allSatisfy { $0.supersededIn == nil })
            #expect(try LedgerReportRenderer.render(report, as: .md).contains("## OHTTP key log"))
        }
    }
}
