import ArgumentParser
import Foundation
import LetheEngine

/// `lethe engine`: one of the gateway's engine processes (hidden: only the gateway starts it, with
/// its channel on descriptor 3; see `EngineLoop`). `main.swift` runs it synchronously, before the
/// concurrency runtime starts any thread.
struct EngineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "engine", abstract: "Engine process of the worker (started by 'lethe serve' only).", shouldDisplay: false)

    /// Serves jobs from the gateway until the channel closes; never returns.
    func runEngine() -> Never {
        Foundation.exit(EngineLoop.run())
    }

    func run() throws {
        runEngine()
    }
}
