import Foundation

/// The compliance view (docs/ledger.md §19) in Markdown and HTML: each promise with its status,
/// evidence, how it was verified and the commands that check it again; in HTML also the charts of
/// requests per day and witness coverage (inline SVG).
extension LedgerReportRenderer {
    static func status(_ promise: ComplianceView.Promise) -> String { promise.met ? "MET" : "NOT MET" }

    static func complianceMarkdown(_ report: LedgerReport) -> [String] {
        guard let compliance = report.compliance else { return [] }
        var lines = ["## Compliance with the privacy policy's promises", ""]
        for promise in compliance.promises {
            lines += ["### \(promise.text)", "", "**\(status(promise))**", ""] + promise.evidence.map { "- \($0)" }
            lines += ["", "How it was verified: \(promise.verification)", "", "Check it again:", "", "```sh"] + promise.commands + ["```", ""]
        }
        if !compliance.requestsPerDay.isEmpty {
            lines += ["| day | requests |", "| --- | --- |"] + compliance.requestsPerDay.map { "| \($0.date) | \($0.requests) |" } + [""]
        }
        if !compliance.witnessCoverage.isEmpty {
            lines += ["| origin | witness | checkpoints cosigned |", "| --- | --- | --- |"]
            lines += compliance.witnessCoverage.map { "| \($0.origin ?? "?") | \($0.witness) | \($0.cosigned) of \($0.checkpoints)\($0.verified ? "" : " (not verified)") |" } + [""]
        }
        return lines
    }

    static func complianceHTML(_ report: LedgerReport) -> String {
        guard let compliance = report.compliance else { return "" }
        var html = "<h2>Compliance with the privacy policy's promises</h2>"
        for promise in compliance.promises {
            html += #"<section class="promise\#(promise.met ? "" : " not-met")" id="promise-\#(escape(promise.id))">"#
            html += "<h3>\(escape(promise.text))</h3><p class=\"status\">\(status(promise))</p>"
            html += "<ul>" + promise.evidence.map { "<li>\(escape($0))</li>" }.joined() + "</ul>"
            html += "<p>How it was verified: \(escape(promise.verification))</p>"
            html += "<p>Check it again:</p><pre>" + promise.commands.map(escape).joined(separator: "\n") + "</pre></section>"
        }
        let days = compliance.requestsPerDay.map { (String($0.date.dropFirst(5)), $0.requests, String($0.requests)) }
        html += "<figure>" + barChartSVG("Requests per day", axis: "requests per day (UTC)", bars: days) + "<figcaption>Requests that held plaintext, per day.</figcaption></figure>"
        let coverage = compliance.witnessCoverage.map { item in
            let percent = item.checkpoints == 0 ? 0 : item.cosigned * 100 / item.checkpoints
            return (item.witness, percent, "\(percent)%")
        }
        html += "<figure>" + barChartSVG("Witness coverage", axis: "checkpoints cosigned per witness (%)", bars: coverage, maximum: 100)
            + "<figcaption>" + (coverage.isEmpty ? "No checkpoint carries a witness cosignature." : "Share of the checkpoints each witness cosigned.") + "</figcaption></figure>"
        html += "<figure>" + histogramSVG(report) + "<figcaption>Plaintext lifetimes, decryption to verified wipe.</figcaption></figure>"
        return html
    }
}
