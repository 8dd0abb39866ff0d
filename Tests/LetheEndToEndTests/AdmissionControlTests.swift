import LetheImaging
import Synchronization
import Testing

@testable import LetheServer

/// The processing slots' queue bound under concurrent arrivals.
@Suite("Admission control")
struct AdmissionControlTests {
    @Test("the queue bound is checked and taken in one step: of 24 requests arriving together behind a busy slot, exactly maxQueued wait")
    func queueBoundIsAtomic() async throws {
        let admission = AdmissionControl(maxConcurrent: 1, maxQueued: 2, queueTimeout: .seconds(600), metrics: WorkerMetrics())
        // One request holds the only slot until the test releases it.
        let holder = await HeldSlot.take(admission)

        let refused = Counter()
        let admitted = Counter()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<24 {
                group.addTask {
                    do {
                        try await admission.withAdmission { admitted.increment() }
                    } catch {
                        refused.increment()
                    }
                }
            }
            // Wait until every arrival is refused or holds a queue place, then free the slot.
            while refused.value + (await admission.queued) < 24 {
                try? await Task.sleep(for: .milliseconds(5))
            }
            holder.release()
        }
        try await holder.task.value
        #expect(refused.value == 22)
        #expect(admitted.value == 2)
    }

    @Test("the core ledger is told the requests held, processed and queued, as they come and go")
    func requestsRecordedInCoreLedger() async throws {
        let cores = CoreLedger(cores: 2)
        let admission = AdmissionControl(maxConcurrent: 1, maxQueued: 2, queueTimeout: .seconds(600), metrics: WorkerMetrics(), cores: cores)
        #expect(cores.requests == 0)
        let holder = await HeldSlot.take(admission)
        #expect(cores.requests == 1)
        let queued = Task { try await admission.withAdmission { cores.requests } }
        while await admission.queued < 1 { try await Task.sleep(for: .milliseconds(5)) }
        #expect(cores.requests == 2)
        holder.release()
        try await holder.task.value
        // The queued request, admitted: the only one left while it runs.
        #expect(try await queued.value == 1)
        #expect(cores.requests == 0)
    }
}

extension AdmissionControlTests {
    @Test("a request counts in the core ledger from its first byte: arriving, then admitted, queued or gone, never twice")
    func arrivingRequestsRecorded() async throws {
        let cores = CoreLedger(cores: 2)
        let admission = AdmissionControl(maxConcurrent: 1, maxQueued: 1, queueTimeout: .seconds(600), metrics: WorkerMetrics(), cores: cores)
        // Arriving: counted before any admission.
        await admission.arrive()
        await admission.arrive()
        #expect(cores.requests == 2)
        // One body fails: it goes uncounted.
        await admission.leftBeforeAdmission()
        #expect(cores.requests == 1)
        // The other is admitted: counted once, as running.
        let holder = await HeldSlot.take(admission, arrived: true)
        #expect(cores.requests == 1)
        // Two more arrive: the first takes the queue's place, the second finds the queue full and
        // stops counting as it is refused.
        await admission.arrive()
        await admission.arrive()
        #expect(cores.requests == 3)
        let queued = Task { try await admission.withAdmission(arrived: true) { cores.requests } }
        while await admission.queued < 1 { try await Task.sleep(for: .milliseconds(5)) }
        #expect(cores.requests == 3)
        await #expect(throws: AdmissionControl.Refusal.queueFull) { try await admission.withAdmission(arrived: true) {} }
        #expect(cores.requests == 2)
        holder.release()
        try await holder.task.value
        #expect(try await queued.value == 1)
        #expect(cores.requests == 0)
    }
}

/// A request that holds a processing slot from `take`'s return until `release`.
struct HeldSlot {
    let task: Task<Void, Error>
    let release: @Sendable () -> Void

    static func take(_ admission: AdmissionControl, arrived: Bool = false) async -> HeldSlot {
        let (released, releaser) = AsyncStream.makeStream(of: Void.self)
        let (started, starter) = AsyncStream.makeStream(of: Void.self)
        let task = Task {
            try await admission.withAdmission(arrived: arrived) {
                starter.yield()
                for await _ in released { break }
            }
        }
        for await _ in started { break }
        return HeldSlot(task: task, release: { releaser.yield(); releaser.finish() })
    }
}

/// A count shared by concurrent tasks.
final class Counter: Sendable {
    private let count = Atomic<Int>(0)
    var value: Int { count.load(ordering: .relaxed) }
    func increment() { count.add(1, ordering: .relaxed) }
}
