import CLetheDeadline
import Foundation

/// The worker's cores, as slots a request's threads hold while they compute: shared by the
/// gateway and its engine processes (one memory file), so that a request starts a helper thread
/// only on a core no request's thread holds (`RequestThreads`), and a loaded worker runs no more
/// analysis threads than cores. Each request's own thread runs whether or not it got a slot.
// @unchecked Sendable: the slots are read and written through C atomics only; the mapping lives
// as long as this object, which every deadline using it keeps.
public final class CoreLedger: @unchecked Sendable {
    /// Slots: the cores of the machine (or of a test).
    public let cores: Int
    let slots: UnsafeMutablePointer<Int32>

    /// A ledger for this process alone (in-process analysis, `lethe analyze`, tests).
    public init(cores: Int = ProcessInfo.processInfo.activeProcessorCount) {
        precondition(cores >= 1, "a core ledger needs a core")
        guard let slots = lethe_cores_map_private(Int32(cores)) else { fatalError("out of memory mapping the core ledger") }
        self.cores = cores
        self.slots = slots
    }

    /// The ledger in the memory file `descriptor` (from `makeShared`), which the caller keeps or
    /// closes; nil when it cannot be mapped.
    public init?(mapping descriptor: Int32, cores: Int) {
        guard cores >= 1, let slots = lethe_cores_map(descriptor, Int32(cores)) else { return nil }
        self.cores = cores
        self.slots = slots
    }

    /// A ledger in a new memory file, to hand to engine processes, and its descriptor (the caller
    /// closes it); nil when no memory file can be made or mapped.
    public static func makeShared(cores: Int = ProcessInfo.processInfo.activeProcessorCount) -> (CoreLedger, descriptor: Int32)? {
        let descriptor = lethe_cores_create(Int32(max(1, cores)))
        guard descriptor >= 0 else { return nil }
        guard let ledger = CoreLedger(mapping: descriptor, cores: max(1, cores)) else {
            close(descriptor)
            return nil
        }
        return (ledger, descriptor)
    }

    deinit {
        lethe_cores_unmap(slots, Int32(cores))
    }

    /// Cores held now by some request's thread.
    public var held: Int { Int(lethe_cores_held(slots, Int32(cores))) }

    /// The requests the worker has now, processed or queued (the gateway's admission keeps it): a
    /// request starts no helper thread while they are at least as many as the cores — each has a
    /// core to itself, or will have one as soon as it is admitted. 0 until someone records it.
    public var requests: Int {
        get { Int(lethe_cores_requests(slots, Int32(cores))) }
        set { lethe_cores_set_requests(slots, Int32(cores), Int32(clamping: newValue)) }
    }

    /// Frees the cores a process held (an engine killed while it computed).
    public func reclaim(heldBy process: Int32) {
        lethe_cores_reclaim(slots, Int32(cores), process)
    }
}

extension ProcessingDeadline {
    /// Lets this request run up to `threads` threads at once (`RequestThreads`) on cores of
    /// `ledger`. Call before `bindToCurrentThread()`: the bound thread then holds a core until
    /// `unbindCurrentThread()`.
    public func useCores(_ ledger: CoreLedger, threads: Int) {
        cores = ledger
        lethe_deadline_use_cores(pointer, ledger.slots, Int32(ledger.cores), getpid(), Int32(max(1, threads)))
    }
}
