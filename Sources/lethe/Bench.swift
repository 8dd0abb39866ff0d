import ArgumentParser
import Foundation
import LetheClient
import LetheClientNIO
import LetheEnvelope
#if canImport(Glibc)
import Glibc
#endif

/// `lethe bench PHOTO…`: load on a worker over real HTTP, with the figures an operator needs.
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Load a worker with N concurrent devices and print throughput, latency, errors, memory and wipe time.",
        discussion: """
            Without --server, the real worker binary is started as a child process (`lethe serve --port 0 \
            --admin-port 0`, a temporary ledger, the environment's LETHE_* settings) so that its memory \
            is measured apart from this client's: peak RSS is its VmHWM. With --server, give --admin to \
            sample lethe_process_resident_memory_bytes and the stage histograms from /metrics.
            """)

    @Argument(help: "Photos to send, in turn (JPEG, PNG, WebP, HEIF). With --repeatability: the subjects (default Fixtures/astronaut.png).")
    var photos: [String] = []
    @Option(help: "Worker URL, e.g. http://127.0.0.1:8080. Default: an embedded worker (child process).")
    var server: String?
    @Option(help: "The embedded worker's --engine-processes; 0 decodes in the gateway (unsafe), to measure the process boundary's cost. Default: the worker's (the number of cores).")
    var engineProcesses: Int?
    @Option(help: "Device bearer token (required with --server).")
    var token: String?
    @Option(help: "The worker's operator listener URL, e.g. http://127.0.0.1:9090 (for RSS, lifetime and wipe figures).")
    var admin: String?
    @Option(help: "Bearer token for the operator's /metrics, when the worker requires one.")
    var adminToken: String?
    @Option(name: .customLong("kind"), help: "Analysis kind: skin, face or scalp (default skin; face with --repeatability).")
    var kindOption: String?
    @Option(help: "Millimetres per pixel sent with every request (scalp needs it or a profile).")
    var mmPerPixel: Double?
    @Option(help: "Render these concerns with every request (comma-separated, as 'lethe analyze --simulate'), at the worker's default output: the simulations' cost.")
    var simulate: String?
    @Option(help: "Concurrent devices, each sending its next request as soon as the last is answered.")
    var concurrency: Int = 4
    @Option(help: "Seconds to run (ignored with --requests).")
    var duration: Double = 30
    @Option(help: "Run exactly this many requests instead of a fixed time.")
    var requests: Int?
    @Option(help: "Requests sent before measuring (not counted), to fill caches and thread pools.")
    var warmup: Int = 2
    @Flag(help: "Print the figures as JSON on stdout.")
    var json = false
    @Flag(help: "Send through Foundation's URLSession, as a device does, instead of the bench's own HTTP/1.1 client (to see what that client costs: 'CPU/request client').")
    var urlSession = false
    @OptionGroup(title: "Repeatability (--repeatability)") var repeatabilityOptions: RepeatabilityOptions

    var kind: String { kindOption ?? (repeatabilityOptions.repeatability ? "face" : "skin") }

    func validate() throws {
        if repeatabilityOptions.repeatability {
            guard server == nil else { throw ValidationError("--repeatability analyses in process: no --server") }
            guard repeatabilityOptions.recaptures >= 2 else { throw ValidationError("--recaptures must be ≥ 2") }
            return
        }
        guard !photos.isEmpty else { throw ValidationError("give at least one photo") }
        guard concurrency >= 1 else { throw ValidationError("--concurrency must be ≥ 1") }
        guard duration > 0, (requests ?? 1) >= 1, warmup >= 0 else { throw ValidationError("--duration, --requests must be positive, --warmup ≥ 0") }
        if server != nil, token == nil { throw ValidationError("--server needs --token") }
    }

    func run() async throws {
        if repeatabilityOptions.repeatability { return try runRepeatability() }
        let files = try photos.map { path in
            guard let bytes = FileManager.default.contents(atPath: path) else { throw ValidationError("cannot read \(path)") }
            return bytes
        }
        let target: BenchTarget
        if let server, let token {
            guard let url = URL(string: server) else { throw ValidationError("--server: not a URL") }
            target = BenchTarget(serverURL: url, token: token, adminURL: try admin.map(Self.url), worker: nil)
        } else {
            let worker = try EmbeddedBenchWorker.start(engineProcesses: engineProcesses)
            target = BenchTarget(serverURL: worker.serverURL, token: worker.token, adminURL: worker.adminURL, worker: worker)
        }
        defer { target.worker?.stop() }

        // Not URLSession: on Linux it cost more CPU per request than the worker being measured.
        let transport = NIOHTTPTransport()
        let report: BenchReport
        do {
            report = try await measure(target, files: files, transport: transport)
        } catch {
            try? await transport.shutdown()
            throw error
        }
        try? await transport.shutdown()
        try printReport(report, text: report.text)
    }

    /// Warms up, then loads `target` and gathers the report's figures.
    private func measure(_ target: BenchTarget, files: [Data], transport: NIOHTTPTransport) async throws -> BenchReport {
        var client = LetheClient(serverURL: target.serverURL, token: target.token)
        if !urlSession { client.transport = transport }
        if let mmPerPixel { client.analysisParameters["mm_per_pixel"] = "\(mmPerPixel)" }
        if let simulate { client.simulation = SimulationOptions(concerns: simulate.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }) }
        // A device caches the key configuration; fetching it per request would measure discovery too.
        let configs = try await client.fetchKeyConfigs()
        guard let x25519 = configs.first(where: { $0.kemID == OHTTPKEM.x25519.kemID }) else {
            throw ValidationError("the worker publishes no X25519 key configuration")
        }
        client.pinnedKeyConfig = x25519

        let load = BenchLoad(client: client, photos: files, kind: kind)
        if warmup > 0 { _ = await load.run(concurrency: min(concurrency, warmup), stop: .requests(warmup), progress: nil) }

        let metrics = MetricsScraper(adminURL: target.adminURL, token: adminToken, transport: transport)
        let before = await metrics.scrape()
        let cpuBefore = BenchCPU.now(worker: target.worker?.pid)
        let sampler = RSSSampler(pid: target.worker?.pid, metrics: metrics)
        // The peak of the measured run, not of the warm-up's (whose last request ran alone).
        await sampler.resetPeaks()
        let samplingTask = Task { await sampler.sampleUntilCancelled() }
        let stop: BenchLoad.Stop = requests.map { .requests($0) } ?? .seconds(duration)
        let progress = BenchProgress(stop: stop, interactive: isatty(STDERR_FILENO) == 1)
        // The peaks are those of the load: once the first device has sent its last request, the
        // others' last ones finish with cores to spare, and a request alone takes two of them
        // and twice the memory (`RequestThreads`) — one device's peak, not the load's; it is
        // reported beside it (`peakServerPSSBytesWithDrain`).
        let outcome = await load.run(concurrency: concurrency, stop: stop, progress: progress, whenLoadEnds: { await sampler.loadEnded() })
        progress.finish()
        let cpu = BenchCPU.now(worker: target.worker?.pid) - cpuBefore
        samplingTask.cancel()
        let peakRSS = await sampler.loadPeak()
        let peakPSS = await sampler.peakProportionalSet
        let drainPSS = await sampler.runPeakProportionalSet
        let after = await metrics.scrape()

        return BenchReport(
            server: server ?? "embedded (child pid \(target.worker.map { "\($0.pid)" } ?? "?"))", kind: kind, concurrency: concurrency,
            photos: photos, outcome: outcome, peakServerRSS: peakRSS, peakServerPSSBytes: peakPSS, peakServerPSSBytesWithDrain: drainPSS,
            cpu: cpu, before: before, after: after)
    }

    /// Prints `report` as sorted, indented JSON with --json, else its text.
    func printReport(_ report: some Encodable, text: @autoclosure () -> String) throws {
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            print(text())
        }
    }

    private static func url(_ text: String) throws -> URL {
        guard let url = URL(string: text) else { throw ValidationError("not a URL: \(text)") }
        return url
    }
}

