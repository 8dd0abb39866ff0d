import Foundation
import LetheLedger
import Testing

@Suite("Audit report")
struct LedgerReportTests {
    @Test("two replicas merge: outcomes, bytes, lifetimes, histogram, anomalies; html has an inline SVG")
    func merged() async throws {
        let first = TemporaryLedger()
        let second = TemporaryLedger()
        defer { first.remove(); second.remove() }
        var configuration = LedgerConfiguration()
        configuration.origin = "lethe.test/a"
        let keyA = try await first.fill(10, configuration: configuration)
        configuration.origin = "lethe.test/b"
        let log = try DeletionLedger(directory: second.directory, configuration: configuration)
        for number in 0..<5 {
            var entry = TemporaryLedger.record(number, wipedAt: Date(timeIntervalSince1970: 1_790_000_000 + Double(number)), errorCode: number == 0 ? "image_corrupt" : nil)
            entry.wipeVerified = number != 3
            try await log.append(entry)
        }
        try await log.writeCheckpoint()

        let report = LedgerReport.make(directories: [first.directory, second.directory], verifiers: [keyA, log.signer.verifier], since: nil, until: nil)
        #expect(report.requests == 15)
        #expect(report.byOutcome == ["ok": 14, "error": 1])
        #expect(report.byErrorCode == ["image_corrupt": 1])
        #expect(report.bytesWiped == (0..<10).map { 40 + $0 }.reduce(0, +) + (0..<5).map { 40 + $0 }.reduce(0, +))
        #expect(report.wipesVerified == 14)
        // Lifetimes are 1…10 ms and 1…5 ms: p50 of 15 values is the 8th smallest.
        #expect(report.lifetimeMaxMicroseconds == 10_000)
        #expect(report.lifetimeP50Microseconds == 4_000)
        #expect(report.histogram.map(\.count).reduce(0, +) == 15)
        #expect(report.replicas.map(\.origin) == ["lethe.test/a", "lethe.test/b"])
        #expect(report.replicas[0].verified == true && report.replicas[1].verified == false)
        #expect(report.anomalies.contains { $0.contains("wipe(s) failed the read-back verify: entries #3") })
        #expect(report.anomalies.contains { $0.contains("lethe.test/b: verification failed: wipe_unverified") })

        let since = LedgerReport.make(directories: [first.directory], verifiers: [keyA], since: "2026-09-21T14:13:25", until: nil)
        #expect(since.requests == 5)
        let html = try LedgerReportRenderer.render(report, as: .html)
        #expect(html.contains("<svg") && html.contains("</svg>") && html.contains("lethe.test/b"))
        let markdown = try LedgerReportRenderer.render(report, as: .md)
        #expect(markdown.contains("| error | 1 |") && markdown.contains("p50 4.0 ms"))
        let json = try LedgerReportRenderer.render(report, as: .json)
        #expect(json.contains(#""plaintext_lifetime_p99_us" : 10000"#))
    }
}
