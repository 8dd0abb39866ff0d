import Foundation
import LetheServer

/// The figures of one `lethe bench` run, as a table or JSON.
struct BenchReport: Encodable {
    struct Latency: Encodable {
        let p50: Double, p95: Double, p99: Double, mean: Double, max: Double
    }

    let server: String
    let kind: String
    let concurrency: Int
    let photos: [String]
    let seconds: Double
    let requests: Int
    let ok: Int
    /// Error counts by stable code (the worker's, or the client's such as `worker_unreachable`).
    let errors: [String: Int]
    /// Answered analyses per second.
    let throughputPerSecond: Double
    /// Client-side round trip of the answered analyses (encrypt, send, worker, receive, decrypt), ms.
    let latencyMilliseconds: Latency?
    /// Peak RSS of the worker (an embedded one's gateway and engines, each's VmHWM) when the load
    /// ended (the first device had sent its last request), and where the figure comes from.
    let peakServerRSSBytes: Double?
    let peakServerRSSSource: String?
    /// Highest summed PSS of an embedded worker's gateway and engines (shared library pages
    /// counted once), sampled every 0.25 s while every device was sending (as the peak RSS);
    /// nil for a worker given with --server.
    let peakServerPSSBytes: Double?
    /// The same over the whole run: with its drain, when the last requests have cores to spare.
    let peakServerPSSBytesWithDrain: Double?
    /// Server-side means over this run (deltas of the /metrics histograms), ms.
    let meanPlaintextLifetimeMilliseconds: Double?
    /// Every wipe of a request (each plaintext buffer zeroed and read back, in the gateway and
    /// its engine, summed over the buffers), ms.
    let meanWipeMilliseconds: Double?
    let meanStageMilliseconds: [String: Double]
    /// Mean wipe time as a fraction of the mean client-side latency.
    let wipeShareOfRequest: Double?
    /// Mean wipe time as a fraction of an embedded worker's CPU per request.
    let wipeShareOfWorkerCPU: Double?
    /// CPU time (user + system) per completed request of this bench process itself: what the
    /// load generator took from a machine it shares with the worker, ms.
    let clientCPUMillisecondsPerRequest: Double?
    /// CPU time per completed request of an embedded worker's gateway and of its engine
    /// processes (/proc/PID/stat), ms; nil for a worker given with --server.
    let gatewayCPUMillisecondsPerRequest: Double?
    let engineCPUMillisecondsPerRequest: Double?

    init(
        server: String, kind: String, concurrency: Int, photos: [String], outcome: BenchLoad.Outcome,
        peakServerRSS: (bytes: Double, source: String)?, peakServerPSSBytes: Double? = nil, peakServerPSSBytesWithDrain: Double? = nil, cpu: BenchCPU, before: [String: Double]?, after: [String: Double]?
    ) {
        self.server = server
        self.kind = kind
        self.concurrency = concurrency
        self.photos = photos
        seconds = outcome.elapsed.inSeconds
        requests = outcome.completed
        ok = outcome.okLatencies.count
        errors = outcome.errors
        throughputPerSecond = seconds > 0 ? Double(ok) / seconds : 0
        let sorted = outcome.okLatencies.map { $0.inSeconds * 1000 }.sorted()
        latencyMilliseconds = sorted.isEmpty ? nil : Latency(
            p50: Self.percentile(sorted, 0.50), p95: Self.percentile(sorted, 0.95), p99: Self.percentile(sorted, 0.99),
            mean: sorted.reduce(0, +) / Double(sorted.count), max: sorted.last!)
        let perRequest = requests > 0 ? 1000 / Double(requests) : nil
        clientCPUMillisecondsPerRequest = perRequest.map { cpu.clientSeconds * $0 }
        gatewayCPUMillisecondsPerRequest = perRequest.flatMap { perRequest in cpu.worker.map { $0.gatewaySeconds * perRequest } }
        engineCPUMillisecondsPerRequest = perRequest.flatMap { perRequest in cpu.worker.map { $0.engineSeconds * perRequest } }
        peakServerRSSBytes = peakServerRSS?.bytes
        peakServerRSSSource = peakServerRSS?.source
        self.peakServerPSSBytes = peakServerPSSBytes
        self.peakServerPSSBytesWithDrain = peakServerPSSBytesWithDrain
        /// Mean of a histogram over the run: Δsum / Δcount.
        func meanMilliseconds(_ name: String, labels: String = "") -> Double? {
            let countSeries = name + "_count" + labels, sumSeries = name + "_sum" + labels
            guard let before, let after,
                  let count = after[countSeries].map({ $0 - (before[countSeries] ?? 0) }), count > 0,
                  let sum = after[sumSeries].map({ $0 - (before[sumSeries] ?? 0) })
            else { return nil }
            return sum / count * 1000
        }
        meanPlaintextLifetimeMilliseconds = meanMilliseconds("lethe_plaintext_lifetime_seconds")
        var stages: [String: Double] = [:]
        for stage in WorkerMetrics.Stage.allCases {
            stages[stage.rawValue] = meanMilliseconds("lethe_stage_duration_seconds", labels: "{stage=\"\(stage.rawValue)\"}")
        }
        meanStageMilliseconds = stages
        meanWipeMilliseconds = meanMilliseconds("lethe_wipe_duration_seconds")
        if let wipe = meanWipeMilliseconds, let mean = latencyMilliseconds?.mean, mean > 0 {
            wipeShareOfRequest = wipe / mean
        } else {
            wipeShareOfRequest = nil
        }
        if let wipe = meanWipeMilliseconds, let gateway = gatewayCPUMillisecondsPerRequest, let engines = engineCPUMillisecondsPerRequest,
           gateway + engines > 0 {
            wipeShareOfWorkerCPU = wipe / (gateway + engines)
        } else {
            wipeShareOfWorkerCPU = nil
        }
    }

