import ArgumentParser
import Foundation

/// `lethe audit report --format pdf`: the HTML report printed to PDF by headless Chromium. The
/// page has no script and fetches nothing, so what prints is what the HTML shows.
enum ReportPDF {
    /// Writes `html` into a private directory of its own under /tmp (mkdtemp, 0700; not TMPDIR,
    /// which lethe points nowhere, and short: Chromium's socket path must fit 108 bytes), prints
    /// it to `path` and removes the directory.
    static func render(html: String, to path: String, chromium: String) throws {
        let output = URL(fileURLWithPath: path).standardizedFileURL
        var template = Array("/tmp/lethe-pdf-XXXXXX".utf8CString)
        guard let created = mkdtemp(&template) else { throw ValidationError("--format pdf: cannot create a directory under /tmp") }
        let work = URL(fileURLWithPath: String(cString: created))
        defer { try? FileManager.default.removeItem(at: work) }
        let page = work.appendingPathComponent("report.html")
        try Data(html.utf8).write(to: page)
        try? FileManager.default.removeItem(at: output)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: chromium.contains("/") ? chromium : "/usr/bin/env")
        process.arguments = (chromium.contains("/") ? [] : [chromium]) + [
            "--headless", "--disable-gpu", "--no-first-run", "--user-data-dir=\(work.appendingPathComponent("profile").path)",
            "--no-pdf-header-footer", "--print-to-pdf=\(output.path)", page.absoluteString,
        ] + (geteuid() == 0 ? ["--no-sandbox"] : [])  // Chromium's sandbox refuses to run as root.
        // lethe points its own TMPDIR nowhere (main.swift); Chromium needs one for its sockets.
        process.environment = ProcessInfo.processInfo.environment.merging(["TMPDIR": work.path]) { $1 }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { throw ValidationError("--format pdf: cannot run \(chromium): \(error)") }
        process.waitUntilExit()
        guard process.terminationStatus == 0, FileManager.default.contents(atPath: output.path)?.starts(with: Data("%PDF".utf8)) == true else {
            throw ValidationError("--format pdf: \(chromium) exited \(process.terminationStatus) without writing a PDF to \(path)")
        }
    }
}
