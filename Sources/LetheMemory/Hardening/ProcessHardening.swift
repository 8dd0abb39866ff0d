import CLetheSystem
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Process-wide protections applied before any plaintext exists: no core dumps and no ptrace
/// (`apply()`), plaintext kept out of swap (`SecureBuffer`'s mlock, reported here), freed heap
/// zeroed (the interposed `free`), and no disk (`ProcessHardening+NoDisk.swift`).
public enum ProcessHardening {
    /// What `confine(writesTo:bindPorts:)` achieved.
    static let confinement = Mutex(FilesystemConfinement.notApplied)

    /// Makes the process non-dumpable and sets RLIMIT_CORE to 0, then reports what is active.
    public static func apply() -> HardeningStatus {
        _ = lethe_disable_core_dumps()
        _ = lethe_set_non_dumpable()
        return current()
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
