import Foundation
import LetheLedger
import Testing

@Suite("Audit report")
struct LedgerReportTests {
    @Test("two replicas merge period by period: outcomes, refusals, bytes, lifetimes, histogram, anomalies; html has an inline SVG")
    func merged() async throws {
        let first = TemporaryLedger()
        let second = TemporaryLedger()
        defer { first.remove(); second.remove() }
        let keyA = try await first.fill(12, configuration: first.configuration { $0.origin = "lethe.test/a" })
        let log = try second.open(second.configuration { $0.origin = "lethe.test/b" })
        for number in 0..<5 {
            var record = TemporaryLedger.record(number, errorCode: number == 0 ? "image_corrupt" : nil)
            record.wipeVerified = number != 3
            try await log.append(record)
        }
        for _ in 0..<7 { await log.countRefusal(code: "unsupported_envelope_media_type") }
        try await log.publish(closingOpenPeriod: true)

        let report = LedgerReport.make(directories: [first.directory, second.directory], verifiers: [keyA, log.signer.verifier], since: nil, until: nil)
        #expect(report.requests == 17)
        #expect(report.byOutcome == ["ok": 16, "error": 1])
        #expect(report.byErrorCode == ["image_corrupt": 1])
        #expect(report.refusedBeforePlaintext == ["unsupported_envelope_media_type": 7])
        #expect(report.bytesWiped == (0..<12).map { 40 + $0 }.reduce(0, +) + (0..<5).map { 40 + $0 }.reduce(0, +))
        #expect(report.wipesVerified == 16)
        // Lifetimes are 1…12 ms and 1…5 ms, all read from the records: p50 of 17 values is the 9th smallest.
        #expect(report.lifetimesExact)
        #expect(report.lifetimeMaxMicroseconds == 12_000)
        #expect(report.lifetimeP50Microseconds == 5_000)
        #expect(report.histogram.map(\.count).reduce(0, +) == 17)
        #expect(report.periods.count == 4 && report.periods.map(\.requests) == [4, 4, 4, 5])
        #expect(report.periods.last?.refused == 7 && report.periods.last?.wipesVerified == 4)
        #expect(report.replicas.map(\.origin) == ["lethe.test/a", "lethe.test/b"])
        #expect(report.replicas[0].verified == true && report.replicas[1].verified == false)
        #expect(report.replicas[0].recordsChecked && !report.replicas[1].recordsChecked)
        #expect(report.anomalies.contains { $0.contains("1 wipe(s) failed the read-back verify") })
        #expect(report.anomalies.contains { $0.contains("lethe.test/b: verification failed: wipe_unverified") })

        let since = LedgerReport.make(directories: [first.directory], verifiers: [keyA], since: "2026-09-21T14:14", until: nil)
        #expect(since.requests == 0)
        let html = try LedgerReportRenderer.render(report, as: .html)
        #expect(html.contains("<svg") && html.contains("</svg>") && html.contains("lethe.test/b") && html.contains("Periods"))
        let markdown = try LedgerReportRenderer.render(report, as: .md)
        #expect(markdown.contains("| error | 1 |") && markdown.contains("p50 5.0 ms") && markdown.contains("| `unsupported_envelope_media_type` | 7 |"))
        let json = try LedgerReportRenderer.render(report, as: .json)
        #expect(json.contains(#""plaintext_lifetime_p99_us" : 12000"#))
    }

    @Test("from the public log alone (no private records) the report is built from the summaries, lifetimes as bucket bounds")
    func publicOnly() async throws {
        let ledger = TemporaryLedger()
        defer { ledger.remove() }
        let verifier = try await ledger.fill(8)
        try FileManager.default.removeItem(at: ledger.layout.segmentsDirectory)
        let report = LedgerReport.make(directories: [ledger.directory], verifiers: [verifier], since: nil, until: nil)
        #expect(report.requests == 8 && report.wipesVerified == 8 && report.replicas.first?.verified == true)
        #expect(!report.lifetimesExact)
        // Lifetimes 1…8 ms: the 4th smallest (4 ms) is in the bucket up to 5 ms.
        #expect(report.lifetimeP50Microseconds == 5_000 && report.lifetimeMaxMicroseconds == 8_000)
        #expect(try LedgerReportRenderer.render(report, as: .md).contains("p50 ≤ 5.0 ms"))
    }
}
