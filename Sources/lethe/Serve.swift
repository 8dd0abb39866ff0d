import ArgumentParser
import Foundation
import LetheServer
import Logging

/// `lethe serve`: runs the worker until SIGTERM/SIGINT.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the worker (OHTTP gateway, analysis, deletion ledger).")

    @OptionGroup var options: ServerOptions

    func run() async throws {
        let configuration = try options.resolved()
        LoggingSystem.bootstrap(StreamLogHandler.standardError)
        let logger = Logger(label: "lethe")
        let worker = try await LetheWorker(configuration: configuration, logger: logger)
        let demoToken = worker.demoToken
        try await worker.runUntilSignalled { port in
            print("lethe listening on http://\(configuration.host):\(port)")
            if let demoToken {
                print("""
                    No --tokens-file: one demo device was created for this run.
                    Try: swift run lethe analyze Fixtures/astronaut.png --server http://\(configuration.host):\(port) --token \(demoToken)
                    """)
            }
        }
    }
}
