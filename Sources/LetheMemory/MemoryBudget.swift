import Synchronization

/// The process-wide ceiling on the memory requests may hold: every plaintext buffer
/// (`PlaintextArena`) and every encrypted body being read reserves its bytes here first, and a
/// reservation that does not fit is refused instead of growing the process towards an
/// out-of-memory kill. The worker sets the capacity once at start, from its configured memory
/// budget minus what it uses before any request.
public enum MemoryBudget {
    private static let capacity = Atomic<Int>(.max)
    private static let reserved = Atomic<Int>(0)

    /// Bytes requests may hold at once; `Int.max` (the default) means unlimited.
    public static var capacityBytes: Int { capacity.load(ordering: .relaxed) }
    /// Bytes reserved right now.
    public static var reservedBytes: Int { reserved.load(ordering: .relaxed) }

    /// Sets the ceiling (the worker does this once, before listening).
    public static func setCapacity(_ bytes: Int) {
        capacity.store(max(0, bytes), ordering: .relaxed)
    }

    /// Reserves `bytes` if they fit under the ceiling; false (and nothing reserved) otherwise.
    public static func reserve(_ bytes: Int) -> Bool {
        precondition(bytes >= 0, "negative reservation")
        let limit = capacity.load(ordering: .relaxed)
        var current = reserved.load(ordering: .relaxed)
        while true {
            guard bytes <= limit - current else { return false }
            let (exchanged, original) = reserved.compareExchange(
                expected: current, desired: current + bytes, ordering: .relaxed)
            if exchanged { return true }
            current = original
        }
    }

    /// Returns a reservation.
    public static func release(_ bytes: Int) {
        reserved.subtract(bytes, ordering: .relaxed)
    }
}
