import Foundation
import LetheTestSupport
import Testing

/// The config file, through the real `lethe` binary: every option in the README's Configuration
/// table works as a key of the file, unknown keys and bad values name their line, and
/// precedence is flag > environment > file > default.
@Suite("Config file")
struct ConfigFileTests {
    static let readme = Repository.root
        .appendingPathComponent("README.md")

    /// One row of the README's Configuration table.
    struct Row {
        let flag: String
        let environment: String
        let defaultText: String
    }

    /// The rows of the table under "### Configuration".
    static func configurationTable() throws -> [Row] {
        let text = try String(contentsOf: readme, encoding: .utf8)
        let section = try #require(text.range(of: "### Configuration"))
        var rows: [Row] = []
        for line in text[section.upperBound...].split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("## ") || line.hasPrefix("### ") { break }
            let cells = line.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count >= 5,
                  let flag = cells[1].range(of: #"--[a-z0-9-]+"#, options: .regularExpression).map({ String(cells[1][$0].dropFirst(2)) }),
                  let environment = cells[2].range(of: #"LETHE_[A-Z0-9_]+"#, options: .regularExpression).map({ String(cells[2][$0]) })
            else { continue }
            rows.append(Row(flag: flag, environment: environment, defaultText: cells[3]))
        }
        return rows
    }

    /// A value the option accepts: the first plain literal of its documented default (an integer
    /// plus one, so that it differs from the default), else `1` (a valid number, path or name).
    static func sampleValue(_ row: Row) -> String {
        let literals = row.defaultText.split(separator: "`", omittingEmptySubsequences: false).enumerated().filter { $0.offset % 2 == 1 }.map { String($0.element) }
        let literal = literals.first { !$0.isEmpty && $0.allSatisfy { !" <>(),".contains($0) } } ?? "1"
        return Int(literal).map { String($0 + 1) } ?? literal
    }

    /// Runs `lethe` with exactly `environment` plus PATH (no inherited `LETHE_*`).
    static func lethe(_ arguments: [String], environment: [String: String] = [:]) async throws -> Program.Run {
        try await GracefulShutdownTests.lethe(
            arguments, environment: environment.merging(["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"]) { $1 })
    }

    static func writeConfig(_ text: String) throws -> URL {
        let file = URL(fileURLWithPath: "/tmp").appendingPathComponent("lethe-config-\(UUID().uuidString).conf")
        try text.write(to: file, atomically: true, encoding: .utf8)
        return file
    }

    @Test("every flag of the README's Configuration table is accepted from the file under its documented variable")
    func everyDocumentedFlag() async throws {
        let rows = try Self.configurationTable()
        #expect(rows.count >= 25, "the Configuration table was not found or lost rows")
        let settable = rows.filter { $0.flag != "config" }
        var text = "# generated from README.md\n"
        for row in settable {
            // The documented variable is the one the file's key maps to.
            #expect(row.environment == "LETHE_" + row.flag.uppercased().replacingOccurrences(of: "-", with: "_"),
                    "--\(row.flag) documents \(row.environment)")
            text += "\(row.flag) = \(Self.sampleValue(row))\n"
        }
        let file = try Self.writeConfig(text)
        defer { try? FileManager.default.removeItem(at: file) }
        let result = try await Self.lethe(["config", "check", "--show-resolved", "--config", file.path])
        #expect(result.status == 0, "\(result.output)")
        for (index, row) in settable.enumerated() {
            #expect(result.output.contains("line \(index + 2): \(row.flag) → \(row.environment) (from the file)"), "--\(row.flag): \(result.output)")
        }
        // The same values as environment variables resolve to the same configuration: no option
        // reads the process environment behind the file's back.
        var environment: [String: String] = [:]
        for row in settable { environment[row.environment] = Self.sampleValue(row) }
        let fromEnvironment = try await Self.lethe(["config", "check", "--show-resolved"], environment: environment)
        #expect(fromEnvironment.status == 0, "\(fromEnvironment.output)")
        let resolved = { (output: String) in output.components(separatedBy: "resolved configuration:").last ?? "" }
        #expect(resolved(result.output) == resolved(fromEnvironment.output))
        #expect(resolved(result.output).contains("maxConcurrentRequests: 2"))
    }

