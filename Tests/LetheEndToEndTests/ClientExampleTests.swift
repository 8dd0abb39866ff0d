import Foundation
import LetheClient
import LetheClientExample
import LetheServer
import LetheTestSupport
import Logging
import Testing

/// The README's app-side example (issue 19, point 6) is `Examples/LetheClientExample`, a target
/// that depends on the `LetheClient` library alone, as an app does; it is compiled with the tests
/// and run here against a real worker on loopback.
@Suite("The README's LetheClient example")
struct ClientExampleTests {
    static let examplePath = "Examples/LetheClientExample/AnalyseAndProveDeletion.swift"

    @Test("the README quotes the example exactly as it is compiled")
    func readmeQuotesTheExample() throws {
        let source = try String(contentsOf: Repository.root.appendingPathComponent(Self.examplePath), encoding: .utf8)
        let readme = try String(contentsOf: Repository.root.appendingPathComponent("README.md"), encoding: .utf8)
        let quoted = try #require(Self.section(of: readme, from: "<!-- client-example: \(Self.examplePath) -->\n```swift\n", to: "```\n"))
        #expect(quoted == source)
    }

    @Test("the example analyses the portrait and proves its deletion against a real worker")
    func exampleRuns() async throws {
        let directory = URL(fileURLWithPath: "/tmp").appendingPathComponent("lethe-client-example-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        var configuration = WorkerHarness.testConfiguration(ledgerDirectory: directory)
        // A checkpoint per entry, so that the inclusion proof is there in seconds.
        configuration.ledger.checkpointEveryEntries = 1
        configuration.ledger.checkpointIntervalSeconds = 0.5
        var logger = Logger(label: "lethe-test")
        logger.logLevel = .warning
        let worker = try await LetheWorker(configuration: configuration, logger: logger)
        let token = try #require(worker.demoToken)
        let summary = try await withTaskExecutorPreference(DedicatedExecutor.shared) {
            try await worker.withRunningServer { ports in
                try await analyseAndProveDeletion(
                    photo: TestPhotos.portrait, server: URL(string: "http://127.0.0.1:\(ports.gateway)")!, token: token,
                    ledgerKey: worker.ledgerVerifierKey)
            }
        }
        #expect(summary.hasPrefix("2 keys; face "), "\(summary)")
        #expect(summary.contains("face regions: "), "\(summary)")
        // Entries 0 and 1 are the worker's two logged OHTTP key configurations (docs/ledger.md §17).
        #expect(summary.contains("wipe verified true, entry #2 in checkpoint"), "\(summary)")
    }

    /// The text between two markers (the first occurrence of each), or nil.
    static func section(of text: String, from start: String, to end: String) -> String? {
        guard let lower = text.range(of: start), let upper = text.range(of: end, range: lower.upperBound..<text.endIndex) else { return nil }
        return String(text[lower.upperBound..<upper.lowerBound])
    }
}
