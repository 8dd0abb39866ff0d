import Foundation
import LetheClient
import LetheTestSupport
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// openapi.yaml against the real `lethe serve` (issue 19, point 4): schemathesis (PyPI, installed
/// by scripts/bootstrap) generates requests for every outer route from the specification — valid
/// ones, invalid ones, undeclared methods — and checks every answer against it: documented
/// statuses, media types and schemas, 405 with `Allow` for undeclared methods, schema-valid
/// requests accepted. The inner API travels encrypted and is outside its reach (tag `inner`).
@Suite("The OpenAPI contract through the real worker", .tags(.needsSchemathesis))
struct ContractTests {
    /// Deterministic generation (no seed, no example database) and a bounded number of examples per
    /// operation: the same requests on every run, so that a failure reproduces and CI time stays
    /// modest. Contract/schemathesis.toml names the two operations whose validity a schema cannot
    /// state; Contract/schemathesis_hooks.py sends generated message/ohttp-req bodies as bytes.
    static let schemathesisArguments = [
        "run", Repository.root.appendingPathComponent("openapi.yaml").path,
        "--include-tag", "outer", "--checks", "all",
        "--generation-deterministic", "--max-examples", "25",
        "--workers", "1", "--no-color", "--request-timeout", "30",
    ]

    @Test("schemathesis finds no contract failure on the outer routes")
    func schemathesisFindsNoFailure() async throws {
        // A missing schemathesis fails the test: the contract is part of the normal test command.
        let version = try await Program.run("st", ["--version"], timeout: .seconds(60))
        try #require(version.status == 0, "schemathesis is missing (python3 -m pip install schemathesis, or scripts/bootstrap): \(version.output)")
        // A log that holds entries and checkpoints, so that the ledger routes' 200 answers are
        // checked against their schemas too, not only their refusals.
        let server = try await ServerProcess(arguments: ["--checkpoint-entries", "1"])
        defer { server.stop() }
        let client = LetheClient(serverURL: server.baseURL, token: server.token)
        _ = try await client.analyze(photo: try MarkerPhoto.make(seed: 1_900, width: 128, height: 128).file)
        _ = try? await client.analyze(photo: Data("not a photo".utf8))
        try await server.waitForLedgerEntries(2)
        let deadline = Date().addingTimeInterval(60)
        // Entries 0–1 are the worker's two logged OHTTP key configurations (docs/ledger.md §17),
        // then one wipe entry and one summary per request.
        while try await Self.status(server, "GET", "/ledger/checkpoints/6").status != 200 {
            try #require(Date() < deadline, "no checkpoint of the two requests' entries")
            try await Task.sleep(for: .milliseconds(50))
        }
        let contract = Repository.root.appendingPathComponent("Tests/LetheResidueTests/Contract")
        // Run from the server's temporary directory, removed by `stop()`: Hypothesis keeps a cache
        // in `.hypothesis` under the current directory.
        let run = try await Program.run(
            "/bin/sh", ["-c", #"cd "$1" && shift && exec st "$@""#, "sh", server.directory.path,
                        "--config-file", contract.appendingPathComponent("schemathesis.toml").path]
                + Self.schemathesisArguments + ["--url", server.baseURL.absoluteString],
            environment: ["SCHEMATHESIS_HOOKS": contract.appendingPathComponent("schemathesis_hooks.py").path], timeout: .seconds(600))
        #expect(!run.timedOut)
        #expect(run.status == 0, "schemathesis: \(run.output.suffix(12_000))")
        // The summary line, e.g. "=== 0 failures ... in 3.1s ===" — or "N passed".
        #expect(!run.output.contains(" failures,") && !run.output.contains(" failure,"), "\(run.output.suffix(12_000))")
        #expect(!run.output.contains("Errors:"), "schemathesis could not test everything: \(run.output.suffix(12_000))")
        #expect(run.output.contains("Tested: "), "\(run.output.suffix(4_000))")
        // Every request schemathesis sent was answered: the worker is still up.
        #expect(try await Self.status(server, "GET", "/healthz").status == 200)
    }

