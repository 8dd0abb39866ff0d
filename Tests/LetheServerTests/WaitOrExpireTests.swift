import CLetheSystem
@testable import LetheServer
import Testing

/// The race of a queued request against its deadline (`waitOrExpire`, used by both admission
/// queues): its outcome, and what a finished race leaves behind.
@Suite("Wait or expire")
struct WaitOrExpireTests {
    @Test("a wait let in long before its deadline leaves nothing behind: memory stays flat over 5 × 5,000 waits with a one-hour deadline")
    func finishedWaitsHoldNoMemory() async {
        #expect(lethe_allocated_bytes() > 0, "no allocator statistics on this platform")
        // With `Task.sleep` as the deadline, each of these waits left its cancelled sleep queued in
        // Dispatch until the deadline, ~720 bytes each (the soak's steady growth). Five windows;
        // the smallest growth counts, so that another suite allocating in the same process during
        // a window does not decide the result; the bound, 200 bytes a wait, is far from both.
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
