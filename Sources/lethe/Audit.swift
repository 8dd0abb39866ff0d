import ArgumentParser
import Foundation
import LetheLedger

/// `lethe audit`: offline verification and reporting over ledger directories.
struct Audit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Verify deletion ledgers and report on them, offline.", subcommands: [Verify.self, Report.self])

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Recompute a ledger's Merkle tree and check every entry, checkpoint signature and consistency.",
            discussion: "Exit 0 only when everything holds; otherwise exit 1 and name the first bad entry or checkpoint and why.")

        @Argument(help: "Ledger directory (LEDGER_DIR of the worker).")
        var ledgerDirectory: String
        @Option(help: "The worker's C2SP verifier key, name+keyid+base64 (from 'lethe keys ledger' or the worker's start log).")
        var key: String
        @Flag(help: "Print the result as JSON.")
        var json = false

        func run() async throws {
            let verifier: NoteVerifier
            do { verifier = try NoteVerifier(verifierKey: key) } catch { throw ValidationError("\(error)") }
            let directory = URL(fileURLWithPath: ledgerDirectory)
            guard FileManager.default.fileExists(atPath: directory.path) else { throw ValidationError("no ledger directory at \(ledgerDirectory)") }
            let audit = LedgerAuditor.verify(directory, verifier: verifier)
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                print(String(decoding: try encoder.encode(audit), as: UTF8.self))
            } else {
                for warning in audit.warnings { print("warning: \(warning)") }
                if let failure = audit.failures.first {
                    print("FAILED: \(failure)")
                    for more in audit.failures.dropFirst().prefix(20) { print("  also: \(more)") }
                } else {
                    print("""
                        OK: \(audit.entryCount) entries (\(audit.removedCount) removed by retention), \(audit.checkpointCount) checkpoints \
                        signed by \(verifier.name), latest covers \(audit.checkpointedSize); root \(audit.rootHash ?? "-")
                        """)
                }
            }
            if !audit.passed { throw ExitCode(1) }
        }
    }

    struct Report: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "A compliance report over one or more replicas' ledgers.",
            discussion: "Each directory is verified with the --key whose name is its origin; directories without a key are reported as not verified.")

        @Argument(help: "Ledger directories, one per replica.")
        var ledgerDirectories: [String]
        @Option(help: "Verifier keys (repeat for several replicas).")
        var key: [String] = []
        @Option(help: "Only entries wiped at or after this RFC 3339 time (a prefix such as 2026-11-01 works).")
        var since: String?
        @Option(help: "Only entries wiped before this RFC 3339 time.")
        var until: String?
        @Option(help: "html, md or json.")
        var format: String = "md"
        @Option(help: "Write to this file instead of standard output.")
        var out: String?

        func run() async throws {
            guard let format = LedgerReportRenderer.Format(rawValue: format) else { throw ValidationError("--format must be html, md or json") }
            let verifiers = try key.map { key in
                do { return try NoteVerifier(verifierKey: key) } catch { throw ValidationError("\(error)") }
            }
            let report = LedgerReport.make(
                directories: ledgerDirectories.map { URL(fileURLWithPath: $0) }, verifiers: verifiers, since: since, until: until)
            let text = try LedgerReportRenderer.render(report, as: format)
            if let out {
                try Data(text.utf8).write(to: URL(fileURLWithPath: out))
            } else {
                print(text, terminator: "")
            }
        }
    }
}
