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
/// kernel work was ~10 % of the worker's CPU (docs/performance.md).
///
/// Only pages that read back as zeros after the wipe are ever kept (`keep` is called by
/// `SecureBuffer.wipe()` on that path alone), and nothing writes them while they are here, so a
/// buffer carved from them starts zeroed like a fresh mapping. Whatever does not fit under
/// `capacityBytes` is unlocked and unmapped at once, as every buffer was before: a process keeps
/// at most that much beyond its live buffers, whatever the largest photo it served; and between
/// requests `trimAfterRequest()` unmaps all but the longest buffer the last request asked for, so
/// that idle kept pages do not sit beside the next request's library heap at its peak. Kept pages
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
        /// The longest buffer asked of the pool since the last `trimAfterRequest()`.
        var longestAskedBytes = 0
        /// Bytes of kept pages given back to the kernel by `trimAfterRequest()` so far.
        var trimmedBytes = 0
        /// Bytes of kept pages moved into longer buffers by `gather(length:)` so far.
        var gatheredBytes = 0
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

    /// Bytes of kept pages moved into buffers longer than any kept run so far (`gather(length:)`).
    public var gatheredBytes: Int { state.withLock { $0.gatheredBytes } }

    /// Bytes of kept pages that `trimAfterRequest()` has given back to the kernel so far.
    public var trimmedBytes: Int { state.withLock { $0.trimmedBytes } }

    /// Unmaps every kept page (the process's footprint back to its live buffers).
    public func trim() {
        let dropped = state.withLock { $0.dropAll() }
        for run in dropped { Self.unmap(run) }
    }

    /// Unmaps kept pages until at most `bytes` (rounded down to whole pages) are kept: the longest
    /// runs stay, the first one that does not fit keeps its front part, the others go. Kept pages
    /// hold only zeros (verified when their buffer was wiped, and nothing writes them here), so
    /// what goes back to the kernel is wiped memory. Returns the bytes unmapped.
    @discardableResult
    public func trim(keepingAtMost bytes: Int) -> Int {
        let dropped = state.withLock { $0.drop(beyond: bytes) }
        for run in dropped { Self.unmap(run) }
        return dropped.reduce(0) { $0 + $1.length }
    }

    /// The end of a request (with none other of this process in flight, in an engine): keeps at
    /// most the longest buffer asked for since the last call, which is what a request like the last
    /// one asks for first (a photo's pixels), and unmaps the rest. Within a request the pool still
    /// keeps up to its capacity, so the working planes are carved from the pixels' pages once those
    /// are wiped; between requests it no longer holds pages that would sit idle beside the next
    /// request's decoder and library heap at its peak, nor an idle engine's extra tens of
    /// megabytes. Returns the bytes unmapped.
    @discardableResult
    public func trimAfterRequest() -> Int {
        let dropped = state.withLock { state -> [Run] in
            let longest = state.longestAskedBytes
            state.longestAskedBytes = 0
            let dropped = state.drop(beyond: longest)
            state.trimmedBytes += dropped.reduce(0) { $0 + $1.length }
            return dropped
        }
        for run in dropped { Self.unmap(run) }
        return dropped.reduce(0) { $0 + $1.length }
    }

    /// `length` bytes (whole pages) of kept, zeroed, locked pages, or nil when no run is long
    /// enough (`gather(length:)` then assembles them). The smallest run that fits is used, from its
    /// start, and the rest stays kept.
    func take(length: Int) -> UnsafeMutableRawPointer? {
        let start = state.withLock { state -> UInt? in
            state.longestAskedBytes = max(state.longestAskedBytes, length)
            var best: Int? = nil
            for (index, run) in state.runs.enumerated() where run.length >= length {
                if let current = best, state.runs[current].length <= run.length { continue }
                best = index
            }
            guard let best else { return nil }
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

    /// A new mapping of `length` bytes (whole pages) when no single kept run is long enough
    /// (`take(length:)` found none) but pages are kept: the kept runs, longest first, are moved to
    /// its front (`lethe_move_pages`: the page tables move; the pages stay zeroed, locked and out of
    /// dumps, and nothing is faulted in or zeroed again) until it is covered or nothing is kept
    /// left. Returns the mapping and how many of its first bytes are kept pages; the rest is a
    /// fresh mapping that the caller locks and excludes from dumps as any other. Nil when nothing
    /// is kept (or no mapping could be made: the runs taken are then unmapped).
    ///
    /// Before, a request whose next buffer was longer than every kept run unmapped them all and
    /// mapped afresh: on the benchmark photo ~150 MB of new pages per request, each zeroed by the
    /// kernel (`clear_page`, ~45 ms of CPU), while the pages it had just wiped were given back. A
    /// process still never holds idle kept pages beside a new mapping: what is kept is used first.
    func gather(length: Int) -> (pointer: UnsafeMutableRawPointer, keptPrefix: Int)? {
        let pieces = state.withLock { state -> [Run] in
            var pieces: [Run] = [], needed = length
            for run in state.runs.sorted(by: { $0.length > $1.length }) where needed > 0 {
                let piece = Run(start: run.start, length: min(run.length, needed))
                pieces.append(piece)
                needed -= piece.length
                let index = state.runs.firstIndex { $0.start == run.start }!
                if piece.length == run.length {
                    state.runs.remove(at: index)
                } else {
                    state.runs[index] = Run(start: run.start + UInt(piece.length), length: run.length - piece.length)
                }
            }
            let taken = pieces.reduce(0) { $0 + $1.length }
            state.keptBytes -= taken
            // The buffer's own reservation (its arena's) takes over.
            MemoryBudget.release(taken)
            return pieces
        }
        guard !pieces.isEmpty else { return nil }
        guard let target = lethe_map_private(length) else {
            for piece in pieces { Self.unmap(piece) }
            return nil
        }
        var offset = 0
        for (index, piece) in pieces.enumerated() {
            guard lethe_move_pages(UnsafeMutableRawPointer(bitPattern: piece.start), piece.length, target + offset) == 0 else {
                // Not moved (the pages hold zeros): given back; the mapping's rest stays fresh.
                for rest in pieces[index...] { Self.unmap(rest) }
                break
            }
            offset += piece.length
        }
        state.withLock { $0.gatheredBytes += offset }
        return (target, offset)
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

    /// Keeps the longest runs up to `bytes` (whole pages), the first run that does not fit cut to
    /// the room left; returns what no longer is kept, with its reservation released, for the
    /// caller to unmap outside the lock.
    fileprivate mutating func drop(beyond bytes: Int) -> [WipedPagePool.Run] {
        guard keptBytes > max(0, bytes) else { return [] }
        let page = Int(lethe_page_size())
        var room = max(0, bytes) / page * page
        var kept: [WipedPagePool.Run] = []
        var dropped: [WipedPagePool.Run] = []
        for run in runs.sorted(by: { $0.length > $1.length }) {
            if run.length <= room {
                kept.append(run)
                room -= run.length
            } else if room > 0 {
                kept.append(.init(start: run.start, length: room))
                dropped.append(.init(start: run.start + UInt(room), length: run.length - room))
                room = 0
            } else {
                dropped.append(run)
            }
        }
        let droppedBytes = dropped.reduce(0) { $0 + $1.length }
        MemoryBudget.release(droppedBytes)
        keptBytes -= droppedBytes
        runs = kept.sorted { $0.start < $1.start }
        return dropped
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
