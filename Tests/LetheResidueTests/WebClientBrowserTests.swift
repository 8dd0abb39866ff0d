import Foundation
import LetheAPI
import LetheClient
import LetheTestSupport
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The browser client (`Clients/web`) in Debian's headless Chromium against the real worker
/// started with `--serve-web-client true`: RFC 9458 Appendix A byte for byte in the browser, the
/// fixture portrait analysed end to end with the same measures `LetheClient` gets, the receipt's
/// signature and inclusion proof checked with the pinned ledger key, and tampering refused by code.
@Suite("Browser client in Chromium", .serialized, .tags(.needsChromium))
struct WebClientBrowserTests {
    /// The query that both clients send (face, every face concern simulated).
    static let concerns = ["spots", "redness", "pores", "wrinkles", "evenness"]

    /// A copy of `Clients/web` with the fixture photo and the Appendix A vectors beside it, served
    /// through `--web-client-dir` (which the test thereby covers too).
    static func webDirectory() throws -> URL {
        let directory = URL(fileURLWithPath: "/tmp/lethe-web-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for name in try FileManager.default.contentsOfDirectory(atPath: "Clients/web") {
            try FileManager.default.copyItem(atPath: "Clients/web/\(name)", toPath: directory.appendingPathComponent(name).path)
        }
        try FileManager.default.copyItem(atPath: "Fixtures/astronaut.png", toPath: directory.appendingPathComponent("astronaut.png").path)
        try FileManager.default.copyItem(
            atPath: "Tests/LetheEnvelopeTests/Vectors/rfc9458-appendix-a.json",
            toPath: directory.appendingPathComponent("rfc9458-appendix-a.json").path)
        return directory
    }

    /// Runs Chromium headless on `url` with a fresh profile. Virtual time lets the page's fetches
    /// and WebCrypto work finish (network waits pause it) before the DOM is dumped.
    static func chromium(_ arguments: [String], _ url: String) async throws -> String {
        guard RequiredTool.installed("chromium") else { throw HarnessError("chromium is not installed") }
        let profile = "/tmp/lethe-chromium-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: profile) }
        // --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
        let result = try await Program.run("/usr/bin/env", [
            "chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--virtual-time-budget=120000",
            "--user-data-dir=\(profile)",
        ] + arguments + [url])
        guard result.status == 0 else { throw HarnessError("chromium exited \(result.status)") }
        return result.output
    }

