import Foundation
import LetheEngine
import ServiceLifecycle

/// Stops the engine pool at shutdown. Registered before the gateway in the service group, so it
/// stops after the gateway has drained: the engines ignore SIGTERM, and in-flight requests finish
/// in them.
struct EnginePoolService: Service {
    let pool: EnginePool?

    func run() async throws {
        try? await gracefulShutdown()
        await pool?.stop()
    }
}

extension EnginePool.Configuration {
    /// The pool of a worker serving `configuration`.
    init(_ configuration: ServerConfiguration) {
        self.init(
            // No more engines than requests processed at once: more would never all be busy.
            processes: min(configuration.engineProcesses, configuration.maxConcurrentRequests), requestsPerEngine: configuration.engineRequests,
            executable: configuration.engineExecutable,
            setup: EngineSetup(
                vips: configuration.vips, modelsDirectory: configuration.modelsDirectory,
                codecPassLimit: configuration.processingLimits.wallClock, secretMemory: configuration.engineSecretMemory,
                pagePoolBytes: configuration.pagePoolBytes,
                requestThreads: configuration.requestThreads, cores: ProcessInfo.processInfo.activeProcessorCount),
            processingLimits: configuration.processingLimits)
    }
}
