import CLetheSystem
import Foundation
import LetheEngine
import LetheImaging
import LetheMemory

#if canImport(Glibc)
import Glibc
#endif

/// The gateway's side of one engine process: its pid and channel, and the blocking exchange of
/// one request with it. Every call blocks (spawn, send, wait): the pool runs them on NIO's
/// blocking pool.
// @unchecked Sendable: the pool hands a connection to one request at a time (checked out, then
// back); `pid` and `channel` never change, `requestsServed` is touched only by the pool's actor.
final class EngineConnection: @unchecked Sendable {
    let pid: Int32
    let channel: EngineChannel
    /// The lock-down the engine reported (`EngineSandbox.Status.summary`).
    let sandbox: String
    /// Requests served so far (the pool recycles it after `--engine-requests`).
    var requestsServed = 0

    private init(pid: Int32, channel: EngineChannel, sandbox: String) {
        self.pid = pid
        self.channel = channel
        self.sandbox = sandbox
    }

    /// What one request's exchange produced: the result (copied into the request's arena) or
    /// the engine's error, what the engine wiped, and its stage latencies.
    struct Outcome {
        let response: Result<SecureBuffer, LetheError>
        let engineWipe: WipeReport
        let stageSeconds: [String: Double]
        let codecPassesAborted: Int
    }

    /// Starts `lethe engine` from `executable` with exactly `environment` and nothing but its
    /// channel open, sends it `setup` and waits until it is warmed up and locked down.
    /// - Throws: `engine_failed` when it cannot be started or does not report ready in `readyTimeout`.
    /// - Parameter cores: the worker's core ledger's memory file, handed to the engine with `setup`.
    static func spawn(
        executable: String, environment: [String], setup: EngineSetup, cores: Int32, readyTimeout: Duration
    ) throws(LetheError) -> EngineConnection {
        var ends: [Int32] = [-1, -1]
        guard lethe_socketpair(&ends) == 0 else { throw .engineFailed("no socket pair for its channel") }
        let (ours, theirs) = (ends[0], ends[1])
        var pid: Int32 = 0
        let arguments = [executable, "engine"]
        let spawned = withCStrings(arguments) { argv in
            withCStrings(environment) { envp in lethe_spawn_engine(executable, argv, envp, theirs, STDERR_FILENO, &pid) }
        }
        close(theirs)
        guard spawned == 0 else {
            close(ours)
            throw .engineFailed("\(executable) could not be started: \(String(cString: strerror(-spawned)))")
        }
        let channel = EngineChannel(fd: ours)
        do {
            try channel.send(.setup, setup, attaching: cores)
            let (ready, stray) = try channel.receive(.ready, as: EngineReady.self, timeout: readyTimeout)
            if let stray { close(stray) }
            return EngineConnection(pid: pid, channel: channel, sandbox: ready.sandbox)
        } catch {
            _ = lethe_kill_and_reap(pid)
            channel.close()
            throw error
        }
    }

    /// Has the engine run `job` on the photos of `request`: only the photos cross, into a shared
    /// memory file of the request's arena; the result comes back in one, is copied into the arena,
    /// and the engine then wipes its side and reports it.
    /// - Parameter timeout: how long the engine may take for the result (past it, it is hung).
    /// - Parameter releasingRequest: wipe `request` through `arena` once its photos are in the
    ///   shared file (the caller reads it no more): the gateway then holds one copy of the photos
    ///   per request in an engine, not two (−2.8 MB each of the benchmark's photo).
    /// - Throws: `engine_failed` when the engine dies, hangs or breaks the protocol (the caller
    ///   kills it); memory codes when the photos do not fit in the gateway's budget.
    func exchange(
        _ job: AnalysisJob, photosIn request: SecureBuffer, arena: PlaintextArena, limits: ProcessingDeadline.Limits,
        engineBudgetBytes: Int, secretMemory: Bool, timeout: Duration, releasingRequest: Bool = false
    ) throws(LetheError) -> Outcome {
        let wire = EngineJob(job, processingLimits: limits, memoryBudgetBytes: engineBudgetBytes)
        let (photos, photosFile) = try arena.allocateShared(count: wire.photoBytes, bufferClass: .requestBody, secret: secretMemory)
        defer { arena.release(photos) }
        request.withUnsafeBytes { source in
            photos.withUnsafeMutableBytes { target in
                for (photo, placed) in zip(job.photos, wire.job.photos) where !photo.range.isEmpty {
                    target.baseAddress!.advanced(by: placed.range.lowerBound).copyMemory(from: source.baseAddress!.advanced(by: photo.range.lowerBound), byteCount: photo.range.count)
                }
            }
        }
        if releasingRequest { arena.release(request) }
        do {
            defer { close(photosFile) }
            try channel.send(.job, wire, attaching: photosFile)
        }
        let (result, resultFile) = try channel.receive(.result, as: EngineResult.self, timeout: timeout)
        let response: Result<SecureBuffer, LetheError>
        if let failure = result.failure {
            if let resultFile { close(resultFile) }
            response = .failure(failure)
        } else {
            guard let resultFile else { throw .engineFailed("a result came without its memory file") }
            defer { close(resultFile) }
            guard let count = result.byteCount, count >= 0, count <= Self.maxResultBytes else {
                throw .engineFailed("a result of \(result.byteCount ?? -1) bytes")
            }
            let shared = try arena.share(resultFile, count: count, bufferClass: .response)
            defer { arena.release(shared) }
            response = .success(try shared.withUnsafeBytes { bytes throws(LetheError) in try arena.copy(bytes, bufferClass: .response) })
        }
        try channel.send(.release, EngineNothing())
        let (wiped, stray) = try channel.receive(.wiped, as: EngineWipe.self, timeout: .seconds(30))
        if let stray { close(stray) }
        return Outcome(
            response: response, engineWipe: wiped.report, stageSeconds: result.stageSeconds, codecPassesAborted: max(0, result.codecPassesAborted))
    }

    /// The largest result an engine may return (JSON with base64 renderings of at most
    /// `--max-simulation-dimension`).
    static let maxResultBytes = 512 << 20

    /// Ends the engine at once (SIGKILL), reaps it and closes the channel.
    func terminate() {
        _ = lethe_kill_and_reap(pid)
        channel.close()
    }
}

/// Runs `body` with `strings` as a NULL-terminated C array.
private func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
    let pointers = strings.map { strdup($0) } + [nil]
    defer { pointers.forEach { free($0) } }
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}