    /// Nearest-rank percentile of sorted values.
    static func percentile(_ sorted: [Double], _ fraction: Double) -> Double {
        let rank = Int((fraction * Double(sorted.count)).rounded(.up))
        return sorted[min(sorted.count - 1, max(0, rank - 1))]
    }

    var text: String {
        func ms(_ value: Double?) -> String { value.map { String(format: "%.1f ms", $0) } ?? "n/a" }
        var lines = [
            "server         \(server), kind=\(kind), \(concurrency) concurrent devices, \(photos.count) photo(s)",
            "requests       \(requests) in \(String(format: "%.1f", seconds)) s: \(ok) ok, \(requests - ok) errors",
            "throughput     \(String(format: "%.2f", throughputPerSecond)) analyses/s",
            "latency        p50 \(ms(latencyMilliseconds?.p50))  p95 \(ms(latencyMilliseconds?.p95))  p99 \(ms(latencyMilliseconds?.p99))  mean \(ms(latencyMilliseconds?.mean))  max \(ms(latencyMilliseconds?.max))",
        ]
        if !errors.isEmpty {
            lines.append("errors         " + errors.sorted { $0.key < $1.key }.map { "\($0.key) ×\($0.value)" }.joined(separator: ", "))
        }
        lines.append("peak RSS       " + (peakServerRSSBytes.map { String(format: "%.1f MB (%@)", $0 / 1_000_000, peakServerRSSSource ?? "") } ?? "n/a (no --admin)"))
        if let peakServerPSSBytes {
            let drain = peakServerPSSBytesWithDrain.map { String(format: "; %.1f MB with the run's end, its last requests with cores to spare", $0 / 1_000_000) } ?? ""
            lines.append("peak PSS       " + String(format: "%.1f MB (summed Pss of the same processes, /proc/PID/smaps_rollup every 0.25 s%@)", peakServerPSSBytes / 1_000_000, drain))
        }
        let wipeShares = [
            wipeShareOfRequest.map { String(format: "%.2f%% of the mean request", $0 * 100) },
            wipeShareOfWorkerCPU.map { String(format: "%.2f%% of the worker's CPU", $0 * 100) },
        ].compactMap { $0 }
        lines.append("plaintext      mean lifetime \(ms(meanPlaintextLifetimeMilliseconds)), mean wipe \(ms(meanWipeMilliseconds))"
            + (wipeShares.isEmpty ? "" : " (" + wipeShares.joined(separator: ", ") + ")")
            + " — every buffer zeroed and read back, in the gateway and the engine")
        lines.append("CPU/request    client \(ms(clientCPUMillisecondsPerRequest))"
            + (gatewayCPUMillisecondsPerRequest.map { gateway in
                ", worker \(ms(gateway + (engineCPUMillisecondsPerRequest ?? 0))) (gateway \(ms(gateway)), engines \(ms(engineCPUMillisecondsPerRequest)))"
            } ?? ", worker n/a (--server)"))
        let stages = WorkerMetrics.Stage.allCases.compactMap { stage in meanStageMilliseconds[stage.rawValue].map { "\(stage.rawValue) \(ms($0))" } }
        if !stages.isEmpty { lines.append("stage means    " + stages.joined(separator: ", ")) }
        return lines.joined(separator: "\n")
    }
}

