import Foundation
import LetheMemory

/// The live operator dashboard served at `/dashboard` on the admin listener: a page, its stylesheet
/// (`/dashboard.css`) and its script (`/dashboard.js`), nothing from elsewhere, that reads
/// `/metrics` and `/readyz` every few seconds and shows throughput, latency percentiles, load,
/// errors, wipes and ledger growth. Script and style are separate same-origin resources so that
/// the Content-Security-Policy needs no `'unsafe-inline'`: markup injected into the page could
/// not run script or restyle it, and `frame-ancestors 'none'` keeps it out of other sites' frames.
/// It computes everything from the same exposition Prometheus scrapes, so the two cannot disagree.
/// With an admin token, open it as `/dashboard#token=TOKEN` (the fragment never leaves the browser).
///
/// The three are resource files (`Operations/Dashboard/dashboard.{html,css,js}`), read from the
/// module's bundle once, when the worker starts.
struct DashboardPage: Sendable {
    /// Seconds between refreshes.
    static let refreshSeconds = 2

    /// CSP 3 for the page: same-origin script, style and fetches only; no inline code, no
    /// plugins, no `<base>`, no forms, never framed (`frame-ancestors`, CSP 3 §6.4.2).
    static let contentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; "
        + "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

    /// `/dashboard`: the markup, with no inline script, style element or style attribute.
    let html: String
    /// `/dashboard.css`.
    let stylesheet: String
    /// `/dashboard.js`, with the refresh interval filled in.
    let script: String

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
        return DashboardPage(
            html: try resource("dashboard", "html"), stylesheet: try resource("dashboard", "css"),
            script: try resource("dashboard", "js").replacingOccurrences(of: "__REFRESH_SECONDS__", with: String(refreshSeconds)))
    }
}
