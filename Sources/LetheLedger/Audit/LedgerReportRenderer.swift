import Foundation

/// Renders a `LedgerReport` as JSON, Markdown or self-contained HTML (inline SVG histogram).
public enum LedgerReportRenderer {
    public enum Format: String, Sendable, CaseIterable {
        case json, md, html
    }

    public static func render(_ report: LedgerReport, as format: Format) throws -> String {
        switch format {
        case .json:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            return String(decoding: try encoder.encode(report), as: UTF8.self) + "\n"
        case .md: return markdown(report)
        case .html: return html(report)
        }
    }

    static func milliseconds(_ microseconds: Int) -> String { String(format: "%.1f ms", Double(microseconds) / 1000) }

    static func bucketLabel(_ report: LedgerReport, _ index: Int) -> String {
        let bucket = report.histogram[index]
        let lower = index == 0 ? 0 : report.histogram[index - 1].upToMilliseconds ?? 0
        return bucket.upToMilliseconds.map { "\(lower)–\($0) ms" } ?? "> \(lower) ms"
    }

    /// Periods shown in Markdown and HTML: all of them up to 200, else those with an unverified
    /// wipe (the JSON always has every period).
    static func shownPeriods(_ report: LedgerReport) -> [LedgerReport.Period] {
        report.periods.count <= 200 ? report.periods : report.periods.filter { $0.wipesVerified < $0.requests }
    }

    /// "≤ " when percentiles come from histogram buckets (the private records were not read).
    static func lifetimeBound(_ report: LedgerReport) -> String { report.lifetimesExact ? "" : "≤ " }

    static func period(_ report: LedgerReport) -> String {
        "\(report.since ?? "beginning") to \(report.until ?? "now")"
    }

