import Dispatch
import Foundation
import LetheImaging
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A request's helper thread: taken only on a free core, bound to the request's deadline, its CPU
/// charged to the request. (Its stack wipe is not observable here: glibc hands an ended thread's
/// dead frames back to the kernel, so after the join they read as zero either way; the residue
/// suite scans the engines' memory after face analyses, which run helpers.)
@Suite("Request threads")
struct RequestThreadsTests {
    static func threadID() -> pthread_t { pthread_self() }

    @Test("the second part runs on another thread only when the request may use another thread and a core is free", arguments: [
        (cores: 2, threads: 2, split: true), (cores: 1, threads: 2, split: false), (cores: 2, threads: 1, split: false), (cores: 4, threads: 4, split: true),
    ])
    func splitsOnFreeCore(cores: Int, threads: Int, split: Bool) async {
        let ledger = CoreLedger(cores: cores)
        // The second part waits until the first has read the ledger: a helper gives its core back
        // as soon as its part ends, and an empty part could end before the first part reads (a
        // fresh CI run read 1 so). Run in order on one thread, the first signals before the
        // second waits.
        let firstRead = DispatchSemaphore(value: 0)
        let (ids, heldInside) = await onRequestThread(prepare: { $0.useCores(ledger, threads: threads) }) { _ -> ((pthread_t, pthread_t), Int) in
            let ((first, heldInside), second) = RequestThreads.fork({ () -> (pthread_t, Int) in
                defer { firstRead.signal() }
                return (Self.threadID(), ledger.held)
            }, { () -> pthread_t in
                firstRead.wait()
                return Self.threadID()
            })
            return ((first, second), heldInside)
        }.result
        #expect((ids.0 != ids.1) == split)
        // The request thread holds a core, and the helper one more while it runs.
        #expect(heldInside == (split ? 2 : 1))
        #expect(ledger.held == 0)
    }

    @Test("no helper while the worker has as many requests as cores: each has a core to itself", arguments: [
        (requests: 0, split: true), (requests: 1, split: true), (requests: 2, split: false), (requests: 5, split: false),
    ])
    func noHelperWhenEveryCoreIsSomeRequests(requests: Int, split: Bool) async {
        let ledger = CoreLedger(cores: 2)
        ledger.requests = requests
        let ids = await onRequestThread(prepare: { $0.useCores(ledger, threads: 2) }) { _ in
            RequestThreads.fork({ Self.threadID() }, { Self.threadID() })
        }.result
        #expect((ids.0 != ids.1) == split)
        #expect(ledger.held == 0)
    }

    @Test("begin: a part started on a free core and joined later, its result the same at every join; nothing starts without a free core", arguments: [
        (cores: 2, begun: true), (cores: 1, begun: false),
    ])
    func beginAndJoin(cores: Int, begun: Bool) async {
        let ledger = CoreLedger(cores: cores)
        let (outcome, _) = await onRequestThread(prepare: { $0.useCores(ledger, threads: 2) }) { _ -> (begun: Bool, other: Bool, joins: [Int], heldAfter: Int) in
            let caller = Self.threadID()
            // The part waits until the caller has gone on past `begin`: it runs beside it, not before it returns.
            let callerWent = DispatchSemaphore(value: 0)
            guard let pending = RequestThreads.begin({ () -> (pthread_t, Int) in
                callerWent.wait()
                return (Self.threadID(), 41 + 1)
            }) else { return (false, false, [], ledger.held) }
            callerWent.signal()
            let first = pending.join(), second = pending.join()
            return (true, first.0 != caller, [first.1, second.1], ledger.held)
        }
        #expect(outcome.begun == begun)
        if begun {
            #expect(outcome.other && outcome.joins == [42, 42])
            // Its core came back when its part ended.
            #expect(outcome.heldAfter == 1)
        }
        #expect(ledger.held == 0)
    }

    @Test("a part begun and never joined has ended when its last reference goes: nothing it reads is released under it")
    func unjoinedPartEndsBeforeItsHandleGoes() async {
        let ledger = CoreLedger(cores: 2)
        let ended = Atomic<Bool>(false)
        let (sawEnd, _) = await onRequestThread(prepare: { $0.useCores(ledger, threads: 2) }) { _ -> Bool? in
            var pending = RequestThreads.begin { () -> Int in
                usleep(50_000)
                ended.store(true, ordering: .sequentiallyConsistent)
                return 1
            }
            guard pending != nil else { return nil }
            pending = nil
            return ended.load(ordering: .sequentiallyConsistent)
        }
        #expect(sawEnd == true)
        #expect(ledger.held == 0)
    }

