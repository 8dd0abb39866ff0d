import Foundation
import LetheTestSupport
import LetheClient
import LetheMemory
@testable import LetheServer
import Testing

/// The README's "Error codes" table against the codes the modules define (`LetheError.Code.all`),
/// both ways, and the registry against the sources.
@Suite("Error code registry")
struct ErrorCodeTableTests {
    static let repository = Repository.root

    /// Status of each code in the README's table: a row lists one or more codes and either one
    /// status for all of them or one status per code, in order (`404, 405`).
    static func documentedStatuses() throws -> [String: Int] {
        let text = try String(contentsOf: repository.appendingPathComponent("README.md"), encoding: .utf8)
        guard let section = text.range(of: "### Error codes") else { return [:] }
        var statuses: [String: Int] = [:]
        let rows = text[section.upperBound...].split(separator: "\n").drop(while: { !$0.hasPrefix("|") }).prefix(while: { $0.hasPrefix("|") })
        for row in rows.dropFirst(2) {
            let columns = row.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard columns.count > 3 else { continue }
            let codes = columns[1].split(separator: "`", omittingEmptySubsequences: false).enumerated().filter { $0.offset % 2 == 1 }.map { String($0.element) }
            let numbers = columns[2].split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) ?? -1 }
            for (index, code) in codes.enumerated() {
                #expect(statuses[code] == nil, "\(code) is documented twice")
                statuses[code] = numbers.count == codes.count ? numbers[index] : (numbers.count == 1 ? numbers[0] : -1)
            }
        }
        return statuses
    }

    @Test("every code is in the README's table with its HTTP status, and the table names no code that does not exist")
    func readmeTableMatchesTheRegistry() throws {
        let documented = try Self.documentedStatuses()
        #expect(documented.count > 40, "README error table not found")
        for code in LetheError.Code.all {
            let status = Int(LetheError(code, "").status.code)
            #expect(documented[code.rawValue] == status, "\(code) (\(code.disposition)) answers \(status); the README says \(documented[code.rawValue].map(String.init) ?? "nothing")")
        }
        let defined = Set(LetheError.Code.all.map(\.rawValue))
        let unknown = documented.keys.filter { !defined.contains($0) }.sorted()
        #expect(unknown.isEmpty, "the README documents codes no module defines: \(unknown)")
    }

    @Test("each code is defined once and is snake_case")
    func codesAreUniqueAndSnakeCase() {
        let raw = LetheError.Code.all.map(\.rawValue)
        #expect(Set(raw).count == raw.count, "defined twice: \(Dictionary(grouping: raw, by: { $0 }).filter { $1.count > 1 }.keys.sorted())")
        let snakeCase = raw.filter { $0.range(of: "^[a-z][a-z0-9]*(_[a-z0-9]+)*$", options: .regularExpression) == nil }
        #expect(snakeCase.isEmpty, "not snake_case: \(snakeCase)")
    }

    /// A code defined in a module but missing from its list would escape the README check.
    @Test("every code defined in Sources/ is in its module's list")
    func everyDefinedCodeIsRegistered() throws {
        let sources = Self.repository.appendingPathComponent("Sources")
        let files = FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil)?.compactMap { $0 as? URL }.filter { $0.pathExtension == "swift" } ?? []
        let definition = try NSRegularExpression(pattern: #"static let \w+ = Self\("([a-z0-9_]+)", \.\w+\)"#)
        var defined: Set<String> = []
        for file in files {
            let text = try String(contentsOf: file, encoding: .utf8)
            for match in definition.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                defined.insert(String(text[Range(match.range(at: 1), in: text)!]))
            }
        }
        let registered = Set(LetheError.Code.all.map(\.rawValue))
        #expect(defined.count > 40, "no code definitions found under \(sources.path)")
        #expect(defined.subtracting(registered).isEmpty, "defined but not in a module's list: \(defined.subtracting(registered).sorted())")
        #expect(registered.subtracting(defined).isEmpty, "listed but not defined as `static let … = Self(\"…\", …)`: \(registered.subtracting(defined).sorted())")
    }

    @Test("a device reads back each code's disposition from the status and Retry-After the worker sends")
    func clientReadsDispositions() {
        for code in LetheError.Code.all {
            let error = LetheError(code, "")
            var seen = LetheClientError(code: code.rawValue, status: Int(error.status.code), message: "")
            seen.retryAfterSeconds = code == .rateLimited ? 2 : error.retryAfter
            #expect(seen.disposition == code.disposition, "\(code)")
        }
    }
}
