import Foundation
import LetheClient
import LetheLedger
import LetheServer
import LetheTestSupport
import Logging
import Testing

// README-EXAMPLE-BEGIN
// An app's whole use of LetheClient: key discovery, one encrypted analysis, the results, and the
// proof that the worker deleted the photo. `ledgerKey` is the worker's C2SP verifier key, shipped
// with the app (pinned), e.g. "lethe.example+2771f138+Afvg…".
func analyseAndProveDeletion(photo: Data, server: URL, token: String, ledgerKey: String) async throws -> String {
    let client = LetheClient(serverURL: server, token: token)
    let verifier = try NoteVerifier(verifierKey: ledgerKey)

    // 1. Key discovery (RFC 9540): the worker's HPKE keys. analyze… fetches them itself when
    //    needed; an app can also pin one (client.pinnedKeyConfig) instead of trusting discovery.
    let keys = try await client.fetchKeyConfigs()

    // 2. One request, encrypted to the worker (RFC 9458); the sealed receipt is checked on arrival.
    let (result, receipt) = try await client.analyzeWithReceipt(photo: photo, kind: "face", ledgerKey: verifier)

    // 3. The results: JSON documented in openapi.yaml, decoded into LetheAPI types.
    var lines = ["\(keys.count) keys; \(result.kind) \(result.image.width)×\(result.image.height) \(result.image.format)"]
    if let measures = result.measures {
        lines.append("skin tone ITA \(measures.skinTone.itaDegrees)° (\(measures.skinTone.category)), erythema \(measures.redness.erythemaIndex)")
    }
    if let face = result.face { lines.append("face regions: \(face.regions.count)") }

    // 4. The deletion receipt: signed by the ledger key, then proven in the public log (waits for
    //    the receipt's period to be published and a checkpoint to cover it).
    let proof = try await client.proveInclusion(of: receipt, verifier: verifier, timeout: .seconds(120))
    lines.append("deleted at \(receipt.wipedAt), \(receipt.bytesWiped) bytes, wipe verified \(receipt.wipeVerified), entry #\(proof.index) in checkpoint of size \(proof.checkpoint.size)")
    return lines.joined(separator: "\n")
}
// README-EXAMPLE-END

/// The README's app-side example (issue 19, point 6) is this file's code, compiled with the tests
/// and run against a real worker on loopback.
@Suite("The README's LetheClient example")
struct ClientExampleTests {
    @Test("the README quotes the example exactly as it is compiled here")
    func readmeQuotesTheExample() throws {
        let source = try String(contentsOf: Repository.root.appendingPathComponent("Tests/LetheEndToEndTests/ClientExampleTests.swift"), encoding: .utf8)
        let readme = try String(contentsOf: Repository.root.appendingPathComponent("README.md"), encoding: .utf8)
        let example = try #require(Self.section(of: source, from: "// README-EXAMPLE-BEGIN\n", to: "// README-EXAMPLE-END\n"))
        let quoted = try #require(Self.section(of: readme, from: "<!-- client-example: Tests/LetheEndToEndTests/ClientExampleTests.swift -->\n```swift\n", to: "```\n"))
        #expect(quoted == "import Foundation\nimport LetheClient\nimport LetheLedger\n\n" + example)
    }

    @Test("the example analyses the portrait and proves its deletion against a real worker")
    func exampleRuns() async throws {
        let directory = URL(fileURLWithPath: "/tmp").appendingPathComponent("lethe-client-example-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        var configuration = ServerConfiguration()
        configuration.memoryBudgetMiB = nil
        // Engines are started from the built `lethe` (this process is the test binary); one each.
        configuration.engineExecutable = Repository.letheExecutable.path
        configuration.engineProcesses = 1
        configuration.port = 0
        configuration.adminPort = 0
        configuration.ledgerDirectory = directory.path
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
