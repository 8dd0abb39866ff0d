import Foundation
import Testing

/// What a suite needs from the machine beyond Swift, as tags (`swift test --filter` and the test
/// report show them). A test whose tool is missing FAILS, always (not only under `CI`): a skipped
/// residue or no-disk test would read as a kept promise. `scripts/bootstrap` installs every tool.
extension Tag {
    /// Runs as root (reads another process's memory, sets its own limits).
    @Tag static var needsRoot: Self
    /// Reads the worker's memory through /proc/PID/mem (ptrace access: root or CAP_SYS_PTRACE).
    @Tag static var needsPtrace: Self
    /// Traces the worker's system calls with /usr/bin/strace.
    @Tag static var needsStrace: Self
    /// Drives Debian's headless `chromium`.
    @Tag static var needsChromium: Self
    /// Puts the workers behind a real `nginx`.
    @Tag static var needsNginx: Self
    /// Runs schemathesis's `st` (PyPI).
    @Tag static var needsSchemathesis: Self
}

/// The checks behind the tags: each records a failure naming what to install, and returns false.
enum RequiredTool {
    /// True when running as root; otherwise records why the test cannot run.
    static func root(sourceLocation: SourceLocation = #_sourceLocation) -> Bool {
        guard geteuid() == 0 else {
            Issue.record("this test needs root (ptrace access to the worker's memory); run the suite as root", sourceLocation: sourceLocation)
            return false
        }
        return true
    }

    /// True when `name` is an executable in PATH (or an absolute path); otherwise records it.
    static func installed(_ name: String, sourceLocation: SourceLocation = #_sourceLocation) -> Bool {
        let candidates = name.hasPrefix("/") ? [name]
            : (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":").map { "\($0)/\(name)" }
        guard candidates.contains(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            Issue.record("\(name) is not installed; scripts/bootstrap installs it", sourceLocation: sourceLocation)
            return false
        }
        return true
    }
}
