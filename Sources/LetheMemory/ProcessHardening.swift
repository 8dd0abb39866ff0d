import CLetheSystem

/// Which process-wide protections are active; logged once at start and served to operators.
public struct HardeningStatus: Sendable, Equatable, Codable {
    /// `prctl(PR_SET_DUMPABLE, 0)` took effect: no core dumps, no ptrace by same-uid processes.
    public var nonDumpable: Bool
    /// RLIMIT_CORE is 0.
    public var coreLimitZero: Bool
    /// A test page could be `mlock`ed, so plaintext buffers stay out of swap.
    public var memoryLockAvailable: Bool

    /// One line naming each mechanism and whether it is active.
    public var summary: String {
        func flag(_ on: Bool) -> String { on ? "on" : "OFF" }
        return "non_dumpable=\(flag(nonDumpable)) core_limit_zero=\(flag(coreLimitZero)) mlock=\(flag(memoryLockAvailable))"
    }

    /// True when every mechanism is active.
    public var isComplete: Bool { nonDumpable && coreLimitZero && memoryLockAvailable }
}

/// Process-wide protections applied before any plaintext exists.
public enum ProcessHardening {
    /// Makes the process non-dumpable and sets RLIMIT_CORE to 0, then reports what is active.
    public static func apply() -> HardeningStatus {
        _ = lethe_disable_core_dumps()
        _ = lethe_set_non_dumpable()
        return current()
    }

    /// Reads the current state without changing it.
    public static func current() -> HardeningStatus {
        HardeningStatus(
            nonDumpable: lethe_get_dumpable() == 0,
            coreLimitZero: lethe_core_limit() == 0,
            memoryLockAvailable: probeMemoryLock()
        )
    }

    private static func probeMemoryLock() -> Bool {
        guard let probe = try? SecureBuffer(count: 1, bufferClass: .intermediate) else { return false }
        defer { probe.wipe() }
        return probe.isLocked
    }
}