/// Where the load goes, and the child worker when the bench started one.
struct BenchTarget {
    let serverURL: URL
    let token: String
    let adminURL: URL?
    let worker: EmbeddedBenchWorker?
}

/// N devices sending photos in turn, each as soon as its previous answer arrived.
struct BenchLoad: Sendable {
    enum Stop: Sendable {
        case seconds(Double)
        case requests(Int)
    }

    /// What the devices saw: every answered request's latency, and error counts by code.
    struct Outcome: Sendable {
        var okLatencies: [Duration] = []
        var errorLatencies: [Duration] = []
        var errors: [String: Int] = [:]
        var elapsed: Duration = .zero
        var completed: Int { okLatencies.count + errorLatencies.count }
    }

    let client: LetheClient
    let photos: [Data]
    let kind: String

    /// Loads the worker from `concurrency` devices until `stop`; `whenLoadEnds` runs once, when
    /// the first device finds the run over (the others' requests still in flight).
    func run(concurrency: Int, stop: Stop, progress: BenchProgress?, whenLoadEnds: (@Sendable () async -> Void)? = nil) async -> Outcome {
        let tally = BenchTally(stop: stop)
        let started = ContinuousClock.now
        let progressTask = progress.map { progress in Task { await progress.report(from: tally) } }
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<concurrency {
                group.addTask {
                    while let index = await tally.claim() {
                        let requestStarted = ContinuousClock.now
                        var code: String?
                        do throws(LetheClientError) {
                            _ = try await client.analyze(photo: photos[index % photos.count], kind: kind)
                        } catch {
                            code = error.code
                        }
                        await tally.record(ContinuousClock.now - requestStarted, errorCode: code)
                    }
                    if await tally.isFirstToStop() { await whenLoadEnds?() }
                }
            }
        }
        progressTask?.cancel()
        var outcome = await tally.outcome
        outcome.elapsed = ContinuousClock.now - started
        return outcome
    }
}