    static func markdown(_ report: LedgerReport) -> String {
        var lines = [
            "# Lethe deletion report", "",
            "Generated \(report.generatedAt); period \(period(report)).", "",
        ] + complianceMarkdown(report) + [
            "## Replicas", "", "| origin | directory | entries in period | verified |", "| --- | --- | --- | --- |",
        ]
        lines += report.replicas.map {
            "| \($0.origin ?? "?") | \($0.directory) | \($0.entries) | \($0.verified.map { $0 ? "yes" : "**NO**" } ?? "not checked (no key)") |"
        }
        lines += ["", "## Requests", "", "| outcome | requests |", "| --- | --- |"]
        lines += report.byOutcome.sorted { $0.key < $1.key }.map { "| \($0.key) | \($0.value) |" }
        lines += ["| **total** | \(report.requests) |"]
        if !report.byErrorCode.isEmpty {
            lines += ["", "| error code | requests |", "| --- | --- |"]
            lines += report.byErrorCode.sorted { $0.key < $1.key }.map { "| `\($0.key)` | \($0.value) |" }
        }
        if !report.refusedBeforePlaintext.isEmpty {
            lines += ["", "Refused before any plaintext existed (nothing to wipe; counted per period, not recorded one by one):", "",
                "| code | requests |", "| --- | --- |"]
            lines += report.refusedBeforePlaintext.sorted { $0.key < $1.key }.map { "| `\($0.key)` | \($0.value) |" }
        }
        lines += ["", "## Wiping", "",
            "\(report.bytesWiped) plaintext bytes in \(report.buffersWiped) buffers wiped; \(report.wipesVerified) of \(report.requests) wipes verified by read-back.", "",
            "| buffer class | bytes wiped |", "| --- | --- |"]
        lines += report.bytesWipedByClass.sorted { $0.key < $1.key }.map { "| \($0.key) | \($0.value) |" }
        lines += ["", "## Plaintext lifetime", "",
            "p50 \(lifetimeBound(report))\(milliseconds(report.lifetimeP50Microseconds)), p99 \(lifetimeBound(report))\(milliseconds(report.lifetimeP99Microseconds)), max \(milliseconds(report.lifetimeMaxMicroseconds)).", "",
            "| lifetime | requests |", "| --- | --- |"]
        lines += report.histogram.indices.map { "| \(bucketLabel(report, $0)) | \(report.histogram[$0].count) |" }
        if !report.periods.isEmpty {
            lines += ["", "## Periods", "", "| origin | period | requests | wipes verified | refused | bytes wiped | longest plaintext lifetime |",
                "| --- | --- | --- | --- | --- | --- | --- |"]
            lines += shownPeriods(report).map {
                "| \($0.origin ?? "?") | \($0.period) – \($0.periodEnd) | \($0.requests) | \($0.wipesVerified) | \($0.refused) | \($0.bytesWiped) | \(milliseconds($0.plaintextLifetimeMaxMicroseconds)) |"
            }
        }
        if !report.keys.isEmpty {
            lines += ["", "## OHTTP key log", "", "| origin | log entry | key id | KEM | logged in period | superseded in period |", "| --- | --- | --- | --- | --- | --- |"]
            lines += report.keys.map { "| \($0.origin ?? "?") | #\($0.sequence) | \($0.keyID) | 0x\(String(format: "%04x", $0.kemID)) | \($0.loggedIn) | \($0.supersededIn ?? "in force") |" }
        }
        lines += ["", "## Anomalies", ""]
        lines += report.anomalies.isEmpty ? ["None."] : report.anomalies.map { "- \($0)" }
        for replica in report.replicas where !replica.findings.isEmpty {
            lines += ["", "### Findings for \(replica.origin ?? replica.directory)", ""] + replica.findings.map { "- \($0)" }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    /// A bar chart as inline SVG (no script): one bar per item, its value above it, its label
    /// below, a tooltip title; bars scaled to `maximum` (default the largest value).
    static func barChartSVG(_ ariaLabel: String, axis: String, bars: [(label: String, value: Int, shown: String)], maximum: Int? = nil) -> String {
        let barWidth = 44, gap = 8, height = 160, top = 20, bottom = 40
        let scale = max(1, maximum ?? bars.map(\.value).max() ?? 1)
        let width = max(1, bars.count) * (barWidth + gap) + gap
        var svg = #"<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="\#(escape(ariaLabel))" width="\#(width)" height="\#(height + top + bottom)" font-family="sans-serif" font-size="10">"#
        for (index, bar) in bars.enumerated() {
            let barHeight = bar.value <= 0 ? 0 : max(1, min(bar.value, scale) * height / scale)
            let x = gap + index * (barWidth + gap)
            let y = top + height - barHeight
            svg += #"<rect x="\#(x)" y="\#(y)" width="\#(barWidth)" height="\#(barHeight)" fill="steelblue"><title>\#(escape(bar.label)): \#(escape(bar.shown))</title></rect>"#
            svg += #"<text x="\#(x + barWidth / 2)" y="\#(y - 4)" text-anchor="middle">\#(escape(bar.shown))</text>"#
            svg += #"<text x="\#(x + barWidth / 2)" y="\#(top + height + 14)" text-anchor="middle">\#(escape(bar.label))</text>"#
        }
        svg += #"<text x="\#(width / 2)" y="\#(top + height + 32)" text-anchor="middle">\#(escape(axis))</text></svg>"#
        return svg
    }

    /// The lifetime histogram as a bar chart.
    static func histogramSVG(_ report: LedgerReport) -> String {
        barChartSVG("Histogram of plaintext lifetimes", axis: "plaintext lifetime (ms)", bars: report.histogram.indices.map { index in
            (bucketLabel(report, index).replacingOccurrences(of: " ms", with: ""), report.histogram[index].count, String(report.histogram[index].count))
        })
    }

    /// The page's only style (no external resource, nothing to fetch: it prints as it shows).
    static let style = "body{font-family:sans-serif;max-width:60em;margin:2em auto;color:#222}table{border-collapse:collapse;margin:1em 0}"
        + "td,th{border:1px solid #bbb;padding:.3em .6em;text-align:left}section.promise{border:1px solid #bbb;border-left:.5em solid #2a7;padding:0 1em;margin:1em 0;break-inside:avoid}"
        + "section.promise.not-met{border-left-color:#c22}.status{font-weight:bold}pre{white-space:pre-wrap;background:#f4f4f4;padding:.5em}figure{margin:1em 0;break-inside:avoid}"

    static func html(_ report: LedgerReport) -> String {
        func table(_ header: [String], _ rows: [[String]]) -> String {
            "<table><tr>" + header.map { "<th>\(escape($0))</th>" }.joined() + "</tr>"
                + rows.map { "<tr>" + $0.map { "<td>\(escape($0))</td>" }.joined() + "</tr>" }.joined() + "</table>"
        }
        let replicas = table(["origin", "directory", "entries in period", "verified"], report.replicas.map {
            [$0.origin ?? "?", $0.directory, String($0.entries), $0.verified.map { $0 ? "yes" : "NO" } ?? "not checked (no key)"]
        })
        let outcomes = table(["outcome", "requests"], report.byOutcome.sorted { $0.key < $1.key }.map { [$0.key, String($0.value)] } + [["total", String(report.requests)]])
        let codes = report.byErrorCode.isEmpty ? "" : table(["error code", "requests"], report.byErrorCode.sorted { $0.key < $1.key }.map { [$0.key, String($0.value)] })
        let refused = report.refusedBeforePlaintext.isEmpty ? "" : "<p>Refused before any plaintext existed (counted per period):</p>"
            + table(["code", "requests"], report.refusedBeforePlaintext.sorted { $0.key < $1.key }.map { [$0.key, String($0.value)] })
        let periods = report.periods.isEmpty ? "" : "<h2>Periods</h2>" + table(
            ["origin", "period", "requests", "wipes verified", "refused", "bytes wiped", "longest plaintext lifetime"],
            shownPeriods(report).map { [$0.origin ?? "?", "\($0.period) – \($0.periodEnd)", String($0.requests), String($0.wipesVerified), String($0.refused), String($0.bytesWiped), milliseconds($0.plaintextLifetimeMaxMicroseconds)] })
        let classes = table(["buffer class", "bytes wiped"], report.bytesWipedByClass.sorted { $0.key < $1.key }.map { [$0.key, String($0.value)] })
        let keys = report.keys.isEmpty ? "" : "<h2>OHTTP key log</h2>" + table(
            ["origin", "log entry", "key id", "KEM", "logged in period", "superseded in period"],
            report.keys.map { [$0.origin ?? "?", "#\($0.sequence)", String($0.keyID), "0x" + String(format: "%04x", $0.kemID), $0.loggedIn, $0.supersededIn ?? "in force"] })
        let anomalies = report.anomalies.isEmpty ? "<p>None.</p>" : "<ul>" + report.anomalies.map { "<li>\(escape($0))</li>" }.joined() + "</ul>"
        return """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>Lethe deletion report</title>
            <style>\(style)</style>
            </head><body>
            <h1>Lethe deletion report</h1>
            <p>Generated \(escape(report.generatedAt)); period \(escape(period(report))).</p>
            \(complianceHTML(report))
            <h2>Replicas</h2>\(replicas)
            <h2>Requests</h2>\(outcomes)\(codes)\(refused)
            <h2>Wiping</h2><p>\(report.bytesWiped) plaintext bytes in \(report.buffersWiped) buffers wiped; \(report.wipesVerified) of \(report.requests) wipes verified by read-back.</p>\(classes)
            <h2>Plaintext lifetime</h2><p>p50 \(escape(lifetimeBound(report)))\(milliseconds(report.lifetimeP50Microseconds)), p99 \(escape(lifetimeBound(report)))\(milliseconds(report.lifetimeP99Microseconds)), max \(milliseconds(report.lifetimeMaxMicroseconds)).</p>
            \(report.compliance == nil ? histogramSVG(report) : "")
            \(periods)
            \(keys)
            <h2>Anomalies</h2>\(anomalies)
            </body></html>

            """
    }
}
