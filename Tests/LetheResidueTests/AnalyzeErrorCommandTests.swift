import Foundation
import LetheTestSupport
import Testing

/// `lethe analyze --server …` on the real binary against real failures (issue 19, point 5): one
/// line on standard error, `error: CODE…; check …`, and the documented exit status (2 the worker
/// refused, 3 not reached or cut off, 4 did not verify, 64 usage).
@Suite("lethe analyze: errors a person can act on")
struct AnalyzeErrorCommandTests {
    /// Runs `lethe analyze` with `--server URL`; standard output and error merged (a failure
    /// prints nothing else).
    static func analyze(server: String, _ extra: [String] = []) async throws -> Program.Run {
        let run = try await Program.run(
            ServerProcess.executable.path,
            ["analyze", Repository.root.appendingPathComponent("Fixtures/astronaut.png").path, "--kind", "face", "--server", server, "--token", "device-token"] + extra,
            timeout: .seconds(120))
        #expect(!run.timedOut, "lethe analyze did not finish: \(run.output)")
        return run
    }

    /// Asserts a single `error: CODE…; check …` line with the words, and no platform dump.
    static func expectLine(_ run: Program.Run, status: Int32, code: String, saying words: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        expectLine(run.output, exit: run.status, status: status, code: code, saying: words, sourceLocation: sourceLocation)
    }