/// Hands out request numbers until the stop condition and collects the results.
actor BenchTally {
    private let stop: BenchLoad.Stop
    private let started = ContinuousClock.now
    private var claimed = 0
    private var stopped = 0
    private(set) var outcome = BenchLoad.Outcome()

    init(stop: BenchLoad.Stop) { self.stop = stop }

    /// The next request's number, or nil when the run is over.
    func claim() -> Int? {
        switch stop {
        case .requests(let count) where claimed >= count: return nil
        case .seconds(let seconds) where ContinuousClock.now - started >= .seconds(seconds): return nil
        default:
            claimed += 1
            return claimed - 1
        }
    }

    /// True for the first device that found the run over, false for the others.
    func isFirstToStop() -> Bool {
        stopped += 1
        return stopped == 1
    }

    func record(_ latency: Duration, errorCode: String?) {
        if let errorCode {
            outcome.errorLatencies.append(latency)
            outcome.errors[errorCode, default: 0] += 1
        } else {
            outcome.okLatencies.append(latency)
        }
    }

    /// Completed requests, errors, and seconds since the start.
    func snapshot() -> (completed: Int, errors: Int, elapsedSeconds: Double) {
        (outcome.completed, outcome.errorLatencies.count, (ContinuousClock.now - started).inSeconds)
    }
}

/// A progress bar on stderr when it is a terminal, otherwise a plain line every five seconds.
final class BenchProgress: Sendable {
    let stop: BenchLoad.Stop
    let interactive: Bool

    init(stop: BenchLoad.Stop, interactive: Bool) {
        self.stop = stop
        self.interactive = interactive
    }

    func report(from tally: BenchTally) async {
        while !Task.isCancelled {
            try? await Task.sleep(for: interactive ? .milliseconds(250) : .seconds(5))
            if Task.isCancelled { break }
            let (completed, errors, elapsed) = await tally.snapshot()
            let fraction: Double
            switch stop {
            case .seconds(let seconds): fraction = min(1, elapsed / seconds)
            case .requests(let count): fraction = min(1, Double(completed) / Double(count))
            }
            let rate = elapsed > 0 ? Double(completed) / elapsed : 0
            let figures = "\(completed) requests, \(errors) errors, \(String(format: "%.1f", rate)) req/s, \(String(format: "%.0f", elapsed)) s"
            if interactive {
                let width = 30, filled = Int(fraction * Double(width))
                let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
                FileHandle.standardError.write(Data("\r[\(bar)] \(String(format: "%3.0f", fraction * 100))% \(figures)\u{1B}[K".utf8))
            } else {
                FileHandle.standardError.write(Data("bench: \(String(format: "%.0f", fraction * 100))% \(figures)\n".utf8))
            }
        }
    }

    func finish() {
        if interactive { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }
}

/// Reads the worker's Prometheus text from its operator listener.
struct MetricsScraper: Sendable {
    let adminURL: URL?
    let token: String?
    let transport: any LetheTransport

    /// Every sample of the exposition keyed by its series (`name{labels}`), or nil without an admin URL.
    func scrape() async -> [String: Double]? {
        guard let adminURL else { return nil }
        let request = LetheHTTPRequest(
            url: adminURL.appendingPathComponent("metrics"), headerFields: token.map { [("Authorization", "Bearer \($0)")] } ?? [],
            timeoutSeconds: 10)
        guard let response = try? await transport.send(request), response.status == 200 else { return nil }
        return Self.parse(String(decoding: response.body, as: UTF8.self))
    }

    /// Prometheus text format: `series value` lines, `#` comments skipped.
    static func parse(_ text: String) -> [String: Double] {
        var samples: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
            samples[String(line[..<space])] = value
        }
        return samples
    }
}

