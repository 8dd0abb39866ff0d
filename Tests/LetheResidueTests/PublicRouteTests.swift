import Foundation
import LetheClient
import LetheTestSupport
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The unauthenticated public routes of the real `lethe serve`, as an attacker and an auditor use
/// them (issue 12, points 2 and 9): numbers near `Int.max` must be refused, not trap the worker,
/// and every failure of a ledger route is the gateway's problem document, never a Swift error
/// description or a file path.
@Suite("Public routes through the real worker")
struct PublicRouteTests {
    /// Targets whose numbers overflow `Int` or the arithmetic done with them. The first one killed
    /// the worker (`TilePath`: index × 256) and every request in flight with it.
    static let overflowing = [
        "/ledger/tile/0/x100/x000/x000/x000/x000/000",
        "/ledger/tile/entries/x100/x000/x000/x000/x000/000",
        "/ledger/tile/63/x100/x000/x000/x000/x000/000.p/255",
        "/ledger/tile/0/x036/x028/x797/x018/x963/967",
        "/ledger/tile/entries/x036/x028/x797/x018/x963/968.p/1",
        "/ledger/tile/0/x009/x223/x372/x036/x854/x775/807",
        "/ledger/tile/0/x009/x223/x372/x036/x854/x775/808",
        "/ledger/tile/0/x999/x999/x999/x999/x999/x999/x999/x999/999",
        "/ledger/checkpoints/99999999999999999999",
        "/ledger/checkpoints/9223372036854775807",
        "/ledger/checkpoints/-9223372036854775808",
        "/ledger/entries?start=9223372036854775806&end=9223372036854775807",
        "/ledger/entries?start=9223372036854775807&end=9223372036854775808",
        "/ledger/entries?start=-9223372036854775808&end=0",
        "/ledger/proof/inclusion?index=9223372036854775806&size=9223372036854775807",
        "/ledger/proof/inclusion?index=9223372036854775807&size=18446744073709551616",
        "/ledger/proof/consistency?old=9223372036854775806&new=9223372036854775807",
        "/ledger/proof/consistency?old=-9223372036854775808&new=9223372036854775807",
    ]

    /// Status, media type and the decoded JSON body of a GET.
    static func get(_ server: ServerProcess, _ target: String) async throws -> (status: Int, type: String?, body: Data) {
        let url = try #require(URL(string: server.baseURL.absoluteString + target))
        let (body, response) = try await URLSession.shared.data(from: url)
        let http = try #require(response as? HTTPURLResponse)
        return (http.statusCode, http.value(forHTTPHeaderField: "Content-Type"), body)
    }

    /// Checks that a failure is the gateway's problem document with `code` (and status), carrying
    /// neither a file path nor a Swift error description.
    static func expectProblem(_ server: ServerProcess, _ target: String, status: Int, code: String) async throws {
        let answer = try await get(server, target)
        let text = String(decoding: answer.body, as: UTF8.self)
        #expect(answer.status == status, "\(target): \(answer.status) \(text)")
        #expect(answer.type == "application/problem+json", "\(target): \(answer.type ?? "no content type")")
        let problem = try JSONSerialization.jsonObject(with: answer.body) as? [String: Any]
        #expect(problem?["code"] as? String == code, "\(target): \(text)")
        #expect((problem?["title"] as? String)?.isEmpty == false, "\(target): \(text)")
        #expect(problem?["type"] as? String == "about:blank", "\(target): \(text)")
        for leak in [server.directory.path, "/tmp", ".jsonl", "segments", "LedgerError", "Error(", "errno", "No such file"] {
            #expect(!text.contains(leak), "\(target) answered with '\(leak)': \(text)")
        }
    }

