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
        try await run(keyFile: files.keyFile, prefill: { try await Self.ledgerWithUnverifiedWipe($0, keyFile: files.keyFile) }) { base, _, verifier, _ in
            let round = await Self.monitor(base, verifier: verifier).check(from: nil)
            #expect(round.alerts.map(\.code) == ["wipe_unverified"], "\(round.alerts)")
        }
    }
}

extension LedgerEndToEndTests {
    /// A ledger holding one published wipe whose read-back verify failed, signed with `keyFile`.
    static func ledgerWithUnverifiedWipe(_ directory: URL, keyFile: URL) async throws {
        var configuration = LedgerConfiguration()
        configuration.signingKeyFile = keyFile.path
        let ledger = try DeletionLedger(directory: directory, configuration: configuration)
        try await ledger.append(DeletionRecord(
            requestID: String(repeating: "ab", count: 16), devicePseudonym: nil, kind: "skin", receivedAt: Date(),
            plaintextLifetimeMicroseconds: 1000, bytesWiped: ["pixels": 64], buffersWiped: 1, wipeVerified: false, errorCode: nil))
        try await ledger.publish(closingOpenPeriod: true)
    }
}

/// The gap, quorum and reachability alerts (docs/ledger.md §18), each from a real log: a ledger
/// directory edited as its operator could (a log entry removed, the checkpoints re-signed over
/// the rest) served by a real worker; a mirror on a real HTTP server (python3's http.server) that
/// serves the worker's signed checkpoint with one entry left out of its bundle; a witness policy
/// the worker's checkpoints do not meet; a port nothing answers on. The metrics file passes
/// `promtool check metrics`.
extension LedgerEndToEndTests {
    /// Three verified wipes, published and checkpointed, then log entry #1 removed from the log
    /// and the checkpoints and tiles deleted (they would give the edit away):
    /// the worker that opens the directory signs checkpoints over the edited log.
    static func ledgerWithRemovedCommitment(_ directory: URL, keyFile: URL) async throws {
        var configuration = LedgerConfiguration()
        configuration.signingKeyFile = keyFile.path
        do {
            let ledger = try DeletionLedger(directory: directory, configuration: configuration)
            for index in 0..<3 {
                try await ledger.append(DeletionRecord(
                    requestID: String(repeating: "0\(index)", count: 16), devicePseudonym: nil, kind: "skin", receivedAt: Date(),
                    plaintextLifetimeMicroseconds: 1000, bytesWiped: ["pixels": 64], buffersWiped: 1, wipeVerified: true, errorCode: nil))
            }
            _ = try await ledger.publish(closingOpenPeriod: true)
        }
        let segment = directory.appendingPathComponent("log/00000000000000000000.jsonl")
        var lines = try String(contentsOf: segment, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        // Entry #1: the second commitment, or the first batch's summary when the appends crossed a
        // period boundary; either way its removal leaves entry #1 carrying sequence 2.
        #expect(lines.count >= 5 && lines[1].contains(#""sequence":1,"#), "\(lines)")
        lines.remove(at: 1)
        try Data(lines.joined(separator: "\n").utf8).write(to: segment)
        try FileManager.default.removeItem(at: directory.appendingPathComponent("checkpoints"))
        try? FileManager.default.removeItem(at: directory.appendingPathComponent("tile"))
    }

    /// `python3 -m http.server` over `directory` on a free loopback port, until `body` returns.
    static func withStaticServer<Result: Sendable>(_ directory: URL, _ body: (URL) async throws -> Result) async throws -> Result {
        let port = try ScriptedServer.closedPort()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-m", "http.server", "\(port)", "--bind", "127.0.0.1", "--directory", directory.path]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer {
            // SIGKILL: the test process ignores SIGTERM (swift-service-lifecycle), and so would its child.
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        let base = URL(string: "http://127.0.0.1:\(port)")!
        // Ready when it answers (a refused connection until it listens).
        let deadline = ContinuousClock.now + .seconds(30)
        while (try? await URLSession.shared.data(from: base.appendingPathComponent("ledger/checkpoint"))) == nil {
            guard process.isRunning, ContinuousClock.now < deadline else { throw URLError(.cannotConnectToHost) }
            try await Task.sleep(for: .milliseconds(50))
        }
        return try await body(base)
    }

    @Test("the monitor alerts a gap in an edited ledger, entries a mirror leaves out, a missing witness quorum and an unreachable log; its metrics pass promtool")
    func monitorAlertsGapQuorumAndUnreachable() async throws {
        let files = try DeviceFiles(origin: "lethe.test/edited")
        defer { files.remove() }
        let metricsPath = files.directory.appendingPathComponent("monitor.prom").path
        @Sendable func monitorCommand(_ base: URL, _ key: String, _ more: [String]) async throws -> (Int32, String) {
            try await LedgerCrashTests.lethe(["audit", "monitor", base.absoluteString, "--key", key, "--once", "--metrics", metricsPath] + more)
        }
        @Sendable func lintMetrics() async throws -> String {
            let metrics = try String(contentsOfFile: metricsPath, encoding: .utf8)
            let lint = try await OperationsTests.promtoolCheckMetrics(metrics)
            #expect(lint.status == 0, "promtool check metrics: \(lint.output)\n\(metrics)")
            return metrics
        }

        // The operator removed a commitment and re-signed: entry #1 carries sequence 2.
        try await run(keyFile: files.keyFile, prefill: { try await Self.ledgerWithRemovedCommitment($0, keyFile: files.keyFile) }) { base, _, verifier, _ in
            let round = await Self.monitor(base, verifier: verifier).check(from: nil)
            #expect(round.alerts.map(\.code) == ["sequence_gap"], "\(round.alerts)")
            #expect(round.alerts.first?.message.contains("entry #1 carries sequence 2") == true, "\(round.alerts)")
            #expect(round.state == nil, "a log with a gap is never kept as verified")
            let (status, output) = try await monitorCommand(base, verifier.verifierKey, [])
            #expect(status == 1 && output.contains("ALERT sequence_gap lethe.test/edited: entry #1 carries sequence 2"), "\(output)")
            let metrics = try await lintMetrics()
            #expect(metrics.contains("lethe_monitor_alerts_total{code=\"sequence_gap\"} 1") && metrics.contains("lethe_monitor_alerts_total{code=\"entries_missing\"} 0"))
        }

        try await run(keyFile: files.keyFile) { base, token, verifier, _ in
            let size = try await Self.analyseAndWait(base, token: token, verifier: verifier, size: 4)
            // A witness the worker never asked: its quorum is missing, from the library and the command.
            let absent = try CosignerSigner.generate(name: "witness.test/absent")
            let policy = try WitnessPolicy(witnesses: [absent.verifier], quorum: 1)
            let fetch = Self.monitor(base, verifier: verifier).fetch
            let round = await LogMonitor(verifier: verifier, policy: policy, maxAgeSeconds: nil, fetch: fetch).check(from: nil)
            #expect(round.alerts.map(\.code) == ["witness_quorum_missing"], "\(round.alerts)")
            let (status, output) = try await monitorCommand(base, verifier.verifierKey, ["--witness", absent.verifier.verifierKey])
            #expect(status == 1 && output.contains("ALERT witness_quorum_missing lethe.test/edited: checkpoint "), "\(output)")
            #expect(try await lintMetrics().contains("lethe_monitor_alerts_total{code=\"witness_quorum_missing\"} 1"))

            // A mirror of this log that serves its signed checkpoint but leaves the last entry out of the bundle.
            let mirror = Self.temporaryDirectory("mirror")
            defer { try? FileManager.default.removeItem(at: mirror) }
            let (_, note) = try await Self.get(base, "/ledger/checkpoint")
            let checkpoint = try Checkpoint.open(String(decoding: note, as: UTF8.self), verifier: verifier)
            #expect(checkpoint.size >= size)
            let bundlePath = "ledger/" + TilePath(level: nil, index: 0, width: checkpoint.size).path
            let (bundleStatus, bundle) = try await Self.get(base, "/" + bundlePath)
            let entries = try #require(LogMonitor.entries(of: bundle))
            #expect(bundleStatus == 200 && entries.count == checkpoint.size)
            let shortened = entries.dropLast().reduce(into: Data()) { $0 += [UInt8($1.count >> 8), UInt8($1.count & 0xFF)] + $1 }
            try FileManager.default.createDirectory(at: mirror.appendingPathComponent(bundlePath).deletingLastPathComponent(), withIntermediateDirectories: true)
            try note.write(to: mirror.appendingPathComponent("ledger/checkpoint"))
            try shortened.write(to: mirror.appendingPathComponent(bundlePath))
            try await Self.withStaticServer(mirror) { mirrorBase in
                let round = await Self.monitor(mirrorBase, verifier: verifier).check(from: nil)
                #expect(round.alerts.map(\.code) == ["entries_missing"], "\(round.alerts)")
                // Control: the full bundle in the same mirror verifies.
                try bundle.write(to: mirror.appendingPathComponent(bundlePath))
                let complete = await Self.monitor(mirrorBase, verifier: verifier).check(from: nil)
                #expect(complete.alerts.isEmpty && complete.entriesVerified == checkpoint.size, "\(complete.alerts)")
            }
        }

        // Nothing answers on the log's address.
        let nowhere = URL(string: "http://127.0.0.1:\(try ScriptedServer.closedPort())")!
        let verifier = try NoteSigner(privateKeyString: String(contentsOf: files.keyFile, encoding: .utf8)).verifier
        let round = await Self.monitor(nowhere, verifier: verifier).check(from: nil)
        #expect(round.alerts.map(\.code) == ["log_unreachable"], "\(round.alerts)")
        let (status, output) = try await monitorCommand(nowhere, verifier.verifierKey, [])
        #expect(status == 1 && output.contains("ALERT log_unreachable"), "\(output)")
        #expect(try await lintMetrics().contains("lethe_monitor_alerts_total{code=\"log_unreachable\"} 1"))
    }
}
