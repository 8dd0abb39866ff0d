import Foundation
import LetheEngine
import LetheImaging
import LetheMemory
import Logging
import Dispatch
import Synchronization

/// The gateway's engine processes (issue 14): up to `processes` keyless, locked-down `lethe
/// engine` children, each serving one request at a time. A request checks one out, exchanges its
/// photos for a result over the engine's channel, and gives it back; an engine that fails in any
/// way (crash, hang past the deadline, broken protocol) is killed on the spot and its request
/// answered `engine_failed`, and one that has served `requestsPerEngine` requests is recycled.
/// A retired engine's replacement starts at once; an engine missing for another reason (one that
/// could not start) is started when a request needs one, so the pool refills itself.
actor EnginePool {
    struct Configuration: Sendable {
        /// Engine processes at most (`--engine-processes`, ≥ 1).
        var processes: Int
        /// Requests an engine serves before it is replaced (`--engine-requests`).
        var requestsPerEngine: Int
        /// The `lethe` executable to start as `lethe engine` (this one: /proc/self/exe).
        var executable: String
        var setup: EngineSetup
        var processingLimits: ProcessingDeadline.Limits

        /// The engine's whole environment: glib on malloc (scrubbed frees), no temporary
        /// directory and no libvips modules, as for every lethe process (CLetheLaunch); a fixed
        /// time zone, so that glibc reads no zone file after lock-down; the test-only switches of
        /// a debug build. Nothing else of the gateway's (no LETHE_* secrets or paths).
        var environment: [String] {
            var variables = [
                "G_SLICE=always-malloc", "TMPDIR=\(ProcessHardening.noTemporaryDirectory)", "VIPSHOME=\(VipsRuntime.homeWithoutModules)", "TZ=UTC",
            ]
            #if DEBUG
            for name in ["LETHE_TEST_FAULT_WIPE", "LETHE_UNSAFE_DISABLE_HEAP_SCRUB"] {
                if let value = ProcessInfo.processInfo.environment[name] { variables.append("\(name)=\(value)") }
            }
            #endif
            return variables
        }
    }

    let configuration: Configuration
    /// libjpeg passes stopped at a deadline in the engines (the gateway's metric adds its own).
    static let codecPassesAborted = Atomic<Int>(0)
    private let logger: Logger
    private var idle: [EngineConnection] = []
    /// Engines running or starting (idle + checked out + starting).
    private var live = 0
    private var waiters: [CheckedContinuation<Void, Never>] = []
    private var stopped = false
    /// Why the last start failed; nil once an engine started (for `/readyz`).
    private(set) var startFailure: String?
    /// Plaintext bytes each engine may hold for a request (its share of the memory budget).
    private var engineBudgetBytes = Int.max
    /// Pids of the engines running now, checked out or idle.
    private var running: [Int32: EngineConnection] = [:]
    /// The worker's cores, shared with every engine (`RequestThreads`), and its memory file.
    nonisolated let cores: CoreLedger
    private let coresFile: Int32

    /// - Throws: `engine_failed` when the core ledger's memory file cannot be made.
    init(configuration: Configuration, logger: Logger) throws(LetheError) {
        self.configuration = configuration
        self.logger = logger
        guard let (cores, coresFile) = CoreLedger.makeShared(cores: configuration.setup.cores) else {
            throw .engineFailed("no memory file for the core ledger")
        }
        (self.cores, self.coresFile) = (cores, coresFile)
    }

    deinit {
        // A worker dropped without its service group running (router tests): no engine outlives it.
        for engine in running.values { engine.terminate() }
        close(coresFile)
    }

    /// Starts every engine and waits until each is ready (or failed, noted in `startFailure`).
    func start() async {
        var started: [EngineConnection] = []
        for _ in 0..<configuration.processes {
            guard let engine = try? await spawn() else { break }
            started.append(engine)
        }
        for engine in started { checkIn(engine, failed: false, served: false) }
    }

    /// The pids of the engines running now.
    var pids: [Int32] { Array(running.keys).sorted() }

    /// Sets each engine's share of the memory budget.
    func setEngineBudget(_ bytes: Int) {
        engineBudgetBytes = bytes
    }

    /// Runs `job` in an engine: its result (in `arena`) or its error, and what the engine wiped.
    /// With `releasingRequest`, `request` is wiped once its photos are in the engine's shared
    /// file (`EngineConnection.exchange`).
    /// - Throws: `engine_failed` when the engine failed (it is replaced; it reported no wipe, its
    ///   memory went with it), `worker_draining` after `stop()`, memory codes of the gateway.
    func run(
        _ job: AnalysisJob, photosIn request: SecureBuffer, releasingRequest: Bool = false, arena: PlaintextArena, timings: StageTimings
    ) async throws(LetheError) -> (response: Result<SecureBuffer, LetheError>, engineWipe: WipeReport) {
        let engine = try await checkOut()
        let (limits, budget, configuration) = (configuration.processingLimits, engineBudgetBytes, configuration)
        // The engine stops itself at the deadline; past it and a margin, it is hung.
        let timeout = limits.wallClock + .seconds(5)
        let outcome: EngineConnection.Outcome
        do throws(LetheError) {
            outcome = try await Self.blocking { () throws(LetheError) in
                try engine.exchange(
                    job, photosIn: request, arena: arena, limits: limits, engineBudgetBytes: budget,
                    secretMemory: configuration.setup.secretMemory, timeout: timeout, releasingRequest: releasingRequest)
            }
        } catch {
            let failure = error
            guard failure.code == .engineFailed else {
                // The gateway's own memory refused the photos' copy: the engine never saw the job.
                checkIn(engine, failed: false, served: false)
                throw failure
            }
            logger.error("engine failed, replaced", metadata: ["engine_pid": "\(engine.pid)", "reason": "\(failure.message)"])
            checkIn(engine, failed: true)
            throw failure
        }
        checkIn(engine, failed: false)
        EnginePool.codecPassesAborted.add(outcome.codecPassesAborted, ordering: .relaxed)
        for (name, seconds) in outcome.stageSeconds {
            guard let stage = AnalysisEngine.Stage(rawValue: name) else { continue }
            timings.record(WorkerMetrics.Stage(stage), .nanoseconds(Int64(seconds * 1e9)))
        }
        return (outcome.response, outcome.engineWipe)
    }

    /// Kills every engine (after the drain: none has a request any more) and refuses new work.
    func stop() {
        stopped = true
        for engine in idle { retire(engine) }
        idle.removeAll()
        for waiter in waiters { waiter.resume() }
        waiters.removeAll()
    }

    /// Runs `body` on a Dispatch thread: it blocks for a whole request (or an engine's warm-up)
    /// waiting on a socket, which must not hold one of NIO's few blocking-pool threads, shared by
    /// every worker of the process.
    private static func blocking<T: Sendable>(_ body: @escaping @Sendable () throws(LetheError) -> T) async throws(LetheError) -> T {
        let result: Result<T, LetheError> = await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                do throws(LetheError) { continuation.resume(returning: .success(try body())) } catch { continuation.resume(returning: .failure(error)) }
            }
        }
        return try result.get()
    }

    private func checkOut() async throws(LetheError) -> EngineConnection {
        while true {
            guard !stopped else { throw .workerDraining }
            if let engine = idle.popLast() { return engine }
            if live < configuration.processes { return try await spawn() }
            await withCheckedContinuation { waiters.append($0) }
        }
    }

    /// Takes an engine back: idle again, or replaced when it failed or has served its share.
    private func checkIn(_ engine: EngineConnection, failed: Bool, served: Bool = true) {
        if served { engine.requestsServed += 1 }
        if failed || stopped || engine.requestsServed >= configuration.requestsPerEngine {
            retire(engine)
            // The replacement warms up now, not when the next request needs it: a request that had
            // to wait for a warm-up (seconds under load) could outlast its queue timeout.
            if !stopped { Task { await refill() } }
        } else {
            idle.append(engine)
        }
        if !waiters.isEmpty { waiters.removeFirst().resume() }
    }

    /// Starts a replacement for a retired engine and makes it idle (or retires it, if the pool
    /// stopped meanwhile).
    private func refill() async {
        guard !stopped, live < configuration.processes, let engine = try? await spawn() else { return }
        checkIn(engine, failed: false, served: false)
    }

    private func retire(_ engine: EngineConnection) {
        engine.terminate()
        // An engine killed while it computed held cores that no one would free.
        cores.reclaim(heldBy: engine.pid)
        running[engine.pid] = nil
        live -= 1
    }

    /// Starts one engine (counted in `live` while it starts).
    private func spawn() async throws(LetheError) -> EngineConnection {
        live += 1
        let (configuration, coresFile) = (configuration, coresFile)
        do throws(LetheError) {
            let engine = try await Self.blocking { () throws(LetheError) in
                try EngineConnection.spawn(
                    executable: configuration.executable, environment: configuration.environment, setup: configuration.setup,
                    cores: coresFile, readyTimeout: .seconds(60))
            }
            running[engine.pid] = engine
            if startFailure != nil || running.count == 1 {
                logger.notice("engine started", metadata: ["engine_pid": "\(engine.pid)", "sandbox": "\(engine.sandbox)"])
            }
            startFailure = nil
            return engine
        } catch {
            live -= 1
            let failure = error
            startFailure = failure.message
            logger.error("engine could not start", metadata: ["reason": "\(failure.message)"])
            if !waiters.isEmpty { waiters.removeFirst().resume() }
            throw failure.code == .engineFailed ? failure : .engineFailed(failure.code.rawValue)
        }
    }
}