    @Test("the README's example config file is valid")
    func readmeExample() async throws {
        let text = try String(contentsOf: Self.readme, encoding: .utf8)
        let start = try #require(text.range(of: "```ini\n"))
        let end = try #require(text.range(of: "```", range: start.upperBound..<text.endIndex))
        let example = String(text[start.upperBound..<end.lowerBound])
        let file = try Self.writeConfig(example)
        defer { try? FileManager.default.removeItem(at: file) }
        let result = try await Self.lethe(["config", "check", "--config", file.path])
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("\(file.path): \(example.split(separator: "\n").filter { !$0.hasPrefix("#") }.count) settings"), "\(result.output)")
    }

    static let badFiles: [(String, String, String)] = [
        ("unknown key", "host = 127.0.0.1\nmax-concurent = 4\n", "line 2: unknown key 'max-concurent'"),
        ("value the flag refuses", "# c\n\nmax-concurrent = four\n", "line 3: invalid value for 'max-concurrent'"),
        ("repeated key", "port = 1\nport = 2\n", "line 2: key 'port' was already set on line 1"),
        ("no equals sign", "port 8080\n", "line 1: expected 'key = value'"),
        ("flag spelling", "--port = 8080\n", "line 1: '--port' is not a key"),
        ("config inside config", "config = /etc/other.conf\n", "line 1: 'config' cannot be set in a config file"),
        ("open quote", "host = \"0.0.0.0\n", "line 1: the value of 'host' has no closing quote"),
    ]

    @Test("bad config files stop the worker with file, line and key named", arguments: badFiles)
    func badFile(name: String, contents: String, message: String) async throws {
        let file = try Self.writeConfig(contents)
        defer { try? FileManager.default.removeItem(at: file) }
        let check = try await Self.lethe(["config", "check", "--config", file.path])
        #expect(check.status != 0)
        #expect(check.output.contains("\(file.path) \(message)"), "\(check.output)")
        // `serve` reads the same file the same way, before it listens.
        let serve = try await Self.lethe(["serve", "--port", "0", "--admin-port", "0", "--ledger-dir", "/tmp/lethe-config-never-\(UUID().uuidString)"],
                                   environment: ["LETHE_CONFIG": file.path])
        #expect(serve.status != 0)
        #expect(serve.output.contains(message), "\(serve.output)")
    }

    @Test("precedence: flag > environment > file > default")
    func precedence() async throws {
        // max-concurrent 0 is refused when resolved, so which source won shows in the exit status.
        let zero = try Self.writeConfig("max-concurrent = 0 # refused\n")
        let two = try Self.writeConfig("max-concurrent = \"2\"\n")
        defer { [zero, two].forEach { try? FileManager.default.removeItem(at: $0) } }
        #expect(try await Self.lethe(["config", "check", "--config", two.path]).status == 0)
        #expect(try await Self.lethe(["config", "check", "--config", zero.path]).status != 0, "the file beats the default")
        #expect(try await Self.lethe(["config", "check"], environment: ["LETHE_CONFIG": zero.path]).status != 0, "LETHE_CONFIG names the file")
        let environmentWins = try await Self.lethe(["config", "check", "--config", zero.path], environment: ["LETHE_MAX_CONCURRENT": "2"])
        #expect(environmentWins.status == 0, "\(environmentWins.output)")
        #expect(environmentWins.output.contains("max-concurrent → LETHE_MAX_CONCURRENT (overridden by the environment)"))
        #expect(try await Self.lethe(["config", "check", "--config", two.path], environment: ["LETHE_MAX_CONCURRENT": "0"]).status != 0,
                "the environment beats the file")
        #expect(try await Self.lethe(["config", "check", "--config", two.path, "--max-concurrent", "3"], environment: ["LETHE_MAX_CONCURRENT": "0"]).status == 0,
                "the flag beats the environment")
    }
}
