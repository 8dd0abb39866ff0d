import Foundation
import Testing

/// A test whose measure is the whole process's (the allocator's bytes in use) cannot share its
/// process with the other suites: they allocate beside it while it runs, by more than its bound
/// on a loaded machine. Such a test runs in a child process of this test binary with only itself
/// selected and enabled: the parent test runs the child, the measuring test is enabled only there.
public enum MeasuredAlone {
    /// Names the one test the child runs.
    static let variable = "LETHE_TEST_MEASURED_ALONE"

    /// True in the child that runs `test` (for `.enabled(if:)` on the measuring test).
    public static func isChild(running test: String) -> Bool { ProcessInfo.processInfo.environment[variable] == test }

    /// Runs the test function named `test` (unique among the tests' names) alone in a child
    /// process of this test binary and returns the child's output; the run failed unless its
    /// status is 0 and it ran exactly one test.
    public static func run(_ test: String, timeout: Duration = .seconds(600)) async throws -> (passed: Bool, output: String) {
        let run = try await Program.run(
            CommandLine.arguments[0], ["--testing-library", "swift-testing", "--filter", "/\(test)\\(\\)"],
            environment: [variable: test], timeout: timeout)
        let ranOne = run.output.contains("Test run with 1 test in 1 suite passed")
        return (run.status == 0 && !run.timedOut && ranOne, run.output)
    }

    /// The parent test: runs `test` alone (`run`), records an issue unless the child passed, and
    /// prints the child's line starting with `figuresPrefix` (what it measured).
    public static func expectPassing(_ test: String, printing figuresPrefix: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let child = try await run(test)
        #expect(child.passed, "the child's run failed: \(child.output.suffix(2_000))", sourceLocation: sourceLocation)
        if let figures = child.output.split(separator: "\n").first(where: { $0.hasPrefix(figuresPrefix) }) { print(figures) }
    }
}
