import Foundation
import CLetheSystem
@testable import LetheServer
import LetheTestSupport
import Testing

/// The race of a queued request against its deadline (`waitOrExpire`, used by both admission
/// queues): its outcome, and what a finished race leaves behind.
@Suite("Wait or expire")
struct WaitOrExpireTests {
    /// Set for the child process in which the waits are measured alone.
    static let aloneVariable = "LETHE_TEST_WAITS_ALONE"

    @Test("a wait let in long before its deadline leaves nothing behind: memory stays flat over 5 × 5,000 waits with a one-hour deadline, measured in a process of their own")
    func finishedWaitsHoldNoMemory() async throws {
        // The allocator's figures are the whole process's, and the other suites allocate in this
        // one while they run (on a loaded machine, more than the bound in each of five windows:
        // a fresh CI run read ≥ 1.19 MB). So the waits run in a child: this test binary, with
        // only the measuring test below enabled and selected.
        let run = try await Program.run(
            CommandLine.arguments[0], ["--testing-library", "swift-testing", "--filter", "measureFinishedWaitsAlone"],
            environment: [Self.aloneVariable: "1"], timeout: .seconds(600))
        let figures = run.output.split(separator: "\n").first { $0.hasPrefix("waits alone:") }
        #expect(run.status == 0 && !run.timedOut, "the child's run failed: \(run.output.suffix(2_000))")
        #expect(figures != nil, "the child measured nothing: \(run.output.suffix(2_000))")
        if let figures { print(figures) }
    }

    /// The measure itself, only in the child (`finishedWaitsHoldNoMemory`).
    @Test("the waits' memory, measured alone", .enabled(if: ProcessInfo.processInfo.environment[aloneVariable] != nil))
    func measureFinishedWaitsAlone() async {
        #expect(lethe_allocated_bytes() > 0, "no allocator statistics on this platform")
        // With `Task.sleep` as the deadline, each of these waits left its cancelled sleep queued in
        // Dispatch until the deadline, ~720 bytes each (the soak's steady growth). Five windows;
        // the smallest growth counts; the bound, 200 bytes a wait, is far from both.
        let waits = 5_000
        var growths: [Int] = []
        var admitted = 0
        for _ in 0..<5 {
            let baseline = Int(lethe_allocated_bytes())
            for _ in 0..<waits where await waitOrExpire(after: .seconds(3_600), wait: { true }, expire: { false }) {
                admitted += 1
            }
            growths.append(Int(lethe_allocated_bytes()) - baseline)
        }
        print("waits alone: allocated bytes grew by \(growths) over five windows of \(waits) waits, \(admitted) let in")
        #expect(admitted == 5 * waits)
        #expect(growths.min()! < waits * 200, "allocated bytes grew by \(growths) over five windows of \(waits) waits")
    }

    @Test("a wait still queued at its deadline is expired, and the expiry's answer decides")
    func deadlineExpiresTheWait() async {
        let expired = await waitOrExpire(
            after: .milliseconds(20), wait: { await sleepUnlessCancelled(for: .seconds(3_600)); return false }, expire: { true })
        #expect(expired)
        let refused = await waitOrExpire(
            after: .milliseconds(20), wait: { await sleepUnlessCancelled(for: .seconds(3_600)); return true }, expire: { false })
        #expect(!refused)
    }
}
