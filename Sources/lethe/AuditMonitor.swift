import ArgumentParser
import Foundation
import LetheLedger
import LetheTransparency

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

extension Audit {
    /// `lethe audit monitor`: follows live logs over HTTP (docs/ledger.md §18).
    struct Monitor: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Follow live ledgers over HTTP (checkpoints and entry bundles only), verify every entry and every checkpoint's consistency, and alert.",
            discussion: "Alerts, one line each (ALERT <code> <origin>: …): checkpoint_inconsistent (a fork or rollback), sequence_gap / entries_missing (a gap), checkpoint_stale (unchanged for more than --max-age seconds), wipe_unverified, witness_quorum_missing, log_unreachable, and the auditor's entry codes. With --once: exit 1 when any alert was raised, else 0.")

        @Argument(help: "Worker base URLs, e.g. http://worker:8080.")
        var urls: [String]
        @Option(help: "The logs' C2SP verifier keys (repeat for several logs); each URL's checkpoint is verified with the key named after its origin.")
        var key: [String]
        @Option(help: "A witness's cosigner vkey; repeat for several. Every checkpoint must carry --quorum of their cosignatures.")
        var witness: [String] = []
        @Option(help: "With --witness: how many of them must have cosigned. Default all.")
        var quorum: Int?
        @Option(help: "File keeping each log's last verified checkpoint and compact range across runs (written atomically).")
        var state: String?
        @Option(help: "Seconds between rounds (1–86400).")
        var interval: Int = 60
        @Option(name: .customLong("max-age"), help: "Alert checkpoint_stale when a log's checkpoint has not changed for more than this many seconds (1–31536000). Default: never.")
        var maxAge: Int?
        @Option(help: "Write Prometheus text-format metrics to this file after every round (for node_exporter's textfile collector).")
        var metrics: String?
        @Flag(help: "One round, then exit: 1 when any alert was raised, 0 otherwise.")
        var once = false

        func validate() throws {
            guard (1...86_400).contains(interval) else { throw ValidationError("--interval must be 1…86400 seconds") }
            if let maxAge, !(1...31_536_000).contains(maxAge) { throw ValidationError("--max-age must be 1…31536000 seconds") }
            for url in urls where URL(string: url)?.host == nil { throw ValidationError("\(url) is not an http(s) URL") }
        }

        func run() async throws {
            let verifiers: [NoteVerifier]
            do { verifiers = try key.map { try NoteVerifier(verifierKey: $0) } } catch { throw ValidationError("--key: \(error)") }
            let policy: WitnessPolicy?
            do { policy = witness.isEmpty ? nil : try WitnessPolicy(verifierKeys: witness, quorum: quorum) } catch { throw ValidationError("--witness: \(error)") }
            var kept = try state.map { try MonitorState.load($0) } ?? MonitorState()
            var alertCounts: [String: Int] = [:]
            while true {
                var raised = 0
                var sizes: [String: Int] = [:]
                for url in urls {
                    let base = URL(string: url)!
                    let fetch: @Sendable (String) async throws -> Data = { path in try await Self.get(base, path) }
                    // The log's origin is the checkpoint's first line; its key must be pinned.
                    let served = try? await fetch("ledger/checkpoint")
                    let origin = served.flatMap { String(decoding: $0, as: UTF8.self).split(separator: "\n").first.map(String.init) }
                    guard let verifier = verifiers.first(where: { $0.name == origin }) ?? (verifiers.count == 1 ? verifiers[0] : nil) else {
                        let code = served == nil ? "log_unreachable" : "note_unsigned"
                        print("ALERT \(code) \(url): " + (served == nil ? "the checkpoint could not be read" : "no --key is named after the log's origin \(origin ?? "")"))
                        raised += 1
                        alertCounts[code, default: 0] += 1
                        continue
                    }
                    let monitor = LogMonitor(verifier: verifier, policy: policy, maxAgeSeconds: maxAge.map(Int64.init), fetch: fetch)
                    let round = await monitor.check(from: kept.logs[verifier.name])
                    kept.logs[verifier.name] = round.state
                    sizes[verifier.name] = round.state?.size ?? 0
                    for alert in round.alerts {
                        print("ALERT \(alert.code) \(alert.message) (\(url))")
                        alertCounts[alert.code, default: 0] += 1
                    }
                    raised += round.alerts.count
                    if round.alerts.isEmpty {
                        print("OK \(verifier.name): checkpoint \(round.checkpointSize), \(round.entriesVerified) new entries verified (\(round.keysLogged) key configurations logged)")
                    }
                }
                if let state { try kept.store(state) }
                if let metrics { try Self.writeMetrics(metrics, alerts: alertCounts, sizes: sizes) }
                if once { if raised > 0 { throw ExitCode(1) } else { return } }
                try await Task.sleep(for: .seconds(interval))
            }
        }

        static func get(_ base: URL, _ path: String) async throws -> Data {
            var request = URLRequest(url: base.appendingPathComponent(path))
            request.timeoutInterval = 30
            let (body, response) = try await URLSession.shared.data(for: request)
            guard (response as? HTTPURLResponse)?.statusCode == 200 else { throw ExitCode(1) }
            return body
        }

        /// The alert codes always present in the metrics (at 0 until raised), so that a rate or an
        /// increase over them is defined from the first scrape.
        static let alertCodes = [
            "checkpoint_inconsistent", "checkpoint_stale", "entries_missing", "log_unreachable", "sequence_gap", "wipe_unverified",
            "witness_quorum_missing",
        ]

        /// A Prometheus label value: backslash, double quote and newline escaped (text format 0.0.4).
        static func labelValue(_ text: String) -> String {
            text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
        }

        /// Prometheus text format (0.0.4), replaced atomically (temporary file, rename), for
        /// node_exporter's textfile collector (docs/ledger.md §18).
        static func writeMetrics(_ path: String, alerts: [String: Int], sizes: [String: Int], now: Date = Date()) throws {
            let counts = alerts.merging(alertCodes.map { ($0, 0) }) { raised, _ in raised }
            var text = "# HELP lethe_monitor_alerts_total Alerts raised by lethe audit monitor since it started, by code.\n# TYPE lethe_monitor_alerts_total counter\n"
            for (code, count) in counts.sorted(by: { $0.key < $1.key }) { text += "lethe_monitor_alerts_total{code=\"\(labelValue(code))\"} \(count)\n" }
            text += "# HELP lethe_monitor_verified_size Entries of each log verified so far.\n# TYPE lethe_monitor_verified_size gauge\n"
            for (origin, size) in sizes.sorted(by: { $0.key < $1.key }) { text += "lethe_monitor_verified_size{origin=\"\(labelValue(origin))\"} \(size)\n" }
            text += "# HELP lethe_monitor_last_round_timestamp_seconds When the monitor finished its last round (POSIX seconds): alert when it stops advancing.\n"
            text += "# TYPE lethe_monitor_last_round_timestamp_seconds gauge\nlethe_monitor_last_round_timestamp_seconds \(Int64(now.timeIntervalSince1970))\n"
            let temporary = path + ".tmp"
            try Data(text.utf8).write(to: URL(fileURLWithPath: temporary))
            guard rename(temporary, path) == 0 else { throw ValidationError("--metrics: cannot write \(path)") }
        }
    }
}