    @Test("numbers that overflow get a 4xx problem document and the worker stays up")
    func overflowingNumbers() async throws {
        let server = try await ServerProcess()
        defer { server.stop() }
        for target in Self.overflowing {
            let answer = try await Self.get(server, target)
            let problem = try? JSONSerialization.jsonObject(with: answer.body) as? [String: Any]
            #expect((400..<500).contains(answer.status), "\(target): \(answer.status)")
            #expect(answer.type == "application/problem+json", "\(target)")
            #expect(["malformed_ledger_request", "not_in_ledger"].contains(problem?["code"] as? String ?? ""), "\(target)")
            #expect(server.process.isRunning, "the worker died on \(target): \(server.log.suffix(1500))")
        }
        // Still serving: the log's key and an analysis request (refused, and recorded).
        #expect(try await Self.get(server, "/ledger/key").status == 200)
        await #expect(throws: LetheClientError.self) {
            try await LetheClient(serverURL: server.baseURL, token: server.token).analyze(photo: Data("not a photo".utf8))
        }
        try await server.waitForLedgerEntries(1)
        #expect(server.process.isRunning)
    }

    @Test("every ledger route answers its failures with the problem document, never an error description or a path")
    func ledgerFailuresAreProblemDocuments() async throws {
        // Each record published at once (a commitment and a summary each), so that the log is known.
        let server = try await ServerProcess(arguments: ["--checkpoint-entries", "1"])
        defer { server.stop() }
        // The log starts with the worker's two OHTTP key entries, signed together (docs/ledger.md
        // §17): there is never a checkpoint of size 1, so the first failure is deterministic.
        try await Self.expectProblem(server, "/ledger/checkpoints/1", status: 404, code: "not_in_ledger")
        let client = LetheClient(serverURL: server.baseURL, token: server.token)
        for _ in 0..<2 { _ = try? await client.analyze(photo: Data("not a photo".utf8)) }
        try await server.waitForLedgerEntries(2)
        let deadline = Date().addingTimeInterval(30)
        while try await Self.get(server, "/ledger/checkpoints/6").status != 200, Date() < deadline { try await Task.sleep(for: .milliseconds(50)) }

        let failures: [(String, Int, String)] = [
            ("/ledger", 404, "not_found"),
            ("/ledger/keys", 404, "not_found"),
            ("/ledger/checkpoints/7", 404, "not_in_ledger"),
            ("/ledger/checkpoints/five", 400, "malformed_ledger_request"),
            ("/ledger/tile/0/001", 404, "not_in_ledger"),
            ("/ledger/tile/0/000.p/7", 404, "not_in_ledger"),
            ("/ledger/period?start=1999-01-01T00:00:00.000Z", 404, "not_in_ledger"),
            ("/ledger/period?start=never", 400, "malformed_ledger_request"),
            ("/ledger/tile/0/1", 400, "malformed_ledger_request"),
            ("/ledger/tile/entries/000.p/9", 404, "not_in_ledger"),
            ("/ledger/entries", 400, "malformed_ledger_request"),
            ("/ledger/entries?start=0&end=2000", 400, "malformed_ledger_request"),
            ("/ledger/entries?start=5&end=9", 404, "not_in_ledger"),
            ("/ledger/entries?start=0&end=1&start=1", 400, "malformed_ledger_request"),
            ("/ledger/proof/inclusion?index=0", 400, "malformed_ledger_request"),
            ("/ledger/proof/inclusion?index=7&size=9", 404, "not_in_ledger"),
            ("/ledger/proof/consistency?old=2&new=1", 404, "not_in_ledger"),
            ("/ledger/proof/consistency?old=x&new=1", 400, "malformed_ledger_request"),
            ("/ledger/proof/other", 404, "not_found"),
        ]
        for (target, status, code) in failures {
            try await Self.expectProblem(server, target, status: status, code: code)
        }
        #expect(try await Self.get(server, "/ledger/entries?start=0&end=2").status == 200)
        #expect(try await Self.get(server, "/ledger/tile/entries/000.p/2").status == 200)

        // A log segment the worker cannot read any more: 503, and the path stays in the operator's log.
        let segments = server.ledgerDirectory.appendingPathComponent("log")
        for name in try FileManager.default.contentsOfDirectory(atPath: segments.path) {
            try FileManager.default.removeItem(at: segments.appendingPathComponent(name))
        }
        try await Self.expectProblem(server, "/ledger/entries?start=0&end=2", status: 503, code: "ledger_unreadable")
        try await Self.expectProblem(server, "/ledger/tile/entries/000.p/2", status: 503, code: "ledger_unreadable")
        #expect(server.log.contains("ledger read failed"))
        #expect(server.process.isRunning)
    }
}
