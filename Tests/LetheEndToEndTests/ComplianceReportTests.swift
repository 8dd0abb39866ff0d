import Foundation
import LetheClient
import LetheLedger
import LetheServer
import LetheTestSupport
import Testing

/// The compliance officer's view of `lethe audit report` (issue 17, point 6; docs/ledger.md §19),
/// over the ledger a real worker wrote with a real witness cosigning its checkpoints: each promise
/// with its evidence and the command to check it again, the charts as inline SVG, a PDF printed by
/// headless Chromium and read back with pdftotext; a wipe that did not verify is a promise not met.
extension LedgerEndToEndTests {
    /// `lethe audit report` with `arguments`; the status and what it wrote to `out`.
    static func report(_ arguments: [String], out: URL) async throws -> (Int32, Data) {
        let (status, output) = try await LedgerCrashTests.lethe(["audit", "report"] + arguments + ["--out", out.path])
        #expect(status == 0, "\(output)")
        return (status, (try? Data(contentsOf: out)) ?? Data())
    }

    /// Whitespace collapsed to single spaces (pdftotext breaks lines where the page wraps them).
    static func words(_ text: String) -> String {
        text.split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }

    @Test("the compliance view maps a real worker's witnessed ledger to the three promises, with evidence, commands, SVG charts and a PDF; an unverified wipe is a promise not met")
    func complianceReport() async throws {
        let files = try DeviceFiles(origin: "lethe.test/compliance")
        let witnessState = Self.temporaryDirectory("compliance-witness")
        defer {
            files.remove()
            try? FileManager.default.removeItem(at: witnessState)
        }
        let html = files.directory.appendingPathComponent("report.html")
        let pdf = files.directory.appendingPathComponent("report.pdf")
        let logKey = try NoteSigner(privateKeyString: String(contentsOf: files.keyFile, encoding: .utf8)).verifier
        let witness = try CosignerSigner.generate(name: "witness.test/compliance")
        let promises = [ComplianceView.destructionPromise, ComplianceView.accessRecordsPromise, ComplianceView.noRetentionPromise]

        try await Self.withWitness(witness, logs: [logKey], stateDirectory: witnessState) { witnessURL in
            let endpoints = [WitnessEndpoint(verifier: witness.verifier, submissionPrefix: witnessURL)]
            try await self.run(keyFile: files.keyFile, witnesses: endpoints) { base, token, verifier, directory in
                for _ in 0..<2 { _ = try await LetheClient(serverURL: base, token: token).analyze(photo: TestPhotos.portrait) }
                let summaries = try await Self.summaries(in: directory) { $0.map(\.requests).reduce(0, +) == 2 }
                #expect(summaries.map(\.requests).reduce(0, +) == 2)
                let arguments = [directory.path, "--key", verifier.verifierKey, "--witness", witness.verifier.verifierKey]

                let (_, page) = try await Self.report(arguments + ["--format", "html"], out: html)
                let text = String(decoding: page, as: UTF8.self)
                for (id, promise) in zip(["destruction", "access_records", "no_retention"], promises) {
                    #expect(text.contains(#"<section class="promise" id="promise-\#(id)"><h3>\#(promise)</h3><p class="status">MET</p>"#), "\(id)")
                }
                #expect(text.contains("2 of 2 requests' plaintext buffers were wiped and verified by read-back"))
                #expect(text.range(of: #"plaintext lifetime from decryption to wipe: p50 [0-9.]+ ms, p99 [0-9.]+ ms, max [0-9.]+ ms"#, options: .regularExpression) != nil)
                #expect(text.contains("checkpoints cosigned by witness.test/compliance"))
                #expect(text.contains("2 OHTTP key configurations logged"))
                #expect(text.contains("lethe audit verify \(directory.path) --key \(verifier.verifierKey) --witness \(witness.verifier.verifierKey) --quorum 1"))
                for chart in ["Requests per day", "Witness coverage", "Histogram of plaintext lifetimes"] {
                    #expect(text.contains(#"<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="\#(chart)""#), "\(chart)")
                }
                #expect(!text.contains("<script") && !text.contains("src=") && !text.contains("<link"), "the page loads nothing")
                #expect(!text.contains("NOT MET"))
                // The regulator's command, run as printed, passes.
                let (verified, verifyOutput) = try await LedgerCrashTests.lethe(["audit", "verify"] + arguments + ["--quorum", "1"])
                #expect(verified == 0 && verifyOutput.contains("Witnessed: "), "\(verifyOutput)")

                let (_, document) = try await Self.report(arguments + ["--format", "pdf"], out: pdf)
                #expect(document.starts(with: Data("%PDF-".utf8)))
                let info = try await Program.run("pdfinfo", [pdf.path])
                let pages = info.output.split(separator: "\n").first { $0.hasPrefix("Pages:") }.flatMap { Int($0.dropFirst(6).trimmingCharacters(in: .whitespaces)) }
                #expect(info.status == 0 && (pages ?? 0) >= 1, "\(info.output)")
                let extracted = try await Program.run("pdftotext", ["-layout", pdf.path, "-"], errorOutput: .discarded)
                #expect(extracted.status == 0)
                let printed = Self.words(extracted.output)
                for promise in promises { #expect(printed.contains(Self.words(promise)), "the PDF lacks: \(promise)") }
                #expect(printed.contains("MET") && !printed.contains("NOT MET"))
            }
        }

        // A ledger holding a wipe whose read-back verify failed: destruction is not met.
        try await run(keyFile: files.keyFile, prefill: { try await Self.ledgerWithUnverifiedWipe($0, keyFile: files.keyFile) }) { _, _, verifier, directory in
            let (_, page) = try await Self.report([directory.path, "--key", verifier.verifierKey, "--format", "html"], out: html)
            let text = String(decoding: page, as: UTF8.self)
            #expect(text.contains(#"<section class="promise not-met" id="promise-destruction"><h3>\#(ComplianceView.destructionPromise)</h3><p class="status">NOT MET</p>"#))
            #expect(text.contains("0 of 1 requests' plaintext buffers were wiped and verified by read-back (every byte read back as zero); 1 wipe(s) did NOT verify"))
            #expect(text.contains(#"<section class="promise not-met" id="promise-no_retention">"#))
            let (_, json) = try await Self.report([directory.path, "--key", verifier.verifierKey, "--format", "json"], out: html)
            let report = try JSONDecoder().decode(LedgerReport.self, from: json)
            #expect(report.compliance?.promises.map(\.met) == [false, true, false], "\(report.compliance?.promises.map(\.id) ?? [])")
        }
    }
}
