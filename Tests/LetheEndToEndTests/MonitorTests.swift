import Foundation
import LetheClient
import LetheEnvelope
import LetheLedger
import LetheTestSupport
import LetheTransparency
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `lethe audit monitor` (issue 17, point 4; docs/ledger.md §18) against real workers on loopback:
/// a clean log passes; a fork (another ledger directory signed with the same key), a stale
/// checkpoint and a wipe that did not verify each raise their own alert code.
extension LedgerEndToEndTests {
    /// A monitor of the log at `base`, reading over HTTP.
    static func monitor(_ base: URL, verifier: NoteVerifier, maxAgeSeconds: Int64? = nil) -> LogMonitor {
        LogMonitor(verifier: verifier, policy: nil, maxAgeSeconds: maxAgeSeconds) { path in
            let (data, response) = try await URLSession.shared.data(from: base.appendingPathComponent(path))
            guard (response as? HTTPURLResponse)?.statusCode == 200 else { throw URLError(.resourceUnavailable) }
            return data
        }
    }

    /// Analyses one photo and waits until a checkpoint covers at least `size` entries.
    static func analyseAndWait(_ base: URL, token: String, verifier: NoteVerifier, size: Int) async throws -> Int {
        _ = try await LetheClient(serverURL: base, token: token).analyze(photo: TestPhotos.portrait)
        let deadline = ContinuousClock.now + .seconds(30)
        while true {
            let (_, note) = try await Self.get(base, "/ledger/checkpoint")
            let checkpoint = try Checkpoint.open(String(decoding: note, as: UTF8.self), verifier: verifier)
            if checkpoint.size >= size || ContinuousClock.now > deadline { return checkpoint.size }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    @Test("the monitor passes a clean log and alerts a fork, a stale checkpoint and an unverified wipe by their codes")
    func monitorAlerts() async throws {
        let files = try DeviceFiles(origin: "lethe.test/monitored")
        defer { files.remove() }
        let statePath = files.directory.appendingPathComponent("monitor-state.json").path
        let metricsPath = files.directory.appendingPathComponent("monitor.prom").path
        @Sendable func monitorCommand(_ base: URL, _ key: String, _ more: [String] = []) async throws -> (Int32, String) {
            try await LedgerCrashTests.lethe(["audit", "monitor", base.absoluteString, "--key", key, "--state", statePath, "--once"] + more)
        }

        // A clean log: two key entries, one wipe and its summary.
        try await run(keyFile: files.keyFile) { base, token, verifier, _ in
            let size = try await Self.analyseAndWait(base, token: token, verifier: verifier, size: 4)
            let round = await Self.monitor(base, verifier: verifier).check(from: nil)
            #expect(round.alerts.isEmpty, "\(round.alerts)")
            #expect(round.entriesVerified == size && round.keysLogged == 2)
            let (status, output) = try await monitorCommand(base, verifier.verifierKey, ["--metrics", metricsPath])
            #expect(status == 0 && output.contains("OK lethe.test/monitored: checkpoint \(size), \(size) new entries verified"), "\(output)")
            #expect(try String(contentsOfFile: metricsPath, encoding: .utf8).contains("lethe_monitor_verified_size{origin=\"lethe.test/monitored\"} \(size)"))
            // Nothing new: still clean.
            let (again, againOutput) = try await monitorCommand(base, verifier.verifierKey, ["--max-age", "3600"])
            #expect(again == 0, "\(againOutput)")
            // The same checkpoint, first seen two hours ago: stale.
            var state = try MonitorState.load(statePath)
            state.logs[verifier.name]?.seenAt -= 7200
            try state.store(statePath)
            let (stale, staleOutput) = try await monitorCommand(base, verifier.verifierKey, ["--max-age", "3600"])
            #expect(stale == 1 && staleOutput.contains("ALERT checkpoint_stale"), "\(staleOutput)")
        }

        // Another ledger directory, the same signing key, another history of the same size: a fork.
        try await run(keyFile: files.keyFile) { base, token, verifier, _ in
            _ = try await Self.analyseAndWait(base, token: token, verifier: verifier, size: 4)
            let (status, output) = try await monitorCommand(base, verifier.verifierKey)
            #expect(status == 1 && output.contains("ALERT checkpoint_inconsistent"), "\(output)")
            // Control: a monitor without the kept state finds this log clean.
            #expect(await Self.monitor(base, verifier: verifier).check(from: nil).alerts.isEmpty)
        }

        // A log holding a wipe whose read-back verify failed.
        try await run(keyFile: files.keyFile, prefill: { directory in
            var configuration = LedgerConfiguration()
            configuration.signingKeyFile = files.keyFile.path
            let ledger = try DeletionLedger(directory: directory, configuration: configuration)
            try await ledger.append(DeletionRecord(
                requestID: String(repeating: "ab", count: 16), devicePseudonym: nil, kind: "skin", receivedAt: Date(),
                plaintextLifetimeMicroseconds: 1000, bytesWiped: ["pixels": 64], buffersWiped: 1, wipeVerified: false, errorCode: nil))
            try await ledger.publish(closingOpenPeriod: true)
        }) { base, _, verifier, _ in
            let round = await Self.monitor(base, verifier: verifier).check(from: nil)
            #expect(round.alerts.map(\.code) == ["wipe_unverified"], "\(round.alerts)")
        }
    }
}
