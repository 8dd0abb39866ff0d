import ArgumentParser
import Foundation
import LetheMemory
import LetheServer
import Logging

/// `lethe serve`: runs the worker until SIGTERM/SIGINT.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the worker (OHTTP gateway, analysis, deletion ledger).")

    @OptionGroup var options: ServerOptions
    @Option(help: "Log format: text, or json for one JSON object per line (LETHE_LOG_FORMAT). Default text.")
    var logFormat: String?

    /// Forbids filesystem writes outside the ledger directory (Landlock). `main.swift` calls this
    /// before the concurrency runtime has started any thread: Landlock only confines the calling
    /// thread and the threads created after it.
    func confine() throws {
        let configuration = try options.resolved()
        try FileManager.default.createDirectory(
            atPath: configuration.ledgerDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        ProcessHardening.confine(
            writesTo: URL(fileURLWithPath: configuration.ledgerDirectory).standardizedFileURL.path,
            bindPorts: [configuration.port, configuration.adminPort], connectPorts: configuration.witnesses.map(\.port))
    }

    func run() async throws {
        let configuration = try options.resolved()
        switch try logFormat ?? options.environment()["LETHE_LOG_FORMAT"] ?? "text" {
        case "text": LoggingSystem.bootstrap(StreamLogHandler.standardError)
        case "json": LoggingSystem.bootstrap(JSONLogHandler.init)
        case let other: throw ValidationError("--log-format must be text or json, not '\(other)'")
        }
        let logger = Logger(label: "lethe")
        let confinement = ProcessHardening.current().filesystem
        switch confinement {
        case .active(let abi, _, _, _, _) where abi < 6:
            logger.error("landlock \(confinement): this kernel's Landlock (ABI \(abi)) cannot also confine\(abi < 4 ? " TCP binds and connects," : "") abstract Unix sockets and signals")
        case .active:
            break
        default:
            logger.error("landlock \(confinement): this process can write outside its ledger directory; nothing but the code stops plaintext reaching disk")
        }
        if configuration.adminToken == nil, !["127.0.0.1", "::1", "localhost"].contains(configuration.adminHost) {
            logger.warning("the operator listener on \(configuration.adminHost) serves /metrics without a token: set LETHE_ADMIN_TOKEN, or LETHE_ADMIN_HOST=auto")
        }
        LetheWorker.configureProcess(for: configuration)
        let worker = try await LetheWorker(configuration: configuration, logger: logger)
        let demoToken = worker.demoToken
        try await worker.runUntilSignalled { ports in
            let port = ports.gateway
            var announcement = """
                lethe listening on http://\(configuration.host):\(port) (pid \(getpid()))
                operator endpoints (metrics, healthz, readyz) on http://\(configuration.adminHost):\(ports.admin)

                """
            if let demoToken {
                announcement += """
                    No --tokens-file: one demo device was created for this run.
                    Try: swift run lethe analyze Fixtures/astronaut.png --kind face --server http://\(configuration.host):\(port) --token \(demoToken)

                    """
            }
            // Unbuffered, so that supervisors and tests reading a pipe see it at once.
            FileHandle.standardOutput.write(Data(announcement.utf8))
        }
    }
}
