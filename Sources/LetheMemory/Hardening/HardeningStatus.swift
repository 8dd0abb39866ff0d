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
