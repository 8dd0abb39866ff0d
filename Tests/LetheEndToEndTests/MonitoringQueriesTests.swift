import Foundation
import LetheMemory
@testable import LetheServer
import LetheTestSupport
import Testing

/// The Grafana dashboard, the alert rules and the alerts' unit tests query series by name, label
/// and value; a renamed metric, label or code would leave a panel empty and an alert silent, and
/// promtool cannot tell (it checks syntax, and `promtool test rules` runs on series written by
/// hand). So every selector in those files is checked against what a running worker exports.
@Suite("Monitoring queries against a live /metrics")
struct MonitoringQueriesTests {
    static let deploy = Repository.root.appendingPathComponent("Config/deploy")
    static let files = ["grafana/lethe-dashboard.json", "prometheus/alerts.yml", "prometheus/alerts.test.yml"]

    /// One `lethe_…` series selector as written in a query: the name and each label matcher.
    struct Selector: CustomStringConvertible {
        let file: String
        let name: String
        let matchers: [(label: String, op: String, value: String)]
        var description: String { "\(file): \(name){\(matchers.map { "\($0.label)\($0.op)\"\($0.value)\"" }.joined(separator: ","))}" }
    }

    /// Every selector in `text`; quotes may be escaped (`\"`) inside JSON and YAML strings.
    static func selectors(in text: String, file: String) throws -> [Selector] {
        let series = try NSRegularExpression(pattern: #"\b(lethe_[a-z0-9_]+)(\{[^}]*\})?"#)
        let matcher = try NSRegularExpression(pattern: #"([a-z_]+)\s*(=~|!~|!=|=)\s*\\?"([^"\\]*)\\?""#)
        let whole = text as NSString
        return series.matches(in: text, range: NSRange(location: 0, length: whole.length)).map { match in
            let name = whole.substring(with: match.range(at: 1))
            let braces = match.range(at: 2).location == NSNotFound ? "" : whole.substring(with: match.range(at: 2))
            let inner = braces as NSString
            let matchers = matcher.matches(in: braces, range: NSRange(location: 0, length: inner.length)).map {
                (label: inner.substring(with: $0.range(at: 1)), op: inner.substring(with: $0.range(at: 2)), value: inner.substring(with: $0.range(at: 3)))
            }
            return Selector(file: file, name: name, matchers: matchers)
        }
    }

    /// Name → label names of every sample line in an exposition.
    static func families(_ exposition: String) -> [String: Set<String>] {
        var families: [String: Set<String>] = [:]
        for line in exposition.split(separator: "\n") where !line.hasPrefix("#") {
            let name = String(line.prefix { $0 != "{" && $0 != " " })
            var labels = Set<String>()
            if let open = line.firstIndex(of: "{"), let close = line.lastIndex(of: "}") {
                for pair in line[line.index(after: open)..<close].split(separator: ",") {
                    labels.insert(String(pair.prefix { $0 != "=" }))
                }
            }
            families[name, default: []].formUnion(labels)
        }
        return families
    }

    @Test("every series, label and value the dashboard and the alerts query is one a worker exports")
    func queriesMatchTheExposition() async throws {
        let exposition = try await WorkerHarness().run { session in
            // One success, one error and one refusal, so that the per-event series exist.
            _ = try await session.client.analyze(photo: TestPhotos.faceless)
            await #expect(throws: (any Error).self) { try await session.client.analyze(photo: Data("not an image".utf8)) }
            #expect(try await session.postEnvelope(Data("x".utf8), contentType: "text/plain").status == 415)
            return try await session.metrics()
        }
        let families = Self.families(exposition)
        #expect(families["lethe_requests_total"]?.contains("disposition") == true, "the exposition: \(families.keys.sorted())")

        let codes = Set(LetheError.Code.all.map(\.rawValue))
        // The values each label can take: codes and dispositions from their registries; refusal
        // reasons that are not codes are snake_case strings the server writes.
        let known: [String: Set<String>] = [
            "code": codes.union(["none"]),
            "disposition": Set(LetheError.Disposition.allCases.map(WorkerMetrics.label)).union(["none"]),
            "outcome": ["ok", "error"],
            "reason": codes.union(try Self.serverStringLiterals()),
        ]

        var checked = 0
        for file in Self.files {
            let text = try String(contentsOf: Self.deploy.appendingPathComponent(file), encoding: .utf8)
            for selector in try Self.selectors(in: text, file: file) {
                checked += 1
                guard let exported = families[selector.name] else {
                    Issue.record("\(selector): no such series in /metrics")
                    continue
                }
                for matcher in selector.matchers where matcher.label != "replica" {
                    // `replica` is added by the scrape configuration, not by the worker.
                    #expect(exported.contains(matcher.label), "\(selector): /metrics has no label \(matcher.label) on \(selector.name)")
                    guard let values = known[matcher.label] else { continue }
                    // Each alternative of a regular expression must match a value that exists.
                    let alternatives = matcher.op.contains("~") ? matcher.value.split(separator: "|").map(String.init) : [matcher.value]
                    for alternative in alternatives {
                        let pattern = "^(?:" + (matcher.op.contains("~") ? alternative : NSRegularExpression.escapedPattern(for: alternative)) + ")$"
                        #expect(values.contains { $0.range(of: pattern, options: .regularExpression) != nil },
                                "\(selector): no \(matcher.label) value the worker exports matches \"\(alternative)\"")
                    }
                }
            }
        }
        // The alerts' unit tests must feed series shaped exactly like the worker's.
        let unitTests = try String(contentsOf: Self.deploy.appendingPathComponent("prometheus/alerts.test.yml"), encoding: .utf8)
        let inputs = unitTests.split(separator: "\n").filter { $0.contains("- series:") }.joined(separator: "\n")
        for series in try Self.selectors(in: inputs, file: "alerts.test.yml") {
            let labels = Set(series.matchers.map(\.label)).subtracting(["replica"])
            #expect(labels == families[series.name]?.subtracting(["le"]), "\(series): the worker's labels are \(families[series.name]?.sorted() ?? [])")
        }
        #expect(checked > 30, "only \(checked) selectors found")
    }

    /// Every snake_case string literal in the server module's Swift files (refusal reasons).
    static func serverStringLiterals() throws -> Set<String> {
        let directory = Repository.root.appendingPathComponent("Sources/LetheServer")
        let files = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: nil)?
            .compactMap { $0 as? URL }.filter { $0.pathExtension == "swift" } ?? []
        let literal = try NSRegularExpression(pattern: #""([a-z][a-z0-9]*(?:_[a-z0-9]+)+)""#)
        var literals = Set<String>()
        for file in files {
            let text = try String(contentsOf: file, encoding: .utf8) as NSString
            for match in literal.matches(in: text as String, range: NSRange(location: 0, length: text.length)) {
                literals.insert(text.substring(with: match.range(at: 1)))
            }
        }
        return literals
    }
}
