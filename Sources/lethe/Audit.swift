import ArgumentParser
import Foundation
import LetheLedger
import LetheTransparency

/// `lethe audit`: offline verification and reporting over ledger directories.
struct Audit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Verify deletion ledgers and report on them, offline.", subcommands: [Verify.self, Report.self, Monitor.self])

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Recompute a ledger's Merkle tree and check every entry, checkpoint signature and consistency, and every private record against its commitment and period summary.",
            discussion: "Exit 0 only when everything holds; otherwise exit 1 and name the first bad entry, record or checkpoint and why. Without the private records (segments/) only the public log is checked.")

        @Argument(help: "Ledger directory (LEDGER_DIR of the worker).")
        var ledgerDirectory: String
        @Option(help: "The worker's C2SP verifier key, name+keyid+base64 (from 'lethe keys ledger' or the worker's start log).")
        var key: String
        @Option(help: "A witness's cosigner vkey (from 'lethe witness key'); repeat for several. The latest checkpoint must carry --quorum of their cosignatures.")
        var witness: [String] = []
        @Option(help: "With --witness: how many of those witnesses must have cosigned the latest checkpoint. Default all of them.")
        var quorum: Int?
        @Flag(help: "Print the result as JSON.")
        var json = false

        func run() async throws {
            let verifier: NoteVerifier
            do { verifier = try NoteVerifier(verifierKey: key) } catch { throw ValidationError("\(error)") }
            let policy: WitnessPolicy?
            do { policy = witness.isEmpty ? nil : try WitnessPolicy(verifierKeys: witness, quorum: quorum) } catch { throw ValidationError("--witness: \(error)") }
            let directory = URL(fileURLWithPath: ledgerDirectory)
            guard FileManager.default.fileExists(atPath: directory.path) else { throw ValidationError("no ledger directory at \(ledgerDirectory)") }
            var audit = LedgerAuditor.verify(directory, verifier: verifier)
            if let policy {
                LedgerAuditor.checkWitnesses(&audit, directory: directory, policy: policy)
            }
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
                    let records = audit.recordsPresent
                        ? "\(audit.recordCount) records (\(audit.recordsRemoved) removed by retention), \(audit.recordsChecked) recomputed into their commitments and period summaries"
                        : "\(audit.recordsPublished) records published (private records not present: summaries checked against their commitments only)"
                    print("""
                        OK: \(records); \(audit.periodCount) periods, \(audit.refusedCount) requests refused before any plaintext; \
                        log of \(audit.entryCount) entries (\(audit.removedCount) removed by retention), \(audit.checkpointCount) checkpoints \
                        signed by \(verifier.name), latest covers \(audit.checkpointedRecords) records (\(audit.checkpointedSize) log entries); \
                        root \(audit.rootHash ?? "-")
                        """)
                    if let witnessing = audit.witnessing {
                        print("Witnessed: checkpoint \(witnessing.checkpointSize) cosigned by \(witnessing.cosigners.joined(separator: ", ")) (\(witnessing.quorum) of \(witnessing.witnesses) required)")
                    }
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
        @Option(help: "Only periods starting at or after this RFC 3339 time (a prefix such as 2026-11-01 works).")
        var since: String?
        @Option(help: "Only periods starting before this RFC 3339 time.")
        var until: String?
        @Option(help: "A witness's cosigner vkey; repeat for several. Each replica's latest checkpoint must carry --quorum of their cosignatures, and the compliance view counts the checkpoints each cosigned.")
        var witness: [String] = []
        @Option(help: "With --witness: how many of them must have cosigned. Default all.")
        var quorum: Int?
        @Option(help: "html, md, json, or pdf (the HTML printed by headless Chromium; needs --out).")
        var format: String = "md"
        @Option(help: "Write to this file instead of standard output.")
        var out: String?
        @Option(help: "With --format pdf: the Chromium executable (a name in PATH or a path).")
        var chromium: String = "chromium"

        func run() async throws {
            let pdf = format == "pdf"
            guard let format = pdf ? .html : LedgerReportRenderer.Format(rawValue: format) else { throw ValidationError("--format must be html, md, json or pdf") }
            if pdf && out == nil { throw ValidationError("--format pdf needs --out FILE") }
            let verifiers = try key.map { key in
                do { return try NoteVerifier(verifierKey: key) } catch { throw ValidationError("\(error)") }
            }
            let policy: WitnessPolicy?
            do { policy = witness.isEmpty ? nil : try WitnessPolicy(verifierKeys: witness, quorum: quorum) } catch { throw ValidationError("--witness: \(error)") }
            let report = LedgerReport.make(
                directories: ledgerDirectories.map { URL(fileURLWithPath: $0) }, verifiers: verifiers, since: since, until: until, witnesses: policy)
            let text = try LedgerReportRenderer.render(report, as: format)
            if let out, pdf {
                try ReportPDF.render(html: text, to: out, chromium: chromium)
            } else if let out {
                try Data(text.utf8).write(to: URL(fileURLWithPath: out))
            } else {
                print(text, terminator: "")
            }
        }
    }
}