    /// The JSON the test page wrote into `#results`.
    static func results(_ dom: String) throws -> [String: Any] {
        guard let start = dom.range(of: #"<pre id="results">"#), let end = dom.range(of: "</pre>", range: start.upperBound..<dom.endIndex) else {
            throw HarnessError("the page wrote no results")
        }
        let text = String(dom[start.upperBound..<end.lowerBound])
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&lt;", with: "<")
            .replacingOccurrences(of: "&gt;", with: ">").replacingOccurrences(of: "&amp;", with: "&")
        guard let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
            throw HarnessError("the results are not a JSON object")
        }
        return object
    }

    static func ledgerKey(_ server: ServerProcess) async throws -> String {
        let run = try await Program.run(ServerProcess.executable.path, ["keys", "ledger", "--ledger-dir", server.ledgerDirectory.path])
        // The verifier key line: name+8 hex+base64 (other output lines are logs).
        let line = run.output.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.last {
            $0.range(of: #"^[^ +]+\+[0-9a-f]{8}\+[A-Za-z0-9+/=]+$"#, options: .regularExpression) != nil
        }
        guard run.status == 0, let line else { throw HarnessError("lethe keys ledger printed no verifier key") }
        return line
    }

    /// Another log's verifier key whose base64 holds a `+` (about half of them do): the page must
    /// split the key at its first two `+` only (it split at every one and refused such keys as
    /// `verifier_key_invalid`), then find the receipt `note_unsigned` by it.
    static func otherLogKeyWithPlus() async throws -> String {
        let file = "/tmp/lethe-other-ledger-\(UUID().uuidString).key"
        defer { try? FileManager.default.removeItem(atPath: file) }
        for _ in 0..<40 {
            try? FileManager.default.removeItem(atPath: file)
            let run = try await Program.run(ServerProcess.executable.path, ["keys", "ledger", "--generate", "--key-file", file, "--origin", "other.example/log"])
            guard run.status == 0, let key = run.output.split(separator: "\n").first(where: { $0.hasPrefix("other.example/log+") }) else {
                throw HarnessError("lethe keys ledger --generate failed")
            }
            if key.split(separator: "+").count > 3 { return String(key) }
        }
        throw HarnessError("40 generated keys without a '+' in their base64")
    }

    /// A fresh witness's cosigner vkey (`lethe witness key --generate`), a witness no worker here asks.
    static func witnessKey(name: String) async throws -> String {
        let file = "/tmp/lethe-witness-\(UUID().uuidString).key"
        defer { try? FileManager.default.removeItem(atPath: file) }
        let run = try await Program.run(ServerProcess.executable.path, ["witness", "key", "--generate", "--key-file", file, "--name", name], errorOutput: .discarded)
        guard run.status == 0, let key = run.output.split(separator: "\n").first(where: { $0.hasPrefix("\(name)+") }) else {
            throw HarnessError("lethe witness key --generate failed")
        }
        return String(key)
    }

    static func escaped(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? text
    }

    @Test("RFC 9458 Appendix A and RFC 8439 byte for byte in Chromium's WebCrypto")
    func appendixAInBrowser() async throws {
        let web = try Self.webDirectory()
        defer { try? FileManager.default.removeItem(at: web) }
        let server = try await ServerProcess(arguments: ["--serve-web-client", "true", "--web-client-dir", web.path])
        defer { server.stop() }
        let results = try Self.results(try await Self.chromium(["--dump-dom"], "\(server.baseURL)/web/test.html?suite=vectors"))
        #expect(results["status"] as? String == "done", "\(results["error"] ?? "")")
        #expect(results["key_config"] as? String == "1/32/1.1,1.3")
        for check in [
            "bhttp_request", "ephemeral_public_key", "hpke_info", "encapsulated_request", "exported_secret", "response_keys",
            "bhttp_response", "poly1305", "chacha20_poly1305", "chacha20_poly1305_tampered", "imf_fixdate",
        ] {
            #expect(results[check] as? Bool == true, "\(check)")
        }
        #expect(results["tampered_response"] as? String == "response_decryption_failed")
        #expect(results["response_to_another_request"] as? String == "response_decryption_failed")
        #expect(results["truncated_response"] as? String == "malformed_response")
        #expect(results["truncated_key_config"] as? String == "malformed_key_config")
    }

    @Test("the page analyses the portrait like LetheClient, proves the receipt and refuses tampering")
    func endToEndInBrowser() async throws {
        let web = try Self.webDirectory()
        defer { try? FileManager.default.removeItem(at: web) }
        let server = try await ServerProcess(arguments: [
            "--serve-web-client", "true", "--web-client-dir", web.path, "--checkpoint-entries", "1", "--checkpoint-interval", "0.1",
        ])
        defer { server.stop() }
        let ledgerKey = try await Self.ledgerKey(server)
        let otherKey = try await Self.otherLogKeyWithPlus()
        let witnessKey = try await Self.witnessKey(name: "witness.test/absent")
        let query = "suite=e2e&token=\(Self.escaped(server.token))&ledger_key=\(Self.escaped(ledgerKey))"
            + "&other_ledger_key=\(Self.escaped(otherKey))&witness_key=\(Self.escaped(witnessKey))&photo=astronaut.png&kind=face"
            + "&simulate=\(Self.concerns.joined(separator: ","))&strength=0.5&max_dimension=512"
        let url = "\(server.baseURL)/web/test.html?\(query)"
        let dom = try await Self.chromium(["--dump-dom"], url)
        let results = try Self.results(dom)
        #expect(results["status"] as? String == "done", "\(results["error"] ?? "")")
        #expect(results["receipt_request_id"] as? Bool == true)
        #expect(results["request_id_is_the_pages"] as? Bool == true)
        #expect(results["truncated_response"] as? String == "malformed_response")
        // Each failure is shown in the page as one line: code, what happened, what to check.
        for (name, start, advice) in [
            ("unlogged_key_config", "key_config_unlogged: key configuration 1 is not among the ",
             "; check the worker's key log (/ledger/ohttp-keys) and any relay"),
            ("truncated_response", "malformed_response: ", "; check any proxy or relay between the device and the worker"),
            ("tampered_receipt", "note_signature_invalid: ", "; check the worker and any relay: a signature does not verify"),
            ("request_too_large", "request_too_large: the request is larger than 1 GiB", "; check the photo's size"),
        ] {
            let line = results["\(name)_line"] as? String ?? ""
            #expect(line.hasPrefix(start) && line.contains(advice) && !line.contains("\n"), "\(name): \(line)")
            #expect(dom.contains("id=\"message-\(name)\">\(start)"), "\(name) is not shown in the page")
        }
        let index = try #require(results["receipt_index"] as? Int)
        #expect(try #require(results["proof_checkpoint_size"] as? Int) > index)
        #expect(results["tampered_response"] as? String == "response_decryption_failed")
        #expect(results["tampered_receipt"] as? String == "note_signature_invalid")
        #expect(results["other_ledger_key"] as? String == "note_unsigned")
        // Key targeting (docs/ledger.md §17): the worker's own key is proven in its log; a key that
        // is not logged, pinned out of band or served by key discovery, is refused before any
        // encryption, as is a checkpoint without the page's witness quorum.
        let loggedIndex = try #require(results["logged_key_index"] as? Int)
        #expect(try #require(results["logged_key_checkpoint_size"] as? Int) > loggedIndex)
        #expect(results["unlogged_key_config"] as? String == "key_config_unlogged")
        #expect(results["targeted_key_config"] as? String == "key_config_unlogged")
        #expect(results["targeted_key_config_is_served"] as? Bool == true)
        #expect(results["witness_policy_unmet"] as? String == "witness_quorum_missing")
        #expect(results["malformed_key_config"] as? String == "malformed_key_config")
        // A 1 GiB photo is refused on the page (`request_too_large`, the README's client table):
        // the worker never sees it, and answers the Swift client below.
        #expect(results["request_too_large"] as? String == "request_too_large")

        // The same photo and query through the Swift client: the measures are the same JSON.
        var client = LetheClient(serverURL: server.baseURL, token: server.token)
        client.simulation = SimulationOptions(concerns: Self.concerns, strength: 0.5, maxDimension: 512)
        let swift = try await client.analyze(photo: try Data(contentsOf: URL(fileURLWithPath: "Fixtures/astronaut.png")), kind: "face")
        let encoded = try JSONSerialization.jsonObject(with: try JSONEncoder().encode(swift)) as? [String: Any] ?? [:]
        let swiftMeasures = encoded.filter { ["face", "measures", "scalp"].contains($0.key) }
        let browserMeasures = try #require(results["measures"] as? [String: Any])
        #expect(!swiftMeasures.isEmpty && swiftMeasures["face"] != nil)
        #expect(NSDictionary(dictionary: browserMeasures).isEqual(to: swiftMeasures))

        // The test page's result, kept as a test artefact (the demo page's is `demoPageInBrowser`'s).
        let artefacts = URL(fileURLWithPath: ".build/test-artefacts", isDirectory: true)
        try FileManager.default.createDirectory(at: artefacts, withIntermediateDirectories: true)
        let screenshot = artefacts.appendingPathComponent("web-client-test-page.png")
        try? FileManager.default.removeItem(at: screenshot)
        _ = try await Self.chromium(["--hide-scrollbars", "--window-size=1280,1500", "--screenshot=\(screenshot.path)"], url)
        let png = try Data(contentsOf: screenshot)
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]) && png.count > 20_000)
    }

    /// The demo page's query for `kind` (app.js `parameters()`), sent through `LetheClient`.
    static func demoPageClient(_ server: ServerProcess) -> LetheClient {
        var client = LetheClient(serverURL: server.baseURL, token: server.token)
        client.simulation = SimulationOptions(concerns: Self.concerns, strength: 0.5, maxDimension: 1024)
        return client
    }

    /// The rows of the measures table the demo page shows (view.js `rows`): one per leaf, named by
    /// its path, pixel boxes left out, regions named by their `region` field, arrays of numbers in
    /// one cell. Written again here from the rules, so that the page's table is checked, not copied.
    static func tableRows(_ object: [String: Any], _ prefix: String = "") -> [(name: String, value: Any)] {
        var rows: [(name: String, value: Any)] = []
        for (key, value) in object where !["box", "detector_neighbours", "region"].contains(key) && !(value is NSNull) {
            let label = key.replacingOccurrences(of: "_", with: " ")
            let name = prefix.isEmpty ? label : "\(prefix) › \(label)"
            if let items = value as? [Any] {
                if items.allSatisfy({ !($0 is [String: Any]) && !($0 is [Any]) }) {
                    rows.append((name, items))
                } else {
                    for (index, item) in items.enumerated() {
                        let item = item as? [String: Any] ?? [:]
                        let region = (item["region"]).map { "\($0)".replacingOccurrences(of: "_", with: " ") } ?? "\(index + 1)"
                        rows += tableRows(item, "\(name) › \(region)")
                    }
                }
            } else if let nested = value as? [String: Any] {
                rows += tableRows(nested, name)
            } else {
                rows.append((name, value))
            }
        }
        return rows
    }

    /// Whether a table cell shows `value`: a string as is, a yes/no a boolean, a number to the page's
    /// three decimals (integers without), a list of them joined by ", ".
    static func cell(_ text: String, shows value: Any) -> Bool {
        if let items = value as? [Any] {
            let parts = text.components(separatedBy: ", ")
            return parts.count == items.count && zip(parts, items).allSatisfy { cell($0, shows: $1) }
        }
        if let string = value as? String { return text == string }
        if text == "yes" || text == "no" { return (value as? Bool) == (text == "yes") }
        guard let number = value as? Double, let shown = Double(text) else { return false }
        return number == number.rounded() ? shown == number && !text.contains(".") : abs(shown - number) <= 0.0005 + 1e-9
    }

    @Test("the demo page a person uses: the photo through its file input, face and skin, LetheClient's table, the proven receipt, images revoked when done")
    func demoPageInBrowser() async throws {
        guard RequiredTool.installed("chromium") else { throw HarnessError("chromium is not installed") }
        // The shipped page from its default directory (`Clients/web`), nothing added beside it.
        let server = try await ServerProcess(arguments: ["--serve-web-client", "true", "--checkpoint-entries", "1", "--checkpoint-interval", "0.1"])
        defer { server.stop() }
        let ledgerKey = try await Self.ledgerKey(server)
        let origin = String(ledgerKey.prefix { $0 != "+" })
        let artefacts = URL(fileURLWithPath: ".build/test-artefacts", isDirectory: true)
        try FileManager.default.createDirectory(at: artefacts, withIntermediateDirectories: true)
        let screenshot = artefacts.appendingPathComponent("web-client.png")
        try? FileManager.default.removeItem(at: screenshot)
        // The deployment configuration in the fragment, as the page documents it.
        let url = "\(server.baseURL)/web/index.html#token=\(Self.escaped(server.token))&ledger_key=\(Self.escaped(ledgerKey))"
        let driver = Repository.root.appendingPathComponent("Tests/Interop/demo_page.py")
        let run = try await Program.run(
            "python3", [driver.path, url, Repository.fixture("astronaut.png").path, screenshot.path, "face", "skin"], errorOutput: .discarded, timeout: .seconds(240))
        let output = try JSONSerialization.jsonObject(with: Data(run.output.utf8)) as? [String: Any] ?? [:]
        #expect(run.status == 0 && !run.timedOut, "\(output["error"] ?? run.output)")
        let runs = try #require(output["runs"] as? [[String: Any]])
        #expect(runs.map { $0["kind"] as? String } == ["face", "skin"])

        let photo = try Data(contentsOf: Repository.fixture("astronaut.png"))
        for page in runs {
            let kind = try #require(page["kind"] as? String)
            let ready = page["ready"] as? [String: Any] ?? [:]
            // The input let go of the file: only the page's own buffer holds the photo.
            #expect(ready["input_empty"] as? Bool == true && (ready["status"] as? String)?.hasPrefix("Photo ready (\(photo.count) bytes)") == true)
            #expect(page["status"] as? String == "Analysed; deletion proven.", "\(kind): \(page["status"] ?? "")")
            let receipt = page["receipt"] as? String ?? ""
            let pattern = #"^Deleted at \d{4}-\d\d-\d\dT[0-9:.]+Z, record #\d+ of "# + NSRegularExpression.escapedPattern(for: origin)
                + #", \d+ bytes wiped, wipe verified, signature ok, proof ok \(log entry #\d+ in the checkpoint of \d+ entries\)\.$"#
            #expect(receipt.range(of: pattern, options: .regularExpression) != nil, "\(kind): \(receipt)")
            #expect((page["caption"] as? String)?.hasPrefix("\(kind) analysis of a ") == true)
            let images = page["images"] as? [[String: Any]] ?? []
            #expect(images.map { $0["alt"] as? String } == ["overlay: where each concern was measured", "after-care preview"])
            for image in images {
                #expect(image["scheme"] as? String == "blob:" && image["loads"] as? Bool == true && (image["width"] as? Int ?? 0) > 0)
            }
            // Done (Clear, then the page going away): every object URL it showed is revoked.
            let cleared = page["cleared"] as? [String: Any] ?? [:]
            #expect(cleared["urls"] as? Int == 2 && cleared["still_loading"] as? Int == 0, "\(kind) after \(page["after"] ?? ""): \(cleared)")
            #expect(cleared["analyse_disabled"] as? Bool == true)
            if page["after"] as? String == "clear" { #expect(cleared["result_children"] as? Int == 0) }

            // The table shows exactly LetheClient's measures for the same photo and query.
            let swift = try await Self.demoPageClient(server).analyze(photo: photo, kind: kind)
            let encoded = try JSONSerialization.jsonObject(with: try JSONEncoder().encode(swift)) as? [String: Any] ?? [:]
            let expected = Self.tableRows(encoded.filter { ["face", "measures", "scalp"].contains($0.key) })
            let shown = (page["rows"] as? [[String]] ?? []).map { ($0.first ?? "", $0.last ?? "") }
            #expect(expected.count > 20 && shown.count == expected.count, "\(kind): \(shown.count) rows shown, \(expected.count) expected")
            let cells = Dictionary(shown, uniquingKeysWith: { first, _ in first })
            for row in expected {
                #expect(cells[row.name].map { Self.cell($0, shows: row.value) } == true, "\(kind) \(row.name): \(cells[row.name] ?? "missing") ≠ \(row.value)")
            }
        }
        let png = try Data(contentsOf: screenshot)
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]) && png.count > 20_000)
    }

    @Test("the page is served only when asked, with the strict CSP, and never a file outside its directory")
    func servingAndCSP() async throws {
        let off = try await ServerProcess()
        defer { off.stop() }
        #expect(try await Self.get(off.baseURL, "/web/index.html").status == 404)

        let web = try Self.webDirectory()
        defer { try? FileManager.default.removeItem(at: web) }
        let server = try await ServerProcess(environment: ["LETHE_SERVE_WEB_CLIENT": "true", "LETHE_WEB_CLIENT_DIR": web.path])
        defer { server.stop() }
        let page = try await Self.get(server.baseURL, "/web/index.html")
        #expect(page.status == 200)
        #expect(page.headers["Content-Security-Policy"] as? String
            == "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
        #expect(page.headers["X-Content-Type-Options"] as? String == "nosniff")
        #expect((page.headers["Content-Type"] as? String)?.hasPrefix("text/html") == true)
        let module = try await Self.get(server.baseURL, "/web/lethe-client.js")
        #expect(module.status == 200 && (module.headers["Content-Type"] as? String)?.hasPrefix("text/javascript") == true)
        for path in ["/web/..%2FPackage.swift", "/web/%2E%2E%2FPackage.swift", "/web/.hidden", "/web/nothing.js", "/web/..%2F..%2Fetc%2Fpasswd"] {
            #expect(try await Self.get(server.baseURL, path).status == 404, "\(path)")
        }
        // No inline script or style anywhere in the page: the CSP would block it.
        let html = String(decoding: page.body, as: UTF8.self)
        #expect(!html.contains("<script>") && !html.contains("style=") && !html.contains("<style"))
    }

    @Test("CORS: an exact origin gets its preflight answered and the receipt header exposed; others nothing")
    func corsForGateway() async throws {
        let server = try await ServerProcess(arguments: ["--cors-origin", "https://kiosk.example"])
        defer { server.stop() }
        let allowed = try await Self.request(server.baseURL, "/.well-known/ohttp-gateway", method: "OPTIONS", headers: [
            "Origin": "https://kiosk.example", "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type",
        ])
        #expect(allowed.status == 204)
        #expect(allowed.headers["Access-Control-Allow-Origin"] as? String == "https://kiosk.example")
        #expect((allowed.headers["Access-Control-Allow-Methods"] as? String)?.contains("POST") == true)
        let foreign = try await Self.request(server.baseURL, "/.well-known/ohttp-gateway", method: "OPTIONS", headers: [
            "Origin": "https://kiosk.example.evil", "Access-Control-Request-Method": "POST",
        ])
        #expect(foreign.status == 403 && foreign.headers["Access-Control-Allow-Origin"] == nil)
        let keys = try await Self.request(server.baseURL, "/.well-known/ohttp-gateway", headers: ["Origin": "https://kiosk.example"])
        #expect(keys.status == 200 && keys.headers["Access-Control-Allow-Origin"] as? String == "https://kiosk.example")
        #expect((keys.headers["Access-Control-Expose-Headers"] as? String)?.contains("Lethe-Receipt") == true)
        // Only the gateway: the ledger and health routes stay same-origin.
        let health = try await Self.request(server.baseURL, "/healthz", headers: ["Origin": "https://kiosk.example"])
        #expect(health.status == 200 && health.headers["Access-Control-Allow-Origin"] == nil)

        let invalid = try await Program.run(ServerProcess.executable.path, ["config", "check", "--cors-origin", "https://kiosk.example/path"])
        #expect(invalid.status != 0 && invalid.output.contains("--cors-origin must be an origin"))
    }

    static func get(_ base: URL, _ path: String) async throws -> (status: Int, headers: [AnyHashable: Any], body: Data) {
        try await request(base, path)
    }

    static func request(_ base: URL, _ path: String, method: String = "GET", headers: [String: String] = [:]) async throws -> (status: Int, headers: [AnyHashable: Any], body: Data) {
        var request = URLRequest(url: URL(string: base.absoluteString + path)!)
        request.httpMethod = method
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let (body, response) = try await URLSession.shared.data(for: request)
        let http = response as? HTTPURLResponse
        return (http?.statusCode ?? 0, http?.allHeaderFields ?? [:], body)
    }
}
