import Foundation
@testable import LetheClient
import LetheEnvelope
import LetheMemory
import LetheTestSupport
import Testing

/// Errors a person can act on (issue 19, point 5): every failure `LetheClient` meets on the
/// device is one stable code and one line naming what to check, never a platform error's dump.
/// Real failures: a closed port, a peer that never answers, a truncated body, a malformed key
/// configuration, a real worker's answer altered on the way, a key configuration for another key.
@Suite("LetheClient errors a person can act on")
struct ClientErrorTests {
    static let photo = TestPhotos.portrait

    /// The error `analyze` throws against `url`.
    static func failure(_ url: URL, token: String = "device-token", _ configure: (inout LetheClient) -> Void = { _ in }) async -> LetheClientError? {
        var client = LetheClient(serverURL: url, token: token)
        configure(&client)
        do {
            _ = try await client.analyze(photo: photo, kind: "face")
            return nil
        } catch {
            return error
        }
    }

    /// Asserts the one-line form: the code first, the cause, what to check, no platform dump.
    static func expectOneLine(_ error: LetheClientError?, code: String, saying words: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(error?.code == code, "\(String(describing: error))", sourceLocation: sourceLocation)
        guard let line = error?.line else { return }
        #expect(line.hasPrefix("\(code)"), "\(line)", sourceLocation: sourceLocation)
        #expect(!line.contains("\n") && line.contains("; check "), "\(line)", sourceLocation: sourceLocation)
        for forbidden in ["NSURLErrorDomain", "UserInfo", "Error Domain", "Optional("] {
            #expect(!line.contains(forbidden), "\(line)", sourceLocation: sourceLocation)
        }
        for word in words { #expect(line.contains(word), "\(line) should say \(word)", sourceLocation: sourceLocation) }
    }

    @Test("a closed port: worker_unreachable naming the host and port")
    func closedPort() async throws {
        let port = try ScriptedServer.closedPort()
        let error = await Self.failure(URL(string: "http://127.0.0.1:\(port)")!)
        Self.expectOneLine(error, code: "worker_unreachable", saying: ["127.0.0.1:\(port) refused the connection", "that the worker runs"])
        #expect(error?.status == 0 && error?.isTransport == true)
    }

    @Test("a host name that does not resolve: worker_host_unknown")
    func unknownHost() async throws {
        // RFC 6761 §6.4: `.invalid` never resolves.
        let error = await Self.failure(URL(string: "http://lethe-worker.invalid:8080")!)
        Self.expectOneLine(error, code: "worker_host_unknown", saying: ["lethe-worker.invalid:8080", "DNS"])
    }

    @Test("a peer that accepts and never answers: worker_timeout after the client's timeout")
    func hangingPeer() async throws {
        let error = try await ScriptedServer.with(.hang) { port in
            await Self.failure(URL(string: "http://127.0.0.1:\(port)")!) { $0.timeoutSeconds = 1 }
        }
        Self.expectOneLine(error, code: "worker_timeout", saying: ["did not answer in time", "--timeout-seconds"])
    }

    @Test("an answer cut off before its announced length: response_truncated")
    func truncatedBody() async throws {
        let head = "HTTP/1.1 200 OK\r\nContent-Type: application/ohttp-keys\r\nContent-Length: 41\r\nConnection: close\r\n\r\n"
        let error = try await ScriptedServer.with(.answer(Data(head.utf8) + Data([0x00, 0x27, 0x01, 0x00, 0x20]))) { port in
            await Self.failure(URL(string: "http://127.0.0.1:\(port)")!)
        }
        Self.expectOneLine(error, code: "response_truncated", saying: ["ended before the whole answer arrived", "proxy or relay"])
    }

    @Test("key discovery answering bytes that are no key configuration: malformed_key_config")
    func malformedKeyConfig() async throws {
        let body = Data("<html>captive portal</html>".utf8)
        let head = "HTTP/1.1 200 OK\r\nContent-Type: application/ohttp-keys\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n"
        let error = try await ScriptedServer.with(.answer(Data(head.utf8) + body)) { port in
            await Self.failure(URL(string: "http://127.0.0.1:\(port)")!)
        }
        Self.expectOneLine(error, code: "malformed_key_config", saying: ["/.well-known/ohttp-gateway"])
    }

    @Test("a server's problem document keeps its code and status; another service's answer is unexpected_response")
    func problemDocuments() async throws {
        let problem = Data(#"{"type":"about:blank","title":"the worker is not ready","code":"imaging_unavailable"}"#.utf8)
        let refused = try await ScriptedServer.with(.answer(Data("HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/problem+json\r\nContent-Length: \(problem.count)\r\nConnection: close\r\n\r\n".utf8) + problem)) { port in
            await Self.failure(URL(string: "http://127.0.0.1:\(port)")!)
        }
        Self.expectOneLine(refused, code: "imaging_unavailable", saying: ["(HTTP 503)", "the worker is not ready", "retry later"])
        let page = Data("not here".utf8)
        let other = try await ScriptedServer.with(.answer(Data("HTTP/1.1 404 Not Found\r\nContent-Length: \(page.count)\r\nConnection: close\r\n\r\n".utf8) + page)) { port in
            await Self.failure(URL(string: "http://127.0.0.1:\(port)")!)
        }
        Self.expectOneLine(other, code: "unexpected_response", saying: ["(HTTP 404)", "key discovery answered 404"])
    }

    @Test("a real worker's answer with one byte flipped on the way: response_decryption_failed")
    func tamperedResponse() async throws {
        let (tampered, control) = try await WorkerHarness().run { session in
            let port = session.baseURL.port!
            let tampered = try await ScriptedServer.with(.relay(port: port) { head, response in
                // Only the encapsulated answer; key discovery passes unchanged.
                guard head.hasPrefix("POST "), response.starts(with: Data("HTTP/1.1 200".utf8)) else { return response }
                var altered = response
                altered[altered.count - 3] ^= 0x01
                return altered
            }) { relay in
                await Self.failure(URL(string: "http://127.0.0.1:\(relay)")!, token: session.token)
            }
            // Control: the same relay without the flip delivers the answer.
            let control = try await ScriptedServer.with(.relay(port: port) { _, response in response }) { relay in
                try await LetheClient(serverURL: URL(string: "http://127.0.0.1:\(relay)")!, token: session.token).analyze(photo: Self.photo, kind: "face")
            }
            return (tampered, control.kind)
        }
        Self.expectOneLine(tampered, code: "response_decryption_failed", saying: ["proxy or relay"])
        #expect(control == "face")
    }

    @Test("a pinned key configuration of another key (decryption_failed) or an unknown key id (unknown_key_id): the worker's code, HTTP 400, check the key configuration")
    func wrongKeyConfig() async throws {
        let (wrongKey, unknownID) = try await WorkerHarness().run { session in
            let config = try await session.x25519Config()
            let impostor = try OHTTPPrivateKey.generate(keyID: config.keyID, kem: .x25519).config
            let wrongKey = await Self.failure(session.baseURL, token: session.token) { $0.pinnedKeyConfig = impostor }
            let unknownID = await Self.failure(session.baseURL, token: session.token) {
                $0.pinnedKeyConfig = OHTTPKeyConfig(keyID: config.keyID &+ 77, kemID: config.kemID, publicKey: config.publicKey, suites: config.suites)
            }
            return (wrongKey, unknownID)
        }
        Self.expectOneLine(wrongKey, code: "decryption_failed", saying: ["(HTTP 400)", "not this worker's key"])
        Self.expectOneLine(unknownID, code: "unknown_key_id", saying: ["(HTTP 400)", "rotated its keys"])
    }

    @Test("every client code and every code the client raises from lower layers has its own advice")
    func everyClientCodeHasAdvice() {
        let lowerLayers = LetheError.Code.all.map(\.rawValue).filter {
            ["malformed_key_config", "malformed_response", "response_decryption_failed", "encapsulation_failed"].contains($0)
                || $0.hasPrefix("note_") || $0.hasPrefix("checkpoint_") || $0.hasPrefix("receipt_") || $0 == "verifier_key_invalid"
        }
        #expect(lowerLayers.count >= 10)
        for code in LetheClientError.clientCodes + lowerLayers {
            #expect(LetheClientError.checks[code] != nil, "\(code) has no advice of its own")
        }
        #expect(LetheClientError.transportCodes.isSubset(of: Set(LetheClientError.clientCodes)))
    }

    /// The codes the browser client (`Clients/web/lethe-client.js`) raises that neither
    /// `LetheClient` nor the worker has (the table documents them too, with no exit status).
    static func browserOnlyCodes() throws -> Set<String> {
        let script = try String(contentsOf: Repository.root.appendingPathComponent("Clients/web/lethe-client.js"), encoding: .utf8)
        let raised = script.components(separatedBy: "new LetheWebError('").dropFirst().map { String($0.prefix { $0 != "'" }) }
        return Set(raised).subtracting(LetheClientError.clientCodes).subtracting(LetheError.Code.all.map(\.rawValue))
    }

    @Test("the README's client error table lists exactly LetheClientError.clientCodes and the browser client's own codes, with exit 3 for the transport codes, 4 for the others, none for the browser's")
    func readmeClientTable() throws {
        let text = try String(contentsOf: Repository.root.appendingPathComponent("README.md"), encoding: .utf8)
        let section = try #require(text.range(of: "### Client error codes"))
        let rows = text[section.upperBound...].split(separator: "\n").drop(while: { !$0.hasPrefix("|") }).prefix(while: { $0.hasPrefix("|") })
        var documented: [String: String] = [:]
        for row in rows.dropFirst(2) {
            let columns = row.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            guard columns.count >= 3 else { continue }
            let code = columns[0].trimmingCharacters(in: CharacterSet(charactersIn: "`"))
            #expect(documented[code] == nil, "\(code) documented twice")
            documented[code] = columns[1]
        }
        let browserOnly = try Self.browserOnlyCodes()
        #expect(browserOnly.contains("request_too_large"))
        let codes = Set(LetheClientError.clientCodes).union(browserOnly)
        #expect(Set(documented.keys) == codes, "README: \(documented.keys.sorted()); code: \(codes.sorted())")
        for (code, exit) in documented {
            let expected = browserOnly.contains(code) ? "—" : LetheClientError.transportCodes.contains(code) ? "3" : "4"
            #expect(exit == expected, "\(code): exit \(exit)")
        }
    }
}