    /// `expectLine` for the output and exit status of a run inside another program.
    static func expectLine(_ output: String, exit: Int32, status: Int32, code: String, saying words: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        let lines = output.split(separator: "\n")
        #expect(exit == status, "exit \(exit): \(output)", sourceLocation: sourceLocation)
        #expect(lines.count == 1, "\(output)", sourceLocation: sourceLocation)
        let line = String(lines.first ?? "")
        #expect(line.hasPrefix("error: \(code)") && line.contains("; check "), "\(line)", sourceLocation: sourceLocation)
        #expect(!line.contains("NSURLErrorDomain") && !line.contains("UserInfo"), "\(line)", sourceLocation: sourceLocation)
        for word in words { #expect(line.contains(word), "\(line) should say \(word)", sourceLocation: sourceLocation) }
    }

    static func answer(_ status: String, type: String, body: Data) -> ScriptedServer.Behaviour {
        .answer(Data("HTTP/1.1 \(status)\r\nContent-Type: \(type)\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n".utf8) + body)
    }

    @Test("a closed port: worker_unreachable, exit 3 (was a raw NSURLErrorDomain Code=-1004 dump)")
    func closedPort() async throws {
        let port = try ScriptedServer.closedPort()
        let run = try await Self.analyze(server: "http://127.0.0.1:\(port)")
        Self.expectLine(run, status: 3, code: "worker_unreachable", saying: ["127.0.0.1:\(port) refused the connection", "that the worker runs"])
    }

    @Test("a worker that never answers: worker_timeout after --timeout-seconds, exit 3")
    func hangingWorker() async throws {
        let run = try await ScriptedServer.with(.hang) { port in
            try await Self.analyze(server: "http://127.0.0.1:\(port)", ["--timeout-seconds", "1"])
        }
        Self.expectLine(run, status: 3, code: "worker_timeout", saying: ["did not answer in time"])
    }

    @Test("an answer cut off before its announced length: response_truncated, exit 3")
    func truncatedAnswer() async throws {
        let head = "HTTP/1.1 200 OK\r\nContent-Type: application/ohttp-keys\r\nContent-Length: 41\r\nConnection: close\r\n\r\n"
        let run = try await ScriptedServer.with(.answer(Data(head.utf8) + Data([0x00, 0x27, 0x01]))) { port in
            try await Self.analyze(server: "http://127.0.0.1:\(port)")
        }
        Self.expectLine(run, status: 3, code: "response_truncated", saying: ["proxy or relay"])
    }

    @Test("key discovery serving something else: malformed_key_config, exit 4")
    func malformedKeyConfig() async throws {
        let run = try await ScriptedServer.with(Self.answer("200 OK", type: "application/ohttp-keys", body: Data("<html>portal</html>".utf8))) { port in
            try await Self.analyze(server: "http://127.0.0.1:\(port)")
        }
        Self.expectLine(run, status: 4, code: "malformed_key_config", saying: ["/.well-known/ohttp-gateway"])
    }

    @Test("a problem document: the server's code and status, exit 2")
    func problemDocument() async throws {
        let problem = Data(#"{"type":"about:blank","title":"the ledger could not be read","code":"ledger_unreadable"}"#.utf8)
        let run = try await ScriptedServer.with(Self.answer("503 Service Unavailable", type: "application/problem+json", body: problem)) { port in
            try await Self.analyze(server: "http://127.0.0.1:\(port)")
        }
        Self.expectLine(run, status: 2, code: "ledger_unreadable (HTTP 503)", saying: ["the ledger could not be read", "retry later"])
    }

    @Test("a real worker's answer altered on the way: response_decryption_failed, exit 4")
    func tamperedAnswer() async throws {
        let server = try await ServerProcess()
        defer { server.stop() }
        let run = try await ScriptedServer.with(.relay(port: server.port) { head, response in
            guard head.hasPrefix("POST "), response.starts(with: Data("HTTP/1.1 200".utf8)) else { return response }
            var altered = response
            altered[altered.count - 3] ^= 0x01
            return altered
        }) { relay in
            try await Program.run(
                ServerProcess.executable.path,
                ["analyze", Repository.root.appendingPathComponent("Fixtures/astronaut.png").path, "--kind", "face",
                 "--server", "http://127.0.0.1:\(relay)", "--token", server.token],
                timeout: .seconds(120))
        }
        Self.expectLine(run, status: 4, code: "response_decryption_failed", saying: ["altered"])
    }

    @Test("a TLS worker whose certificate the device does not trust: tls_failed, exit 3")
    func untrustedCertificate() async throws {
        // A real TLS listener on loopback (Python's ssl, a fresh self-signed certificate) around
        // one `lethe analyze` run; the script kills the run at 60 s and removes the certificate.
        let script = Repository.root.appendingPathComponent("Tests/Interop/untrusted_tls.py")
        let run = try await Program.run("python3", [
            script.path, ServerProcess.executable.path, "analyze", Repository.root.appendingPathComponent("Fixtures/astronaut.png").path,
            "--kind", "face", "--server", "https://127.0.0.1:{port}", "--token", "device-token", "--timeout-seconds", "30",
        ], timeout: .seconds(120))
        #expect(!run.timedOut)
        var lines = run.output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        // The client did reach the TLS server: the failure is the handshake, not the connection.
        let handshakes = lines.popLast() ?? ""
        #expect(handshakes.hasPrefix("handshakes attempted: ") && handshakes != "handshakes attempted: 0", "\(run.output)")
        Self.expectLine(lines.joined(separator: "\n"), exit: run.status, status: 3, code: "tls_failed", saying: ["TLS connection to 127.0.0.1:", "trusted roots"])
    }

    /// `lethe analyze` with the worker's ledger key pinned, through a relay that changes the
    /// worker's answers with `transform`.
    static func analyzeThroughRelay(_ server: ServerProcess, ledgerKey: String, transform: @escaping @Sendable (String, Data) -> Data) async throws -> Program.Run {
        try await ScriptedServer.with(.relay(port: server.port) { head, response in
            head.hasPrefix("POST ") ? transform(head, response) : response
        }) { relay in
            try await Program.run(
                ServerProcess.executable.path,
                ["analyze", Repository.root.appendingPathComponent("Fixtures/astronaut.png").path, "--kind", "face",
                 "--server", "http://127.0.0.1:\(relay)", "--token", server.token, "--ledger-key", ledgerKey],
                timeout: .seconds(120))
        }
    }

    /// `response` with its `Lethe-Receipt` header changed by `change` (the whole line, or nil to drop it).
    /// The head's end is found in the bytes: the body is ciphertext, and a search in the whole
    /// response decoded as a string read its first bytes as characters — when they decoded to a
    /// combining mark (about one answer in 500), the blank line joined it and was not found, the
    /// header passed unchanged and the "dropped" case got its receipt after all.
    static func receiptHeader(of response: Data, _ change: (String) -> String?) -> Data {
        guard let blankLine = response.range(of: Data("\r\n\r\n".utf8)) else { return response }
        let head = String(decoding: response[response.startIndex..<blankLine.lowerBound], as: UTF8.self)
        let lines = head.components(separatedBy: "\r\n").compactMap { line in
            line.lowercased().hasPrefix("lethe-receipt:") ? change(line) : line
        }
        return Data((lines.joined(separator: "\r\n") + "\r\n\r\n").utf8) + response[blankLine.upperBound...]
    }

    @Test("a receipt header is changed in the head whatever the ciphertext after it starts with (a combining mark, a CR LF)")
    func receiptHeaderOfBinaryBodies() {
        let head = "HTTP/1.1 200 OK\r\nContent-Type: message/ohttp-res\r\nLethe-Receipt: sealed\r\n\r\n"
        for body: [UInt8] in [[0xCC, 0x81, 0x41], [0x0D, 0x0A, 0xFF], [0xE2, 0x83, 0x90], [0x41, 0x42]] {
            let response = Data(head.utf8) + Data(body)
            let dropped = Self.receiptHeader(of: response) { _ in nil }
            #expect(dropped == Data("HTTP/1.1 200 OK\r\nContent-Type: message/ohttp-res\r\n\r\n".utf8) + Data(body), "\(body)")
        }
    }

    @Test("a receipt altered, dropped or signed by another log than the pinned key's: one line, exit 4")
    func badReceipts() async throws {
        let server = try await ServerProcess()
        defer { server.stop() }
        let ledgerKey = try await WebClientBrowserTests.ledgerKey(server)
        // One character of the sealed receipt changed on the way (the relay cannot forge its seal).
        let altered = try await Self.analyzeThroughRelay(server, ledgerKey: ledgerKey) { _, response in
            Self.receiptHeader(of: response) { line in
                var characters = Array(line)
                let middle = line.count - 20
                characters[middle] = characters[middle] == "A" ? "B" : "A"
                return String(characters)
            }
        }
        Self.expectLine(altered, status: 4, code: "receipt_malformed", saying: ["any relay"])
        let dropped = try await Self.analyzeThroughRelay(server, ledgerKey: ledgerKey) { _, response in
            Self.receiptHeader(of: response) { _ in nil }
        }
        Self.expectLine(dropped, status: 4, code: "receipt_missing", saying: ["Lethe-Receipt header"])
        // The worker's genuine receipt, checked against another log's key.
        let otherKey = try await WebClientBrowserTests.otherLogKeyWithPlus()
        let other = try await Self.analyzeThroughRelay(server, ledgerKey: otherKey) { _, response in response }
        Self.expectLine(other, status: 4, code: "note_unsigned", saying: ["--ledger-key"])
    }

    @Test("a timeout out of range or a URL that is not http(s): usage error 64")
    func usage() async throws {
        let zero = try await Self.analyze(server: "http://127.0.0.1:1", ["--timeout-seconds", "0"])
        #expect(zero.status == 64 && zero.output.contains("--timeout-seconds must be 1–3600"), "\(zero.output)")
        let path = try await Self.analyze(server: "127.0.0.1:8080")
        #expect(path.status == 64 && path.output.contains("http or https URL"), "\(path.output)")
    }
}
