import CLetheSystem
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Whether the process has forbidden itself filesystem writes outside one directory (Landlock).
public enum FilesystemConfinement: Sendable, Equatable, Codable, CustomStringConvertible {
    /// Not requested (library use, tests, `lethe analyze`).
    case notApplied
    /// Active with this Landlock ABI version: writes only beneath `writableDirectory`.
    case active(abi: Int, writableDirectory: String)
    /// The kernel has no Landlock; nothing stops a stray write.
    case unsupported
    /// Other threads existed when it was applied, so only some threads are confined.
    case partial(threads: Int)
    /// The kernel refused (errno text).
    case failed(String)

    public var description: String {
        switch self {
        case .notApplied: "not-applied"
        case .active(let abi, let directory): "abi\(abi):\(directory)"
        case .unsupported: "UNSUPPORTED"
        case .partial(let threads): "PARTIAL(\(threads) threads)"
        case .failed(let reason): "FAILED(\(reason))"
        }
    }

    /// True only when every thread is confined.
    public var isActive: Bool {
        if case .active = self { return true }
        return false
    }
}

/// Which process-wide protections are active; logged once at start and served to operators.
public struct HardeningStatus: Sendable, Equatable, Codable {
    /// `prctl(PR_SET_DUMPABLE, 0)` took effect: no core dumps, no ptrace by same-uid processes.
    public var nonDumpable: Bool
    /// RLIMIT_CORE is 0.
    public var coreLimitZero: Bool
    /// A test page could be `mlock`ed, so plaintext buffers stay out of swap.
    public var memoryLockAvailable: Bool
    /// Freed heap memory is zeroed (interposed `free`/`realloc`).
    public var heapScrub: Bool
    /// Landlock write confinement.
    public var filesystem: FilesystemConfinement

    /// One line naming each mechanism and whether it is active.
    public var summary: String {
        func flag(_ on: Bool) -> String { on ? "on" : "OFF" }
        return "non_dumpable=\(flag(nonDumpable)) core_limit_zero=\(flag(coreLimitZero)) "
            + "mlock=\(flag(memoryLockAvailable)) heap_scrub=\(flag(heapScrub)) landlock=\(filesystem)"
    }

    /// True when every memory mechanism is active (Landlock is judged separately: it is a
    /// deployment choice of `lethe serve`).
    public var memoryProtected: Bool { nonDumpable && coreLimitZero && memoryLockAvailable && heapScrub }
}

/// Process-wide protections applied before any plaintext exists.
public enum ProcessHardening {
    private static let confinement = Mutex(FilesystemConfinement.notApplied)

    /// Makes the process non-dumpable and sets RLIMIT_CORE to 0, then reports what is active.
    public static func apply() -> HardeningStatus {
        _ = lethe_disable_core_dumps()
        _ = lethe_set_non_dumpable()
        return current()
    }

    /// Forbids every filesystem write outside `directory` with Landlock, for the rest of the
    /// process's life. Must run while the process has a single thread: Landlock confines the
    /// calling thread and the threads it creates afterwards, not threads that already exist.
    @discardableResult
    public static func confineWrites(to directory: String) -> FilesystemConfinement {
        let threads = Int(lethe_thread_count())
        let result = Int(lethe_landlock_restrict_writes(directory))
        let state: FilesystemConfinement
        if result == 0 {
            state = .unsupported
        } else if result < 0 {
            state = .failed(String(cString: strerror(Int32(-result))))
        } else if threads != 1 {
            state = .partial(threads: threads)
        } else {
            state = .active(abi: result, writableDirectory: directory)
        }
        confinement.withLock { $0 = state }
        return state
    }

    /// Reads the current state without changing it.
    public static func current() -> HardeningStatus {
        HardeningStatus(
            nonDumpable: lethe_get_dumpable() == 0,
            coreLimitZero: lethe_core_limit() == 0,
            memoryLockAvailable: probeMemoryLock(),
            heapScrub: lethe_heap_scrub_enabled() == 1,
            filesystem: confinement.withLock { $0 })
    }

    private static func probeMemoryLock() -> Bool {
        guard let probe = try? SecureBuffer(count: 1, bufferClass: .intermediate) else { return false }
        defer { probe.wipe() }
        return probe.isLocked
    }
}
