import ArgumentParser
import CLetheSystem
import Foundation
import LetheAnalysis
import LetheEngine
import LetheImaging

/// `lethe engine`: one of the gateway's engine processes (hidden: only the gateway starts it, with
/// its channel on descriptor 3; see `EngineLoop`). `main.swift` runs it synchronously, before the
/// concurrency runtime starts any thread.
struct EngineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "engine", abstract: "Engine process of the worker (started by 'lethe serve' only).", shouldDisplay: false)

    @Option(help: .hidden)
    var selfTestForbidden: String?
    @Option(help: .hidden)
    var modelsDir = "Config/models"

    /// Serves jobs from the gateway until the channel closes; never returns.
    func runEngine() -> Never {
        guard let call = selfTestForbidden else { Foundation.exit(EngineLoop.run()) }
        Foundation.exit(selfTest(call))
    }

    func run() throws {
        runEngine()
    }

    /// The lock-down's test (debug builds only): warm up and lock down as an engine does, report
    /// the seccomp mode, then make the forbidden call `call`, which must kill the process (SIGSYS).
    private func selfTest(_ call: String) -> Int32 {
        #if DEBUG
        do {
            guard lethe_engine_prepare() == 0 else { return 1 }
            try VipsRuntime.start()
            let status = EngineSandbox.lockDown(models: try AnalysisModels.load(directory: modelsDir))
            FileHandle.standardOutput.write(Data("locked down: \(status.summary)\n".utf8))
            let result = lethe_engine_forbidden_call(call)
            FileHandle.standardOutput.write(Data("survived \(call): \(result)\n".utf8))
            return 0
        } catch {
            FileHandle.standardError.write(Data("lethe engine: \(error)\n".utf8))
            return 1
        }
        #else
        FileHandle.standardError.write(Data("lethe engine: --self-test-forbidden exists in debug builds only\n".utf8))
        return 2
        #endif
    }
}
