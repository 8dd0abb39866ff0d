import ArgumentParser
import Foundation
import LetheAPI
import LetheClient
import LetheLedger
import LetheServer
import Logging

/// `lethe analyze PHOTO`: the device side, against a running worker or an embedded one.
struct Analyze: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Send a photo, encrypted, to a worker and print the measures.",
        discussion: "Without --server an embedded worker starts on a free loopback port, analyses the photo end to end, and shows the deletion record it wrote.")

    @Argument(help: "Photo file (JPEG, PNG, WebP, HEIF).")
    var photo: String
    @Option(help: "Worker URL, e.g. http://127.0.0.1:8080. Default: an embedded worker.")
    var server: String?
    @Option(help: "Device bearer token (required with --server).")
    var token: String?
    @Option(help: "Analysis kind.")
    var kind: String = "skin"
    @Flag(help: "Encrypt to the worker's X-Wing (post-quantum) key instead of X25519.")
    var postQuantum = false
    @Flag(help: "Print the worker's JSON result instead of a table.")
    var json = false
    @OptionGroup(title: "Embedded worker (without --server)") var options: ServerOptions

    func run() async throws {
        guard let photoBytes = FileManager.default.contents(atPath: photo) else {
            throw ValidationError("cannot read \(photo)")
        }
        let outcome: Result<AnalysisResponse, LetheClientError>
        if let server {
            guard let token, let url = URL(string: server) else {
                throw ValidationError("--server needs a URL and --token")
            }
            outcome = await Self.analyze(photoBytes, client: LetheClient(serverURL: url, token: token), kind: kind, postQuantum: postQuantum)
            try report(outcome, ledgerDirectory: nil)
        } else {
            var configuration = try options.resolved()
            if options.port == nil, ProcessInfo.processInfo.environment["LETHE_PORT"] == nil { configuration.port = 0 }
            var logger = Logger(label: "lethe")
            logger.logLevel = .warning
            let worker = try await LetheWorker(configuration: configuration, logger: logger)
            guard let deviceToken = token ?? worker.demoToken else {
                throw ValidationError("--tokens-file given: pass --token for one of its devices")
            }
            let (host, kind, postQuantum) = (configuration.host, kind, postQuantum)
            outcome = try await worker.withRunningServer { port in
                let client = LetheClient(serverURL: URL(string: "http://\(host):\(port)")!, token: deviceToken)
                return await Self.analyze(photoBytes, client: client, kind: kind, postQuantum: postQuantum)
            }
            try report(outcome, ledgerDirectory: configuration.ledgerDirectory)
        }
    }

    private static func analyze(_ photo: Data, client: LetheClient, kind: String, postQuantum: Bool) async -> Result<AnalysisResponse, LetheClientError> {
        do {
            return .success(try await client.analyze(photo: photo, kind: kind, postQuantum: postQuantum))
        } catch {
            return .failure(error)
        }
    }

    private func report(_ outcome: Result<AnalysisResponse, LetheClientError>, ledgerDirectory: String?) throws {
        let requestID: String?
        switch outcome {
        case .success(let response):
            requestID = response.requestID
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                print(String(decoding: try encoder.encode(response), as: UTF8.self))
            } else {
                print(ResultTable(response).text)
            }
        case .failure(let error):
            requestID = error.requestID
            FileHandle.standardError.write(Data("error: \(error.code) (HTTP \(error.status)): \(error.message)\n".utf8))
        }
        if let ledgerDirectory, !json {
            let entries = (try? DeletionLedger.readEntries(in: URL(fileURLWithPath: ledgerDirectory))) ?? []
            if let entry = entries.last(where: { $0.requestID == requestID }) ?? (requestID == nil ? entries.last : nil) {
                print("""
                    Deleted: \(entry.totalBytesWiped) plaintext bytes in \(entry.buffersWiped) buffers wiped at \(entry.wipedAt), \
                    verified \(entry.wipeVerified ? "yes" : "NO"), plaintext lifetime \(entry.plaintextLifetimeMicroseconds / 1000) ms; \
                    ledger entry #\(entry.sequence) in \(ledgerDirectory)/\(DeletionLedger.entriesFileName)
                    """)
            }
        }
        if case .failure = outcome { throw ExitCode(2) }
    }
}
