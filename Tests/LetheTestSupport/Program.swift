import Foundation

/// Runs programs the tests need (a browser, promtool, an independent client, `lethe` itself) to
/// completion, with a bound on how long they may take: a program still running at its timeout is
/// killed and the run reported as failed, so no test hangs and no child outlives its test.
public enum Program {
    /// A finished run: the exit status and what the program wrote.
    public struct Run: Sendable {
        public let status: Int32
        public let output: String
        /// Standard error, with `ErrorOutput.separate` (else empty).
        public let error: String
        /// True when the program was killed at its timeout.
        public let timedOut: Bool
    }

    /// Where the program's standard error goes.
    public enum ErrorOutput: Sendable {
        /// Interleaved with standard output in `Run.output`.
        case merged
        /// Discarded (the output is data to parse, e.g. numbers).
        case discarded
        /// Apart, in `Run.error` (to tell what a command prints from what it complains about).
        case separate
    }

    /// Runs `executable` (a path, or a name looked up in `PATH`) with `arguments`, off Swift
    /// concurrency's pool (`offThePool`): blocking one of its few threads could starve an
    /// in-process worker the program is talking to, or any other test.
    /// - Parameters:
    ///   - environment: added to this process's environment; with `inheritEnvironment: false`, the
    ///     whole environment.
    ///   - input: a file for standard input; nil gives none.
    public static func run(
        _ executable: String, _ arguments: [String], environment: [String: String] = [:], inheritEnvironment: Bool = true,
        input: URL? = nil, errorOutput: ErrorOutput = .merged, timeout: Duration = .seconds(300)
    ) async throws -> Run {
        try await offThePool {
            try runBlocking(
                executable, arguments, environment: environment, inheritEnvironment: inheritEnvironment, input: input,
                errorOutput: errorOutput, timeout: timeout)
        }
    }

    /// `run` on the calling thread (a Dispatch thread, from `run`).
    private static func runBlocking(
        _ executable: String, _ arguments: [String], environment: [String: String] = [:], inheritEnvironment: Bool = true,
        input: URL? = nil, errorOutput: ErrorOutput = .merged, timeout: Duration = .seconds(300)
    ) throws -> Run {
        let process = Process()
        if executable.contains("/") {
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [executable] + arguments
        }
        process.environment = inheritEnvironment ? ProcessInfo.processInfo.environment.merging(environment) { $1 } : environment
        let output = Pipe()
        process.standardOutput = output
        // Standard error apart goes to a file, read after the exit: two pipes read one after the
        // other could block on the second filling up.
        let errorFile = URL(fileURLWithPath: "/tmp/lethe-program-\(UUID().uuidString).stderr")
        defer { try? FileManager.default.removeItem(at: errorFile) }
        switch errorOutput {
        case .merged: process.standardError = output
        case .discarded: process.standardError = FileHandle.nullDevice
        case .separate:
            _ = FileManager.default.createFile(atPath: errorFile.path, contents: nil)
            process.standardError = try FileHandle(forWritingTo: errorFile)
        }
        process.standardInput = try input.map { try FileHandle(forReadingFrom: $0) } ?? FileHandle.nullDevice
        try process.run()
        let killed = TimeoutFlag()
        let timer = DispatchWorkItem {
            guard process.isRunning else { return }
            killed.set()
            kill(process.processIdentifier, SIGKILL)
        }
        let (seconds, attoseconds) = timeout.components
        DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000)), execute: timer)
        let data: Data
        do {
            data = try InterruptSafeRead.toEnd(output.fileHandleForReading)
        } catch {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            timer.cancel()
            throw error
        }
        process.waitUntilExit()
        timer.cancel()
        let error = errorOutput == .separate ? (try? String(contentsOf: errorFile, encoding: .utf8)) ?? "" : ""
        return Run(status: process.terminationStatus, output: String(decoding: data, as: UTF8.self), error: error, timedOut: killed.isSet)
    }
}

/// Set once by the timeout's timer, read after the program ended.
private final class TimeoutFlag: @unchecked Sendable {  // Guarded by `lock`.
    private let lock = NSLock()
    private var value = false
    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }
}
