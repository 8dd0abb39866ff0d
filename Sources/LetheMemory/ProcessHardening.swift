import CLetheSystem
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Whether the process has forbidden itself filesystem writes outside one directory (Landlock).
public enum FilesystemConfinement: Sendable, Equatable, Codable, CustomStringConvertible {
    /// Not requested (library use, tests, `lethe analyze`).
    case notApplied
    /// Active with this Landlock ABI version: writes only beneath `writableDirectory`; from ABI 4
    /// TCP binds only to `bindPorts` and no TCP connects; from ABI 6 no abstract Unix socket or
    /// signal outside the process.
    case active(abi: Int, writableDirectory: String, bindPorts: [Int], networkVerified: Bool, signalsVerified: Bool)
    /// The kernel has no Landlock; nothing stops a stray write.
    case unsupported
    /// Other threads existed when it was applied, so only some threads are confined.
    case partial(threads: Int)
    /// The kernel refused (errno text).
    case failed(String)

    public var description: String {
        switch self {
        case .notApplied: "not-applied"
        case .active(let abi, let directory, let ports, let networkVerified, let signalsVerified):
            "abi\(abi):\(directory)"
                + (abi < 4 ? " net=UNSUPPORTED(abi<4)"
                    : " net=bind(\(ports.map(String.init).joined(separator: ",")))+connect(none)" + (networkVerified ? "" : "(NOT-VERIFIED)"))
                + (abi < 6 ? " scope=UNSUPPORTED(abi<6)" : " scope=abstract-unix,signal" + (signalsVerified ? "" : "(NOT-VERIFIED)"))
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
    /// A test page could be `mlock`ed and no plaintext buffer's lock was ever refused, so
    /// plaintext buffers stay out of swap. One lockable page proves little: a buffer over
    /// RLIMIT_MEMLOCK is refused, and `lockFailures` counts those.
    public var memoryLockAvailable: Bool
    /// Plaintext buffers whose `mlock` was refused since start (RLIMIT_MEMLOCK too small).
    public var lockFailures: Int
    /// Bytes of plaintext buffers locked in RAM now, out of `plaintextMappedBytes`.
    public var lockedBytes: Int
    /// Bytes of plaintext buffers mapped now (whole pages).
    public var plaintextMappedBytes: Int
    /// Freed heap memory is zeroed (interposed `free`/`realloc`).
    public var heapScrub: Bool
    /// Blocks freed through glib's slice allocator reach the zeroing `free` (G_SLICE=always-malloc
    /// set before glib initialised; the `lethe` executable re-executes itself to make it so).
    public var glibSlicesScrubbed: Bool
    /// Landlock write confinement.
    public var filesystem: FilesystemConfinement

    /// One line naming each mechanism and whether it is active.
    public var summary: String {
        func flag(_ on: Bool) -> String { on ? "on" : "OFF" }
        return "non_dumpable=\(flag(nonDumpable)) core_limit_zero=\(flag(coreLimitZero)) "
            + "mlock=\(flag(memoryLockAvailable))(locked \(lockedBytes) of \(plaintextMappedBytes) plaintext bytes, \(lockFailures) refused) "
            + "heap_scrub=\(flag(heapScrub)) glib_slices=\(flag(glibSlicesScrubbed)) landlock=\(filesystem)"
            + (WipeFaultInjection.current == .none ? "" : " wipe_fault=\(WipeFaultInjection.current)(TEST ONLY: wipes deliberately broken)")
    }

    /// True when every memory mechanism is active (Landlock is judged separately: it is a
    /// deployment choice of `lethe serve`).
    public var memoryProtected: Bool { nonDumpable && coreLimitZero && memoryLockAvailable && heapScrub && glibSlicesScrubbed }

    /// The mechanisms that are not in force, by the names `/readyz` and the metrics use; empty
    /// when everything `--require-hardening` demands is active.
    public var unmet: [String] {
        [
            ("non_dumpable", nonDumpable), ("core_limit_zero", coreLimitZero), ("mlock", memoryLockAvailable),
            ("heap_scrub", heapScrub), ("glib_slices", glibSlicesScrubbed), ("landlock", filesystem.isActive),
            ("wipe_intact", WipeFaultInjection.current == .none),
        ].filter { !$0.1 }.map(\.0)
    }
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

    /// Forbids with Landlock, for the rest of the process's life, every filesystem write outside
    /// `directory`, and where the kernel can (ABI 4, 6) every TCP bind but to `bindPorts` (0 = a
    /// free port), every TCP connect, and abstract Unix sockets and signals outside the process.
    /// Must run while the process has a single thread: Landlock confines the calling thread and
    /// the threads it creates afterwards, not threads that already exist.
    @discardableResult
    public static func confine(writesTo directory: String, bindPorts: [Int]) -> FilesystemConfinement {
        let threads = Int(lethe_thread_count())
        let ports = bindPorts.map { UInt16(clamping: $0) }
        let result = Int(ports.withUnsafeBufferPointer { lethe_landlock_restrict(directory, $0.baseAddress, $0.count) })
        let state: FilesystemConfinement
        if result == 0 {
            state = .unsupported
        } else if result < 0 {
            state = .failed(String(cString: strerror(Int32(-result))))
        } else if threads != 1 {
            state = .partial(threads: threads)
        } else {
            // Each restriction is tried once: an attempt the kernel refuses proves it in force.
            state = .active(
                abi: result, writableDirectory: directory, bindPorts: bindPorts,
                networkVerified: result >= 4 && lethe_landlock_verify_network() == 1,
                signalsVerified: result >= 6 && lethe_landlock_verify_signal_scope() == 1)
        }
        confinement.withLock { $0 = state }
        return state
    }

    /// Reads the current state without changing it.
    public static func current() -> HardeningStatus {
        let lockFailures = SecureBuffer.lockFailures.load(ordering: .relaxed)
        return HardeningStatus(
            nonDumpable: lethe_get_dumpable() == 0,
            coreLimitZero: lethe_core_limit() == 0,
            memoryLockAvailable: probeMemoryLock() && lockFailures == 0,
            lockFailures: lockFailures,
            lockedBytes: SecureBuffer.lockedBytesNow.load(ordering: .relaxed),
            plaintextMappedBytes: SecureBuffer.mappedBytesNow.load(ordering: .relaxed),
            heapScrub: lethe_heap_scrub_enabled() == 1,
            glibSlicesScrubbed: glibSlicesScrubbed,
            filesystem: confinement.withLock { $0 })
    }

    /// Probed once: the answer cannot change during the process's life.
    private static let glibSlicesScrubbed = lethe_glib_slices_reach_free() == 1

    private static func probeMemoryLock() -> Bool {
        guard let probe = try? SecureBuffer(count: 1, bufferClass: .intermediate) else { return false }
        defer { probe.wipe() }
        return probe.isLocked
    }
}
