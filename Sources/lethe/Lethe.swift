import ArgumentParser

/// `lethe`: the worker, its device-side client, and its key tool (entry point: `main.swift`).
struct Lethe: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lethe",
        abstract: "Ephemeral, encrypted skin-image analysis that wipes every buffer and proves it.",
        subcommands: [Serve.self, Analyze.self, Keys.self, Audit.self, WitnessCommand.self, ConfigCommand.self, Bench.self, EngineCommand.self])
}