/// CPU seconds of the bench process and of its embedded worker at one moment, or between two.
struct BenchCPU: Sendable {
    var clientSeconds: Double
    var worker: ProcessCPU.Worker?

    static func now(worker pid: Int32?) -> BenchCPU {
        BenchCPU(clientSeconds: ProcessCPU.ownSeconds(), worker: pid.flatMap { ProcessCPU.worker(pid: $0) })
    }

    static func - (after: BenchCPU, before: BenchCPU) -> BenchCPU {
        var worker: ProcessCPU.Worker?
        if let late = after.worker, let early = before.worker {
            worker = ProcessCPU.Worker(gatewaySeconds: late.gatewaySeconds - early.gatewaySeconds, engineSeconds: late.engineSeconds - early.engineSeconds)
        }
        return BenchCPU(clientSeconds: after.clientSeconds - before.clientSeconds, worker: worker)
    }
}

/// The real worker binary as a child process, so that its memory is its own: `lethe serve
/// --port 0 --admin-port 0` with a temporary ledger, found through its start-up lines.
final class EmbeddedBenchWorker: Sendable {
    let process: Process
    let directory: URL
    let serverURL: URL
    let adminURL: URL
    let token: String
    let pid: Int32

    private init(process: Process, directory: URL, serverURL: URL, adminURL: URL, token: String, pid: Int32) {
        self.process = process
        self.directory = directory
        self.serverURL = serverURL
        self.adminURL = adminURL
        self.token = token
        self.pid = pid
    }

    /// Starts `lethe serve` from this very executable and waits until it listens (60 s at most).
    static func start(engineProcesses: Int? = nil) throws -> EmbeddedBenchWorker {
        let directory = URL(fileURLWithPath: "/tmp").appendingPathComponent("lethe-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let stdout = directory.appendingPathComponent("stdout"), stderr = directory.appendingPathComponent("stderr")
        for file in [stdout, stderr] {
            guard FileManager.default.createFile(atPath: file.path, contents: nil) else { throw BenchError("cannot create \(file.path)") }
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        process.arguments = ["serve", "--port", "0", "--admin-port", "0", "--ledger-dir", directory.appendingPathComponent("ledger").path]
            + (engineProcesses.map { ["--engine-processes", String($0)] } ?? [])
        process.standardOutput = try FileHandle(forWritingTo: stdout)
        process.standardError = try FileHandle(forWritingTo: stderr)
        try process.run()

        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, process.isRunning {
            let output = (try? String(contentsOf: stdout, encoding: .utf8)) ?? ""
            if let port = capture(#"listening on (http://[^ ]+) \(pid (\d+)\)"#, in: output),
               let admin = capture(#"readyz\) on (http://\S+)"#, in: output),
               let token = capture(#"--token (\S+)"#, in: output),
               let serverURL = URL(string: port[0]), let adminURL = URL(string: admin[0]), let pid = Int32(port[1]) {
                return EmbeddedBenchWorker(process: process, directory: directory, serverURL: serverURL, adminURL: adminURL, token: token[0], pid: pid)
            }
            usleep(50_000)
        }
        let log = (try? String(contentsOf: stderr, encoding: .utf8)) ?? ""
        if process.isRunning { process.terminate() }
        try? FileManager.default.removeItem(at: directory)
        throw BenchError("the embedded worker did not start: \(log.suffix(2000))")
    }

    /// SIGTERM (the worker drains and signs its final checkpoint; SIGKILL after 30 s), then
    /// removes the temporary ledger.
    func stop() {
        if process.isRunning {
            kill(pid, SIGTERM)
            let deadline = Date().addingTimeInterval(30)
            while process.isRunning, Date() < deadline { usleep(50_000) }
            if process.isRunning {
                FileHandle.standardError.write(Data("bench: the embedded worker did not drain within 30 s; killing it\n".utf8))
                kill(pid, SIGKILL)
            }
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: directory)
    }

    private static func capture(_ pattern: String, in text: String) -> [String]? {
        guard let expression = try? NSRegularExpression(pattern: pattern),
              let match = expression.firstMatch(in: text, range: NSRange(text.startIndex..., in: text))
        else { return nil }
        return (1..<match.numberOfRanges).compactMap { Range(match.range(at: $0), in: text).map { String(text[$0]) } }
    }
}

/// A bench set-up failure with a message.
struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
