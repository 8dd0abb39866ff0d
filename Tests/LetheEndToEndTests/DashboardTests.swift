import Foundation
import LetheClient
import LetheTestSupport
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The live dashboard as an operator sees it: loaded in a real browser (Debian's headless
/// Chromium), its numbers checked against `/metrics`, and a screenshot kept as an artefact.
@Suite("Dashboard in headless Chromium", .serialized)
struct DashboardTests {
    /// Where the screenshot is kept (git-ignored), for a person to look at after the run.
    static let artefacts = Repository.root
        .appendingPathComponent("test-artefacts")

    @Test("the page, its stylesheet and its script are the resource files, the refresh interval filled in")
    func pageComesFromTheResourceFiles() async throws {
        try await WorkerHarness().run { session in
            let directory = Self.artefacts.deletingLastPathComponent().appendingPathComponent("Sources/LetheServer/Operations/Dashboard")
            for (path, file) in [("dashboard", "dashboard.html"), ("dashboard.css", "dashboard.css"), ("dashboard.js", "dashboard.js")] {
                let (status, body, _) = try await OperationsTests.get(session.adminURL.appendingPathComponent(path))
                let resource = try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
                #expect(status == 200, "\(path)")
                #expect(body == resource.replacingOccurrences(of: "__REFRESH_SECONDS__", with: "2"), "\(path) is not \(file)")
                #expect(!body.contains("__REFRESH_SECONDS__"), "\(path): the refresh interval is not filled in")
            }
        }
    }

    @Test("the dashboard loads, shows the numbers /metrics has, and is screenshotted")
    func dashboardMatchesMetrics() async throws {
        try await WorkerHarness().run { session in
            // Traffic with successes and two kinds of error.
            let photo = TestPhotos.faceless
            for _ in 0..<3 { _ = try await session.client.analyze(photo: photo) }
            await #expect(throws: LetheClientError.self) { try await session.client.analyze(photo: Data("not an image".utf8)) }
            await #expect(throws: LetheClientError.self) {
                try await LetheClient(serverURL: session.baseURL, token: "wrong-token").analyze(photo: photo)
            }

            let page = session.adminURL.appendingPathComponent("dashboard")
            let dom = try await Chromium.dumpDOM(page)
            let exposition = try await OperationsTests.get(session.adminURL.appendingPathComponent("metrics")).body
            let shown = Self.dataValues(in: dom)

            #expect(Double(shown["updated"] ?? "") ?? 0 >= 1, "the page never refreshed from /metrics")
            #expect(shown["requests-total"] == "5")
            #expect(shown["errors-total"] == "2")
            #expect(shown["in-flight"] == "0")
            #expect(shown["wipe-failures"] == "0")
            #expect(Double(shown["wipes-total"] ?? "") == OperationsTests.sample(exposition, "lethe_wipes_total"))
            #expect(Double(shown["ledger-entries"] ?? "") == OperationsTests.sample(exposition, "lethe_ledger_entries"))
            #expect(Self.errorCounts(in: dom) == ["unsupported_media_type": "1", "invalid_token": "1"])
            // Percentiles: the page's estimate equals PromQL's histogram_quantile over the same buckets.
            for (id, q) in [("latency-p50", 0.5), ("latency-p95", 0.95), ("latency-p99", 0.99)] {
                let expected = try #require(Self.histogramQuantile(q, exposition, "lethe_request_duration_seconds")) * 1000
                let actual = try #require(Double(shown[id] ?? ""), "\(id) missing")
                #expect(abs(actual - expected) <= 1e-6 * max(1, expected), "\(id): page \(actual) ms, /metrics \(expected) ms")
            }
            // Nothing of the requests themselves reaches the page.
            #expect(!dom.contains("wrong-token") && !dom.contains(session.token))

            try FileManager.default.createDirectory(at: Self.artefacts, withIntermediateDirectories: true)
            let screenshot = Self.artefacts.appendingPathComponent("dashboard.png")
            try await Chromium.screenshot(page, to: screenshot)
            let png = try Data(contentsOf: screenshot)
            #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]) && png.count > 10_000, "screenshot at \(screenshot.path)")
        }
    }

    @Test("with an admin token the page reads /metrics with the token from its URL fragment")
    func dashboardWithAdminToken() async throws {
        try await WorkerHarness(adminToken: "operator-secret").run { session in
            _ = try await session.client.analyze(photo: TestPhotos.faceless)
            var page = URLComponents(url: session.adminURL.appendingPathComponent("dashboard"), resolvingAgainstBaseURL: false)!
            page.fragment = "token=operator-secret"
            let domWithToken = try await Chromium.dumpDOM(page.url!)
            let withToken = Self.dataValues(in: domWithToken)
            #expect(withToken["requests-total"] == "1")
            let withoutToken = try await Chromium.dumpDOM(session.adminURL.appendingPathComponent("dashboard"))
            #expect(withoutToken.contains("open as /dashboard#token=ADMIN_TOKEN"))
            #expect(Self.dataValues(in: withoutToken)["updated"] == "0")
        }
    }

    @Test("the page's Content-Security-Policy allows no inline code and no framing; script and style are same-origin files")
    func contentSecurityPolicy() async throws {
        try await WorkerHarness().run { session in
            func header(_ headers: [AnyHashable: Any], _ name: String) -> String? {
                headers.first { ($0.key as? String)?.lowercased() == name.lowercased() }?.value as? String
            }
            let page = try await OperationsTests.get(session.adminURL.appendingPathComponent("dashboard"))
            let policy = try #require(header(page.headers, "Content-Security-Policy"))
            let directives = Dictionary(uniqueKeysWithValues: policy.split(separator: ";").map { directive in
                let words = directive.split(separator: " ")
                return (String(words[0]), words.dropFirst().map(String.init))
            })
            #expect(!policy.contains("unsafe-inline") && !policy.contains("unsafe-eval"), "\(policy)")
            #expect(directives["frame-ancestors"] == ["'none'"], "\(policy)")
            #expect(directives["default-src"] == ["'none'"] && directives["script-src"] == ["'self'"] && directives["style-src"] == ["'self'"])
            // Nothing inline is left for the policy to block: no script or style bodies, no
            // style attributes, no event-handler attributes.
            #expect(page.body.contains(#"<script src="dashboard.js"></script>"#))
            #expect(!page.body.contains("<style") && !page.body.contains(" style=") && page.body.range(of: #"\son[a-z]+="#, options: .regularExpression) == nil)
            for (path, type) in [("dashboard.js", "text/javascript"), ("dashboard.css", "text/css")] {
                let resource = try await OperationsTests.get(session.adminURL.appendingPathComponent(path))
                #expect(resource.status == 200 && header(resource.headers, "Content-Type")?.hasPrefix(type) == true, "\(path)")
                #expect(header(resource.headers, "X-Content-Type-Options") == "nosniff", "\(path)")
                #expect(resource.body.count > 500, "\(path)")
            }
            // The page works under that policy in a real browser: its script ran and filled in the numbers.
            let dom = try await Chromium.dumpDOM(session.adminURL.appendingPathComponent("dashboard"))
            #expect(Double(Self.dataValues(in: dom)["updated"] ?? "") ?? 0 >= 1, "the dashboard's script did not run under its CSP")
        }
    }

    /// `id → data-value` of every element that has both.
    static func dataValues(in dom: String) -> [String: String] {
        let pattern = try! NSRegularExpression(pattern: #"id="([a-z0-9-]+)"[^>]*data-value="([^"]*)""#)
        var values: [String: String] = [:]
        for match in pattern.matches(in: dom, range: NSRange(dom.startIndex..., in: dom)) {
            values[String(dom[Range(match.range(at: 1), in: dom)!])] = String(dom[Range(match.range(at: 2), in: dom)!])
        }
        return values
    }

    /// The "errors by code" table: `code → count`.
    static func errorCounts(in dom: String) -> [String: String] {
        let pattern = try! NSRegularExpression(pattern: #"data-code="([a-z0-9_]+)" data-value="([^"]*)""#)
        var counts: [String: String] = [:]
        for match in pattern.matches(in: dom, range: NSRange(dom.startIndex..., in: dom)) {
            counts[String(dom[Range(match.range(at: 1), in: dom)!])] = String(dom[Range(match.range(at: 2), in: dom)!])
        }
        return counts
    }

    /// PromQL's histogram_quantile over one histogram of an exposition, written independently of
    /// the page's JavaScript.
    static func histogramQuantile(_ q: Double, _ exposition: String, _ name: String) -> Double? {
        var buckets: [(bound: Double, count: Double)] = []
        for line in exposition.split(separator: "\n") where line.hasPrefix(name + "_bucket{") {
            guard let leStart = line.range(of: #"le=""#), let leEnd = line[leStart.upperBound...].firstIndex(of: "\""),
                  let count = Double(line.split(separator: " ").last ?? "") else { continue }
            let bound = String(line[leStart.upperBound..<leEnd])
            buckets.append((bound == "+Inf" ? .infinity : Double(bound) ?? .nan, count))
        }
        buckets.sort { $0.bound < $1.bound }
        guard let total = buckets.last?.count, total > 0 else { return nil }
        let rank = q * total
        var (lowerBound, lowerCount) = (0.0, 0.0)
        for bucket in buckets {
            if bucket.count >= rank {
                if bucket.bound.isInfinite { return lowerBound }
                if bucket.count == lowerCount { return bucket.bound }
                return lowerBound + (bucket.bound - lowerBound) * (rank - lowerCount) / (bucket.count - lowerCount)
            }
            (lowerBound, lowerCount) = (bucket.bound, bucket.count)
        }
        return lowerBound
    }
}

/// Debian's Chromium, headless. Virtual time lets the page's fetches and first refresh finish
/// before the DOM is dumped or the screenshot taken.
enum Chromium {
    static func dumpDOM(_ url: URL) async throws -> String {
        try await run(["--dump-dom", url.absoluteString])
    }

    static func screenshot(_ url: URL, to file: URL) async throws {
        _ = try await run(["--hide-scrollbars", "--window-size=1280,1000", "--screenshot=\(file.path)", url.absoluteString])
    }

    private static func run(_ arguments: [String]) async throws -> String {
        let profile = "/tmp/lethe-chromium-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: profile) }
        // --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
        let result = try await Program.run("chromium", [
            "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--virtual-time-budget=5000",
            "--user-data-dir=\(profile)",
        ] + arguments, errorOutput: .discarded)
        guard result.status == 0 else {
            throw ChromiumFailure(message: "chromium \(arguments.joined(separator: " ")) exited \(result.status)")
        }
        return result.output
    }

    struct ChromiumFailure: Error, CustomStringConvertible {
        let message: String
        var description: String { message }
    }
}
