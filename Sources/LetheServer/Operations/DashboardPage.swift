import Foundation
import LetheMemory

/// The live operator dashboard served at `/dashboard` on the admin listener: one self-contained
/// page (no external scripts, styles or fonts; its HTML, stylesheet and script are resource files
/// in `Operations/Dashboard/`, joined into the page when the worker starts) that reads `/metrics` and `/readyz` every few
/// seconds and shows throughput, latency percentiles, load, errors, wipes and ledger growth.
/// It computes everything from the same exposition Prometheus scrapes, so the two cannot disagree.
/// With an admin token, open it as `/dashboard#token=TOKEN` (the fragment never leaves the browser).
struct DashboardPage: Sendable {
    /// Seconds between refreshes.
    static let refreshSeconds = 2

    /// The page's stylesheet (`dashboard.css`).
    let stylesheet: String
    /// The page's script (`dashboard.js`), with the refresh interval filled in.
    let script: String
    /// The page (`dashboard.html`) with its stylesheet and script inline.
    let html: String

    /// Reads the page from the module's resource bundle. The worker loads it once at start, so
    /// that a deployment without the bundle (`lethe_LetheServer.resources` next to the `lethe`
    /// executable) fails there rather than on an operator's first visit.
    static func load() throws(LetheError) -> DashboardPage {
        func resource(_ name: String, _ type: String) throws(LetheError) -> String {
            guard let url = Bundle.module.url(forResource: name, withExtension: type, subdirectory: "Dashboard"),
                  let data = FileManager.default.contents(atPath: url.path) else {
                throw LetheError(.dashboardUnavailable, "the dashboard's \(name).\(type) is missing from the resource bundle")
            }
            return String(decoding: data, as: UTF8.self)
        }
        let stylesheet = try resource("dashboard", "css")
        let script = try resource("dashboard", "js").replacingOccurrences(of: "__REFRESH_SECONDS__", with: String(refreshSeconds))
        let html = try resource("dashboard", "html")
            .replacingOccurrences(of: "__STYLESHEET__", with: stylesheet)
            .replacingOccurrences(of: "__SCRIPT__", with: script)
        return DashboardPage(stylesheet: stylesheet, script: script, html: html)
    }
}