    /// Paths the specification declares, each with a method none of its operations declares.
    static let undeclaredMethods = [
        ("TRACE", "/.well-known/ohttp-gateway", "GET, HEAD, POST, OPTIONS"),
        ("DELETE", "/.well-known/ohttp-gateway", "GET, HEAD, POST, OPTIONS"),
        ("PUT", "/healthz", "GET, HEAD"),
        ("TRACE", "/ledger/checkpoint", "GET, HEAD"),
        ("PATCH", "/ledger/tile/0/000", "GET, HEAD"),
        ("POST", "/ledger/entries?start=0&end=1", "GET, HEAD"),
        ("TRACE", "/web", "GET, HEAD"),
        ("DELETE", "/web/index.html", "GET, HEAD"),
    ]

    @Test("an undeclared method on a declared path is 405 method_not_allowed with Allow; an unknown path stays 404")
    func undeclaredMethodIsNotAllowed() async throws {
        let server = try await ServerProcess()
        defer { server.stop() }
        for (method, target, allow) in Self.undeclaredMethods {
            let answer = try await Self.status(server, method, target)
            #expect(answer.status == 405, "\(method) \(target): \(answer.status) \(String(decoding: answer.body, as: UTF8.self))")
            #expect(answer.headers["Allow"] == allow, "\(method) \(target)")
            #expect(answer.headers["Content-Type"] == "application/problem+json", "\(method) \(target)")
            let problem = try? JSONSerialization.jsonObject(with: answer.body) as? [String: Any]
            #expect(problem?["code"] as? String == "method_not_allowed", "\(method) \(target)")
            #expect(try await Self.status(server, method, "/no/such/path").status == 404, "\(method)")
        }
    }

    @Test("OPTIONS on the gateway lists its methods without --cors-origin; HEAD answers where GET does")
    func optionsAndHead() async throws {
        let server = try await ServerProcess()
        defer { server.stop() }
        let options = try await Self.status(server, "OPTIONS", "/.well-known/ohttp-gateway")
        #expect(options.status == 204)
        #expect(options.headers["Allow"] == "GET, HEAD, POST, OPTIONS")
        #expect(try await Self.status(server, "HEAD", "/healthz").status == 200)
        #expect(try await Self.status(server, "HEAD", "/.well-known/ohttp-gateway").status == 200)
    }

    @Test("a missing web client file is the problem document openapi.yaml declares, served or not")
    func webClientNotFoundIsProblem() async throws {
        let web = Repository.root.appendingPathComponent("Clients/web").path
        for arguments in [[], ["--serve-web-client", "true", "--web-client-dir", web]] {
            let server = try await ServerProcess(arguments: arguments)
            defer { server.stop() }
            for target in (arguments.isEmpty ? ["/web", "/web/index.html"] : []) + ["/web/no-such-module.js", "/web/%C2%84"] {
                let answer = try await Self.status(server, "GET", target)
                #expect(answer.status == 404, "\(arguments) \(target)")
                #expect(answer.headers["Content-Type"] == "application/problem+json", "\(arguments) \(target)")
                let problem = try? JSONSerialization.jsonObject(with: answer.body) as? [String: Any]
                #expect(problem?["code"] as? String == "not_found", "\(arguments) \(target)")
            }
        }
    }

    /// Status, headers (by canonical name) and body of one request, redirects not followed.
    static func status(_ server: ServerProcess, _ method: String, _ target: String) async throws -> (status: Int, headers: [String: String], body: Data) {
        var request = URLRequest(url: try #require(URL(string: server.baseURL.absoluteString + target)))
        request.httpMethod = method
        let (body, response) = try await URLSession.shared.data(for: request)
        let http = try #require(response as? HTTPURLResponse)
        var headers: [String: String] = [:]
        for (name, value) in http.allHeaderFields {
            guard let name = name as? String, let value = value as? String else { continue }
            headers[name.split(separator: "-").map { $0.prefix(1).uppercased() + $0.dropFirst().lowercased() }.joined(separator: "-")] = value
        }
        return (http.statusCode, headers, body)
    }
}
