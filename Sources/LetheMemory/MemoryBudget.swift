import CLetheSystem
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
    /// Wiped pages kept for reuse (`WipedPagePool.shared`) hold reservations too, since they are
    /// resident; they are unmapped before a reservation is refused.
    public static func reserve(_ bytes: Int) -> Bool {
        if reserveIfRoom(bytes) { return true }
        guard WipedPagePool.shared.keptBytes > 0 else { return false }
        WipedPagePool.shared.trim()
        return reserveIfRoom(bytes)
    }

    /// `reserve` without giving back kept pages (the pool's own reservations).
    static func reserveIfRoom(_ bytes: Int) -> Bool {
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

extension MemoryBudget {
    /// Blocks of at least this size are mapped on their own and unmapped at free (256 KiB: a
    /// request's bodies, JSON and decoded copies are megabytes; the many small blocks stay in the heap).
    public static let separatelyMappedBlockBytes = 256 << 10

    /// Gives the heap's free pages back to the kernel now (glibc: `malloc_trim`), e.g. between an
    /// engine's requests: the blocks were wiped when freed (zero-on-free), so what goes back holds
    /// no residue. Not while zero-on-free is off (`LETHE_UNSAFE_DISABLE_HEAP_SCRUB`, the residue
    /// harness's negative controls): that heap is left as freeing without zeroing leaves it, for
    /// the harness to show what it holds. A no-op returning false elsewhere or when nothing was freed.
    @discardableResult
    public static func returnFreeHeapToKernel() -> Bool {
        lethe_heap_scrub_enabled() == 1 && lethe_trim_heap() == 1
    }

    /// Makes the allocator give request-sized blocks back to the kernel when they are freed
    /// (glibc; a no-op returning false elsewhere). Without it glibc raises its mapping threshold
    /// to the size of each large block freed, so the next photos' bodies come from the heap and
    /// stay resident, zeroed, after the requests: measured 25–40 MB more peak resident memory in a
    /// gateway at 4 concurrent 12-megapixel requests. A process-wide setting: programs call it
    /// once at start (`LetheWorker.configureProcess`).
    @discardableResult
    public static func returnLargeBlocksToKernel() -> Bool {
        lethe_return_large_blocks(separatelyMappedBlockBytes, 4 * separatelyMappedBlockBytes) == 0
    }
}
