import Foundation

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#endif

/// The real `lethe serve` binary, started as a child process on a free loopback port with its
/// own ledger directory (or a given one, to restart a worker on its ledger). Its stdout and stderr
/// go to files so that the test can read them. The one way tests start a worker process.
public final class ServerProcess: @unchecked Sendable {
    // @unchecked Sendable: all mutable state is the Foundation `Process`, used from one test at a time.
    public let process = Process()
    /// The worker's files: stdout, stderr and (unless one was given) the ledger.
    public let directory: URL
    public let port: Int
    /// The operator listener (`/metrics`, `/readyz`).
    public let adminPort: Int
    public let token: String
    /// The worker's own pid (not a wrapper's such as strace), from its start-up line.
    public let pid: Int32
    public let ledgerDirectory: URL
    public var baseURL: URL { URL(string: "http://127.0.0.1:\(port)")! }
    /// The operator listener (`/readyz`, `/metrics`), from the start-up line.
    public var adminURL: URL? {
        let output = (try? String(contentsOf: directory.appendingPathComponent("stdout"), encoding: .utf8)) ?? ""
        return Self.capture(#"operator endpoints .* on (http://\S+)"#, in: output).flatMap(URL.init(string:))
    }

    /// The `lethe` executable that `swift build`/`swift test` put next to the test bundle: what
    /// tests run, and what a worker embedded in a test starts its engine processes from.
    public static var executable: URL {
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var directory = bundle.deletingLastPathComponent()
        // On Linux the test binary is `<build>/debug/lethePackageTests.xctest`.
        if directory.lastPathComponent.hasSuffix(".xctest") { directory.deleteLastPathComponent() }
        return directory.appendingPathComponent("lethe")
    }

    /// Starts `lethe serve` and waits until it listens (with `Task.sleep`: no pool thread held).
    /// - Parameters:
    ///   - arguments: extra `serve` options (e.g. `--max-pixels`).
    ///   - environment: extra environment variables.
    ///   - wrapper: a command line to run the server under (e.g. `strace -f -o FILE`).
    ///   - knownToken: a token from the `--tokens-file` given in `arguments`; without one the
    ///     demo device's token is read from the start-up output.
    ///   - ledgerDirectory: the ledger to serve (kept by `stop()`); nil for a new one of its own.
    public init(
        arguments: [String] = [], environment: [String: String] = [:], wrapper: [String] = [], knownToken: String? = nil,
        ledgerDirectory: URL? = nil
    ) async throws {
        directory = URL(fileURLWithPath: "/tmp").appendingPathComponent("lethe-residue-\(UUID().uuidString)")
        self.ledgerDirectory = ledgerDirectory ?? directory.appendingPathComponent("ledger")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let executable = Self.executable.path
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw HarnessError("\(executable) is missing: build the package (swift build) before these tests")
        }
        let serve = [executable, "serve", "--port", "0", "--admin-port", "0", "--ledger-dir", self.ledgerDirectory.path] + arguments
        let commandLine = wrapper + serve
        process.executableURL = URL(fileURLWithPath: commandLine[0].hasPrefix("/") ? commandLine[0] : "/usr/bin/env")
        process.arguments = commandLine[0].hasPrefix("/") ? Array(commandLine.dropFirst()) : commandLine
        var processEnvironment = ProcessInfo.processInfo.environment
        processEnvironment.merge(environment) { $1 }
        process.environment = processEnvironment
        let stdout = directory.appendingPathComponent("stdout")
        let stderr = directory.appendingPathComponent("stderr")
        FileManager.default.createFile(atPath: stdout.path, contents: nil)
        FileManager.default.createFile(atPath: stderr.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: stdout)
        process.standardError = try FileHandle(forWritingTo: stderr)
        // One start-up per core (StartupSlots); the deadline runs from this worker's turn.
        await StartupSlots.workers.acquire()
        defer { StartupSlots.workers.release() }
        try process.run()

        let deadline = Date().addingTimeInterval(60)
        var port: Int?
        var adminPort: Int?
        var token: String? = knownToken
        var pid: Int32?
        // The output is read after every wake-up, the last one past the deadline included: a
        // wake-up that came late (a busy machine) must not fail a worker that has started.
        while true {
            let output = (try? String(contentsOf: stdout, encoding: .utf8)) ?? ""
            port = Self.capture(#"listening on http://127\.0\.0\.1:(\d+)"#, in: output).flatMap(Int.init)
            adminPort = Self.capture(#"operator endpoints \(metrics, healthz, readyz\) on http://[^:]+:(\d+)"#, in: output).flatMap(Int.init)
            pid = Self.capture(#"\(pid (\d+)\)"#, in: output).flatMap(Int32.init)
            token = token ?? Self.capture(#"--token (\S+)"#, in: output)
            let started = port != nil && adminPort != nil && token != nil && pid != nil
            if started || !process.isRunning || Date() >= deadline { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        guard let port, let adminPort, let token, let pid else {
            let log = (try? String(contentsOf: stderr, encoding: .utf8)) ?? ""
            // The whole tree, not only the child: a wrapper such as strace exits on SIGTERM and
            // leaves the worker it traced (and its engines) running.
            let tree = (try? ProcessMemoryScan.processTree(of: process.processIdentifier)) ?? [process.processIdentifier]
            for member in tree { kill(member, SIGKILL) }
            process.waitUntilExit()
            // Nothing left behind on this path either (a worker that refused its configuration).
            try? FileManager.default.removeItem(at: directory)
            throw HarnessError("lethe serve did not start: \(log.suffix(2000))")
        }
        self.port = port
        self.adminPort = adminPort
        self.token = token
        self.pid = pid
    }

    /// The operator listener's `/metrics` text.
    public func metrics() async throws -> String {
        let url = URL(string: "http://127.0.0.1:\(adminPort)/metrics")!
        let (body, _) = try await URLSession.shared.data(from: url)
        return String(decoding: body, as: UTF8.self)
    }

    /// The value of an unlabelled metric, e.g. `lethe_uploads_in_progress`; nil when absent.
    public func metric(_ name: String) async throws -> Double? {
        PrometheusText(try await metrics()).value(name)
    }

    /// Waits until `metric` has `value` (an event the worker reports), or throws after 60 s.
    public func waitForMetric(_ name: String, toBe value: Double) async throws {
        let deadline = Date().addingTimeInterval(60)
        var seen = try await metric(name)
        while seen != value {
            guard Date() < deadline else {
                let shown = seen.map { "\($0)" } ?? "absent"
                throw HarnessError("\(name) is \(shown), expected \(value)")
            }
            try await Task.sleep(for: .milliseconds(20))
            seen = try await metric(name)
        }
    }

    /// The `/readyz` document, decoded (the fields the tests read).
    public struct Readiness: Decodable {
        public let ready: Bool
        public let draining: Bool
        public let hardening_summary: String
        public let hardening_missing: [String]
    }

    /// `/readyz`: its status (200 ready, 503 not) and its document.
    public func readiness() async throws -> (status: Int, readiness: Readiness) {
        let url = URL(string: "http://127.0.0.1:\(adminPort)/readyz")!
        let (body, response) = try await URLSession.shared.data(from: url)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, try JSONDecoder().decode(Readiness.self, from: body))
    }

    /// Waits until `/readyz` says the worker is draining (it has begun its graceful shutdown and
    /// still serves what it holds), or throws after 60 s.
    public func waitUntilDraining() async throws {
        let deadline = Date().addingTimeInterval(60)
        while try await !readiness().readiness.draining {
            guard Date() < deadline else { throw HarnessError("/readyz never reported draining") }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// The server's log so far.
    public var log: String { (try? String(contentsOf: directory.appendingPathComponent("stderr"), encoding: .utf8)) ?? "" }

    /// Sends a signal (SIGTERM to drain).
    public func signal(_ signal: Int32) {
        kill(pid, signal)
    }

    /// Waits for the process to exit and returns its status.
    public func waitForExit(timeoutSeconds: Double = 30) async throws -> Int32 {
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while process.isRunning, Date() < deadline { try await Task.sleep(for: .milliseconds(50)) }
        guard !process.isRunning else { throw HarnessError("lethe serve did not exit within \(timeoutSeconds) s") }
        return process.terminationStatus
    }

    /// Number of complete ledger entries written so far (over all segment files).
    public func ledgerEntryCount() -> Int {
        let segments = ledgerDirectory.appendingPathComponent("segments")
        let files = (try? FileManager.default.contentsOfDirectory(at: segments, includingPropertiesForKeys: nil)) ?? []
        return files.filter { $0.pathExtension == "jsonl" }.reduce(0) { count, file in
            count + ((try? Data(contentsOf: file)) ?? Data()).reduce(0) { $1 == UInt8(ascii: "\n") ? $0 + 1 : $0 }
        }
    }

    /// Waits until the ledger holds `count` entries (requests are recorded after their wipe).
    public func waitForLedgerEntries(_ count: Int, timeoutSeconds: Double = 30) async throws {
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while ledgerEntryCount() < count {
            guard Date() < deadline else { throw HarnessError("ledger has \(ledgerEntryCount()) entries, expected \(count)") }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// The largest peak resident set (`VmHWM`) of the worker or any process under it.
    public func largestPeakResidentBytes() throws -> Int {
        try ProcessMemoryScan.processTree(of: pid).compactMap { ProcessStatus.bytes("VmHWM", pid: $0) }.max() ?? 0
    }

    /// User and system CPU time of the worker and every process under it, those it has reaped
    /// included (`/proc/PID/stat` utime, stime, cutime, cstime): the engine processes do the
    /// decoding, so the gateway's own time alone would not show what an input costs.
    public func cpuSeconds() throws -> Double {
        try ProcessMemoryScan.processTree(of: pid).reduce(0) { total, process in
            // Fields after the parenthesised command name; utime … cstime are fields 14 to 17.
            guard let stat = try? ProcFile.read("/proc/\(process)/stat"), let close = stat.lastIndex(of: ")") else {
                return total  // exited since it was listed: its parent has reaped it or will
            }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 15 else { throw HarnessError("unreadable /proc/\(process)/stat") }
            let ticks = fields[11...14].compactMap { Double($0) }.reduce(0, +)
            return total + ticks / Double(sysconf(Int32(_SC_CLK_TCK)))
        }
    }

    /// The peak resident sets (`VmHWM`) of the worker and every process under it, summed: what
    /// the worker has held at most, wherever its work runs (an upper bound: peaks of different
    /// processes need not coincide).
    public func peakResidentBytes() throws -> Int {
        try ProcessMemoryScan.processTree(of: pid).reduce(0) { $0 + (ProcessStatus.bytes("VmHWM", pid: $1) ?? 0) }
    }

    /// A line of /proc/PID/status in bytes, e.g. "VmHWM" (peak resident set) or "VmRSS".
    public func statusBytes(_ field: String) -> Int? {
        ProcessStatus.bytes(field, pid: pid)
    }

    /// Stops the server (if still running) and removes its files. Synchronous, for `defer`: it
    /// blocks only while a worker that was sent SIGTERM exits (at most 10 s, then SIGKILL).
    public func stop() {
        if process.isRunning {
            kill(pid, SIGTERM)
            let deadline = Date().addingTimeInterval(10)
            while process.isRunning, Date() < deadline { usleep(20_000) }
            if process.isRunning {
                kill(pid, SIGKILL)
                process.terminate()
            }
        }
        try? FileManager.default.removeItem(at: directory)
    }

    private static func capture(_ pattern: String, in text: String) -> String? {
        guard let expression = try? NSRegularExpression(pattern: pattern),
              let match = expression.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)),
              let range = Range(match.range(at: 1), in: text)
        else { return nil }
        return String(text[range])
    }
}

/// A harness failure with a message.
public struct HarnessError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
