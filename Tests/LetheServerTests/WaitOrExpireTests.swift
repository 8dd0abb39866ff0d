import Foundation
import CLetheSystem
@testable import LetheServer
import LetheTestSupport
import Testing

/// The race of a queued request against its deadline (`waitOrExpire`, used by both admission
/// queues): its outcome, and what a finished race leaves behind.
@Suite("Wait or expire")
struct WaitOrExpireTests {
    @Test("a wait let in long before its deadline leaves nothing behind: memory stays flat over 5 × 5,000 waits with a one-hour deadline, measured in a process of their own")
    func finishedWaitsHoldNoMemory() async throws {
        // The allocator's figures are the whole process's (a loaded fresh CI run read ≥ 1.19 MB a
        // window from the other suites): the waits run alone in a child (`MeasuredAlone`).
        try await MeasuredAlone.expectPassing("measureFinishedWaitsAlone", printing: "waits alone:")
    }

    /// The measure itself, only in the child (`finishedWaitsHoldNoMemory`).
    @Test("the waits' memory, measured alone", .enabled(if: MeasuredAlone.isChild(running: "measureFinishedWaitsAlone")))
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
