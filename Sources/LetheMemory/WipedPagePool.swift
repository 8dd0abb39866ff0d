import CLetheSystem
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Pages that `SecureBuffer`s gave back after their verified wipe, kept mapped, locked and
/// excluded from core dumps, so that the next buffers are carved out of them instead of new
/// mappings: a steady process stops paying per buffer for `mmap`, `mlock` (which faults every
/// page in and has the kernel zero it) and `munmap`. Measured on a 12-megapixel face request, that
/// kernel work was ~10 % of the worker's CPU (README, "Performance").
///
/// Only pages that read back as zeros after the wipe are ever kept (`keep` is called by
/// `SecureBuffer.wipe()` on that path alone), and nothing writes them while they are here, so a
/// buffer carved from them starts zeroed like a fresh mapping. Whatever does not fit under
/// `capacityBytes` is unlocked and unmapped at once, as every buffer was before: a process keeps
/// at most that much beyond its live buffers, whatever the largest photo it served. Kept pages
/// hold their bytes in the process's `MemoryBudget`, as the buffers did, so that a budgeted worker
/// stays under its ceiling; a reservation that does not fit has the shared pool unmap them first.
public final class WipedPagePool: Sendable {
    /// A page-aligned run of kept pages; the address as an integer so that the state is Sendable.
    fileprivate struct Run {
        var start: UInt
        var length: Int
        var end: UInt { start + UInt(length) }
    }

    fileprivate struct State {
        /// Free runs in address order, adjacent runs merged, so that a buffer released in parts
        /// can be carved whole again.
        var runs: [Run] = []
        var keptBytes = 0
        var capacityBytes: Int
        var reusedBuffers = 0
    }

    private let state: Mutex<State>

    /// The pool every arena uses unless given another (tests make their own).
    public static let shared = WipedPagePool(capacityBytes: defaultCapacityBytes)

    /// 64 MiB: a 12-megapixel request's largest buffers (its 36 MB of pixels, then the face
    /// crop's working planes carved from the same pages) with room to spare, and under half of
    /// what a busy engine holds anyway at its peak; a 50-megapixel photo's 150 MB of pixels are
    /// not kept beyond it.
    public static let defaultCapacityBytes = 64 << 20

    /// A pool that keeps at most `capacityBytes` (0: none; every buffer is unmapped at release).
    public init(capacityBytes: Int) {
        state = Mutex(State(capacityBytes: max(0, capacityBytes)))
    }

    /// Bytes of wiped pages kept now (resident and locked, holding only zeros).
    public var keptBytes: Int { state.withLock { $0.keptBytes } }

    /// The most this pool keeps.
    public var capacityBytes: Int { state.withLock { $0.capacityBytes } }

    /// Buffers carved from kept pages so far (instead of a new mapping).
    public var reusedBuffers: Int { state.withLock { $0.reusedBuffers } }

    /// Changes the ceiling; when more is kept than the new one, every kept page is unmapped now.
    public func setCapacity(_ bytes: Int) {
        let dropped = state.withLock { state -> [Run] in
            state.capacityBytes = max(0, bytes)
            return state.keptBytes > state.capacityBytes ? state.dropAll() : []
        }
        for run in dropped { Self.unmap(run) }
    }

    /// Unmaps every kept page (the process's footprint back to its live buffers).
    public func trim() {
        let dropped = state.withLock { $0.dropAll() }
        for run in dropped { Self.unmap(run) }
    }

    /// `length` bytes (whole pages) of kept, zeroed, locked pages, or nil when no run is long
    /// enough. The smallest run that fits is used, from its start, and the rest stays kept.
    ///
    /// When none fits, every kept page is unmapped before the caller maps new ones: a process
    /// never holds idle kept pages next to a new mapping. (What still raises a busy engine's peak,
    /// 8–9 MB at 12 megapixels, is kept pages overlapping the libraries' heap peak.)
    func take(length: Int) -> UnsafeMutableRawPointer? {
        var dropped: [Run] = []
        defer { for run in dropped { Self.unmap(run) } }
        let start = state.withLock { state -> UInt? in
            var best: Int? = nil
            for (index, run) in state.runs.enumerated() where run.length >= length {
                if let current = best, state.runs[current].length <= run.length { continue }
                best = index
            }
            guard let best else {
                dropped = state.dropAll()
                return nil
            }
            let run = state.runs[best]
            if run.length == length {
                state.runs.remove(at: best)
            } else {
                state.runs[best] = Run(start: run.start + UInt(length), length: run.length - length)
            }
            state.keptBytes -= length
            state.reusedBuffers += 1
            // The buffer's own reservation (its arena's) takes over.
            MemoryBudget.release(length)
            return run.start
        }
        return start.flatMap { UnsafeMutableRawPointer(bitPattern: $0) }
    }

    /// Takes back `length` bytes at `pointer`: pages of a buffer that were zeroed and read back
    /// as zeros, still locked and excluded from dumps. What exceeds the capacity is unlocked and
    /// unmapped.
    func keep(_ pointer: UnsafeMutableRawPointer, length: Int) {
        let start = UInt(bitPattern: pointer)
        let kept = state.withLock { state -> Int in
            let page = Int(lethe_page_size())
            let room = max(0, state.capacityBytes - state.keptBytes) / page * page
            let kept = min(length, room)
            guard kept > 0, MemoryBudget.reserveIfRoom(kept) else { return 0 }
            state.insert(Run(start: start, length: kept))
            state.keptBytes += kept
            return kept
        }
        if kept < length { Self.unmap(Run(start: start + UInt(kept), length: length - kept)) }
    }

    private static func unmap(_ run: Run) {
        guard let pointer = UnsafeMutableRawPointer(bitPattern: run.start) else { return }
        _ = lethe_munlock(pointer, run.length)
        munmap(pointer, run.length)
    }
}

extension WipedPagePool.State {
    /// Forgets every run and its reservation; the caller unmaps them, outside the lock.
    fileprivate mutating func dropAll() -> [WipedPagePool.Run] {
        defer { runs = [] }
        MemoryBudget.release(keptBytes)
        keptBytes = 0
        return runs
    }

    /// Inserts `run` in address order, merged with the runs it touches.
    fileprivate mutating func insert(_ run: WipedPagePool.Run) {
        var merged = run
        let index = runs.firstIndex { $0.start > run.start } ?? runs.endIndex
        var after = index
        if after < runs.endIndex, runs[after].start == merged.end {
            merged.length += runs[after].length
            after += 1
        }
        var before = index
        if before > runs.startIndex, runs[before - 1].end == merged.start {
            before -= 1
            merged = .init(start: runs[before].start, length: runs[before].length + merged.length)
        }
        runs.replaceSubrange(before..<after, with: [merged])
    }
}