    @Test("without a core ledger, or on an unbound thread, both parts run here in order")
    func serialWithoutLedger() async {
        let order = await onRequestThread { _ in
            let first = Self.threadID()
            let (a, b) = RequestThreads.fork({ Self.threadID() }, { Self.threadID() })
            return [first, a, b]
        }.result
        #expect(Set(order).count == 1)
        let (a, b) = RequestThreads.fork({ 1 }, { 2 })
        #expect(a == 1 && b == 2)
    }

    @Test("the gateway's and an engine's mappings of a shared ledger see the same cores, and reclaiming an engine's frees them")
    func sharedLedger() async {
        let (gateway, descriptor) = CoreLedger.makeShared(cores: 2)!
        defer { close(descriptor) }
        let engine = CoreLedger(mapping: descriptor, cores: 2)!
        let deadline = ProcessingDeadline(limits: .init(wallClock: .seconds(600), cpu: nil))
        deadline.useCores(engine, threads: 2)
        // An engine killed while its request thread held a core: it never unbinds.
        let held = await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                deadline.bindToCurrentThread()
                continuation.resume(returning: gateway.held)
            }
        }
        #expect(held == 1)
        gateway.reclaim(heldBy: getpid())
        #expect(engine.held == 0)
    }

    @Test("the helper's CPU counts against the request's budget, and its loop stops at it while the request thread only waits")
    func helperChargesBudget() async {
        let ((stopped, helperCPU), deadline) = await onRequestThread(
            limits: .init(wallClock: .seconds(600), cpu: .milliseconds(300)), prepare: { $0.useCores(CoreLedger(cores: 2), threads: 2) }
        ) { _ in
            RequestThreads.fork({ () }, { () -> (Bool, Duration) in
                // Spins until the deadline says stop (or 20 s of its own CPU, far past the budget).
                var spins: UInt64 = 0
                while !ProcessingDeadline.currentThreadDeadlinePassed && Self.threadCPU() < .seconds(20) {
                    for _ in 0..<10_000 { spins &+= 1 }
                }
                return (ProcessingDeadline.currentThreadDeadlinePassed && spins > 0, Self.threadCPU())
            }).1
        }
        #expect(stopped)
        #expect(deadline.exceeded == .cpu)
        #expect(helperCPU < .seconds(20))
        #expect(deadline.cpuTime >= .milliseconds(300))
    }

    @Test("a helper gives its core back when its part is done: the first part, still running, forks beside it again; the ledger is empty after")
    func coreBackWhenPartDone() async {
        let ledger = CoreLedger(cores: 2)
        let (nested, heldWhileFirstRuns) = await onRequestThread(prepare: { $0.useCores(ledger, threads: 2) }) { _ -> ((Bool, Bool), Int) in
            let done = DispatchSemaphore(value: 0)
            let ((nested, held), _) = RequestThreads.fork({ () -> ((Bool, Bool), Int) in
                // The first part outlives the second (the wrinkle lines beside the skin measures).
                done.wait()
                // The helper gives its core back just after its part returns: wait for that (at most 2 s).
                var waited = 0
                while ledger.held > 1 && waited < 2_000 { usleep(1_000); waited += 1 }
                let held = ledger.held
                let (besideSecond, inner) = RequestThreads.forkTelling({ beside in beside }, { Self.threadID() })
                return ((besideSecond, inner != Self.threadID()), held)
            }, { done.signal() })
            return (nested, held)
        }.result
        #expect(heldWhileFirstRuns == 1)
        #expect(nested.0 && nested.1)
        #expect(ledger.held == 0)
    }

    @Test("both parts are told alike: side by side on a free core, else one after the other here, the first first")
    func tellsBothParts() async {
        let ledger = CoreLedger(cores: 2)
        let beside = await onRequestThread(prepare: { $0.useCores(ledger, threads: 2) }) { _ in
            RequestThreads.forkTellingBoth({ beside in (beside, Self.threadID()) }, { beside in (beside, Self.threadID()) })
        }.result
        #expect(beside.0.0 && beside.1.0 && beside.0.1 != beside.1.1)
        let serial = await onRequestThread(prepare: { $0.useCores(ledger, threads: 1) }) { _ in
            let started = Atomic<Int>(0)
            return RequestThreads.forkTellingBoth(
                { beside in (beside, started.add(1, ordering: .relaxed).oldValue) }, { beside in (beside, started.add(1, ordering: .relaxed).oldValue) })
        }.result
        #expect(!serial.0.0 && !serial.1.0 && serial.0.1 == 0 && serial.1.1 == 1)
        #expect(ledger.held == 0)
    }

    static func threadCPU() -> Duration {
        var now = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now)
        return .seconds(now.tv_sec) + .nanoseconds(now.tv_nsec)
    }
}