/// The worker's peak resident memory: VmHWM of the child process, or the maximum of the sampled
/// `lethe_process_resident_memory_bytes` of a worker reached over the network. For a child, also
/// the peak of its processes' summed PSS, sampled: the VmHWM sum counts the pages of the libraries
/// the gateway and its engines share once per process, PSS divides them among the sharers.
actor RSSSampler {
    let pid: Int32?
    let metrics: MetricsScraper
    private var sampledPeak: Double?
    /// Bytes: the highest sum of `Pss` (/proc/PID/smaps_rollup) of the child and its engines seen
    /// until `loadEnded()`.
    private(set) var peakProportionalSet: Double?
    /// The same over the whole run, its drain included.
    private(set) var runPeakProportionalSet: Double?
    /// `peak()` when the load ended; nil until then.
    private var peakAtLoadEnd: (bytes: Double, source: String)?
    private var loadIsOver = false

    init(pid: Int32?, metrics: MetricsScraper) {
        self.pid = pid
        self.metrics = metrics
    }

    func sampleUntilCancelled() async {
        if let pid {
            // The kernel keeps each process's VmHWM for us, not a peak of PSS.
            while !Task.isCancelled {
                sampleProportionalSet(pid)
                try? await Task.sleep(for: .milliseconds(250))
            }
            return
        }
        while !Task.isCancelled {
            if let rss = await metrics.scrape()?["lethe_process_resident_memory_bytes"] {
                sampledPeak = max(sampledPeak ?? 0, rss)
            }
            try? await Task.sleep(for: .milliseconds(500))
        }
    }

    /// Sets each process's VmHWM back to its present RSS (`5` into /proc/PID/clear_refs, Linux
    /// 4.0 on), so that `peak()` is the peak from here on; a process it cannot reset keeps its
    /// lifetime peak.
    func resetPeaks() {
        guard let pid else { return }
        for process in [pid] + ProcessCPU.children(of: pid) {
            let file = open("/proc/\(process)/clear_refs", O_WRONLY)
            guard file >= 0 else { continue }
            _ = write(file, "5", 1)
            close(file)
        }
    }

    /// Marks the end of the load: the summed PSS is no longer the load's, and `loadPeak()` is
    /// the peak until now. Only the first call counts.
    func loadEnded() async {
        guard !loadIsOver else { return }
        if let pid { sampleProportionalSet(pid) }
        peakAtLoadEnd = await peak()
        loadIsOver = true
    }

    private func sampleProportionalSet(_ pid: Int32) {
        let bytes = ([pid] + ProcessCPU.children(of: pid)).compactMap { Self.rollupField("Pss", pid: $0) }.reduce(0, +) * 1024
        runPeakProportionalSet = max(runPeakProportionalSet ?? 0, bytes)
        if !loadIsOver { peakProportionalSet = max(peakProportionalSet ?? 0, bytes) }
    }

    /// The peak until `loadEnded()`, or until now when it was not called.
    func loadPeak() async -> (bytes: Double, source: String)? {
        if loadIsOver { return peakAtLoadEnd }
        return await peak()
    }

    /// Peak bytes and where the figure comes from.
    func peak() async -> (bytes: Double, source: String)? {
        if let pid, let kilobytes = Self.statusField("VmHWM", pid: pid) {
            // The gateway and its engine processes (its children, started from whichever of its
            // threads: /proc/PID/task/PID/children lists only the main thread's), each at its own peak.
            let engines = ProcessCPU.children(of: pid)
            let each = [kilobytes] + engines.map { Self.statusField("VmHWM", pid: $0) ?? 0 }
            let total = each.reduce(0, +)
            let parts = each.map { String(format: "%.0f", $0 * 1024 / 1_000_000) }.joined(separator: " + ")
            return (total * 1024, engines.isEmpty ? "VmHWM of pid \(pid)" : "VmHWM of pid \(pid) and its \(engines.count) engines: \(parts) MB")
        }
        if let rss = await metrics.scrape()?["lethe_process_resident_memory_bytes"] { sampledPeak = max(sampledPeak ?? 0, rss) }
        return sampledPeak.map { ($0, "lethe_process_resident_memory_bytes, sampled every 0.5 s") }
    }

    /// A `kB` field of /proc/PID/smaps_rollup (the sums over every mapping).
    static func rollupField(_ name: String, pid: Int32) -> Double? {
        guard let rollup = try? String(contentsOfFile: "/proc/\(pid)/smaps_rollup", encoding: .utf8),
              let line = rollup.split(separator: "\n").first(where: { $0.hasPrefix(name + ":") })
        else { return nil }
        return line.split(separator: " ").dropFirst().first.flatMap { Double($0) }
    }

    /// A `kB` field of /proc/PID/status.
    static func statusField(_ name: String, pid: Int32) -> Double? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix(name + ":") })
        else { return nil }
        return line.split(separator: " ").dropFirst().first.flatMap { Double($0) }
    }
}

extension Duration {
    /// The duration in seconds, as a Double.
    var inSeconds: Double {
        let (whole, fraction) = components
        return Double(whole) + Double(fraction) / 1e18
    }
}
