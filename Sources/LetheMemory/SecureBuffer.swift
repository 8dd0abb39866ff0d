import CLetheSystem
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The outcome of wiping one buffer: how many bytes were zeroed and whether reading them back found only zeros.
public struct WipeResult: Sendable, Equatable {
    public let byteCount: Int
    public let verified: Bool
    /// The time the zeroing and its read-back took, shared pages discarded before included (not
    /// the unmapping or the pool's keeping).
    public let duration: Duration

    public init(byteCount: Int, verified: Bool, duration: Duration) {
        self.byteCount = byteCount
        self.verified = verified
        self.duration = duration
    }
}

/// The one type that owns plaintext bytes: page-aligned anonymous memory, `mlock`ed where the
/// kernel allows, excluded from core dumps, zeroed with `explicit_bzero` and read back on release.
///
/// A `SecureBuffer` has a single owner at a time (the request's `PlaintextArena`); it is a class so
/// that it can never be copied by accident, and `deinit` wipes it if nobody did.
// @unchecked Sendable: ownership moves between the request task and the thread-pool job that
// decodes or analyses, never shared by two at once; the pointer itself never changes.
public final class SecureBuffer: @unchecked Sendable {
    /// Bytes usable by the owner.
    public let count: Int
    /// What the buffer holds.
    public let bufferClass: BufferClass
    /// True when `mlock` succeeded, so the pages cannot reach swap.
    public let isLocked: Bool

    private let base: UnsafeMutableRawPointer
    private let mappedLength: Int
    private var result: WipeResult?
    /// The time `discardSharedPages` spent zeroing pages before the wipe: part of the buffer's wipe.
    private var discardedPagesWipe: Duration = .zero
    /// Where the pages go after a verified wipe; nil for a shared memory file's pages.
    private let pool: WipedPagePool?
    /// True for a shared memory file's pages (`init(sharing:)`, `PlaintextArena.allocateShared`).
    private let isShared: Bool

    /// Buffers whose `mlock` was refused (RLIMIT_MEMLOCK); reported by the hardening status.
    public static let lockFailures = Atomic<Int>(0)
    /// Bytes of live buffers that are locked in RAM now (whole pages).
    public static let lockedBytesNow = Atomic<Int>(0)
    /// Bytes of live buffers now, locked or not (whole pages): with `lockedBytesNow`, the truth
    /// about how much plaintext could reach swap.
    public static let mappedBytesNow = Atomic<Int>(0)

    /// `count` bytes of zeroed, page-aligned memory: pages `pool` kept from earlier buffers after
    /// their verified wipe — one run, or several moved together into a new mapping when no run is
    /// long enough, the rest of it new pages — or a new mapping when nothing is kept. Once wiped
    /// and read back as zeros, the pages go back to `pool` (up to its capacity) instead of being unmapped.
    public convenience init(count: Int, bufferClass: BufferClass, pool: WipedPagePool = .shared) throws(LetheError) {
        precondition(count >= 0, "negative buffer size")
        let length = Self.pageRounded(count)
        if let reused = pool.take(length: length) {
            self.init(keptPages: reused, length: length, count: count, bufferClass: bufferClass, pool: pool)
            return
        }
        if let gathered = pool.gather(length: length) {
            // The kept front is locked and out of dumps already; the new rest is made so.
            let fresh = length - gathered.keptPrefix
            let locked = fresh == 0 || Self.protectNewPages(gathered.pointer + gathered.keptPrefix, length: fresh)
            self.init(pages: gathered.pointer, length: length, count: count, bufferClass: bufferClass, locked: locked, pool: pool)
            return
        }
        // From 2 MiB on, huge-page aligned and advised: locking takes a few 2 MiB faults, not
        // hundreds of 4 KiB ones (the kernel still zeroes every byte).
        guard let pointer = lethe_map_private(length) else {
            throw .plaintextAllocationFailed(byteCount: count)
        }
        self.init(mapping: pointer, length: length, count: count, bufferClass: bufferClass, pool: pool)
    }

    /// Maps the first `count` bytes of the memory file `fd`, shared with the process at the other
    /// end of an engine channel (`SharedPlaintext`): locked, excluded from dumps, wiped and read
    /// back like any other buffer. Wiping zeroes the pages for both processes.
    /// - Throws: `plaintext_allocation_failed` when the file is smaller than `count` (rounded up to
    ///   pages) or cannot be mapped.
    public convenience init(sharing fd: Int32, count: Int, bufferClass: BufferClass) throws(LetheError) {
        guard count >= 0 else { throw .plaintextAllocationFailed(byteCount: count) }
        let length = Self.pageRounded(count)
        guard lethe_fd_size(fd) >= Int64(length), let pointer = lethe_map_shared(fd, length) else {
            throw .plaintextAllocationFailed(byteCount: count)
        }
        // Not pooled: the pages belong to the memory file, which the other process maps too.
        let locked = Self.protectNewPages(pointer, length: length)
        self.init(pages: pointer, length: length, count: count, bufferClass: bufferClass, locked: locked, pool: nil, shared: true)
    }

    /// Whole pages for `count` bytes (at least one).
    static func pageRounded(_ count: Int) -> Int {
        let page = Int(lethe_page_size())
        return max(page, (count + page - 1) / page * page)
    }

    private convenience init(mapping pointer: UnsafeMutableRawPointer, length: Int, count: Int, bufferClass: BufferClass, pool: WipedPagePool?) {
        let locked = Self.protectNewPages(pointer, length: length)
        self.init(pages: pointer, length: length, count: count, bufferClass: bufferClass, locked: locked, pool: pool)
    }

    /// Excludes newly mapped pages from core dumps and locks them in RAM; whether the lock held
    /// (a failed lock is counted in `lockFailures`).
    private static func protectNewPages(_ pointer: UnsafeMutableRawPointer, length: Int) -> Bool {
        _ = lethe_madvise_dontdump(pointer, length)
        let locked = lethe_mlock(pointer, length) == 0
        if !locked { lockFailures.add(1, ordering: .relaxed) }
        return locked
    }

    /// Pages from `pool`: already excluded from dumps and locked (the pool keeps no other).
    private convenience init(keptPages pointer: UnsafeMutableRawPointer, length: Int, count: Int, bufferClass: BufferClass, pool: WipedPagePool) {
        self.init(pages: pointer, length: length, count: count, bufferClass: bufferClass, locked: true, pool: pool)
    }

    private init(pages pointer: UnsafeMutableRawPointer, length: Int, count: Int, bufferClass: BufferClass, locked: Bool, pool: WipedPagePool?, shared: Bool = false) {
        if locked { SecureBuffer.lockedBytesNow.add(length, ordering: .relaxed) }
        SecureBuffer.mappedBytesNow.add(length, ordering: .relaxed)
        self.base = pointer
        self.mappedLength = length
        self.count = count
        self.bufferClass = bufferClass
        self.isLocked = locked
        self.pool = pool
        self.isShared = shared
    }

    /// Wipes the whole pages inside `range` (bytes of this buffer) of a shared memory file's
    /// buffer and gives them back to the kernel for both processes that map the file (a hole
    /// punched in it: `MADV_REMOVE`, after `munlock`, which it needs): an engine's photo once its
    /// pixels are decoded, so that the file's bytes are not held beside the analysis. The pages
    /// read as zeros from then on; `wipe()` zeroes and reads back the pages the file still holds at
    /// the end, and leaves the hole alone (`residentPages`). Partial pages at
    /// the range's ends stay as they are. Nothing for an anonymous buffer, a wiped one, or a file
    /// that cannot punch holes (a `memfd_secret`: its pages are locked again, wiped).
    /// - Returns: the bytes given back.
    @discardableResult
    public func discardSharedPages(in range: Range<Int>) -> Int {
        guard pool == nil, result == nil else { return 0 }
        let page = Int(lethe_page_size())
        let start = (max(0, range.lowerBound) + page - 1) / page * page
        let end = min(range.upperBound, count) / page * page
        guard end > start else { return 0 }
        let pages = base + start, length = end - start
        let started = ContinuousClock.now
        lethe_wipe(pages, length)
        discardedPagesWipe += ContinuousClock.now - started
        if isLocked { _ = lethe_munlock(pages, length) }
        guard madvise(pages, length, MADV_REMOVE) == 0 else {
            if isLocked { _ = lethe_mlock(pages, length) }
            return 0
        }
        return length
    }

    /// Copies `bytes` into a new buffer.
    public convenience init(copying bytes: UnsafeRawBufferPointer, bufferClass: BufferClass) throws(LetheError) {
        try self.init(count: bytes.count, bufferClass: bufferClass)
        if let source = bytes.baseAddress, bytes.count > 0 {
            base.copyMemory(from: source, byteCount: bytes.count)
        }
    }

    deinit {
        _ = wipe()
    }

    /// True once `wipe()` has run; the contents are gone.
    public var isWiped: Bool { result != nil }

    /// Reads the contents.
    public func withUnsafeBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        precondition(result == nil, "SecureBuffer used after wipe")
        return try body(UnsafeRawBufferPointer(start: base, count: count))
    }

    /// Writes the contents.
    public func withUnsafeMutableBytes<R, E: Error>(_ body: (UnsafeMutableRawBufferPointer) throws(E) -> R) throws(E) -> R {
        precondition(result == nil, "SecureBuffer used after wipe")
        return try body(UnsafeMutableRawBufferPointer(start: base, count: count))
    }

    /// The contents as elements of `T` (as many whole ones as fit), for an owner that keeps the
    /// buffer with its layout (an image plane: `Plane` in LetheAnalysis) and hands the elements to
    /// loops without a closure per buffer. Valid until `wipe()`: a buffer's mapping never moves
    /// while it lives, and using it after the wipe stops the process here.
    public func elements<T>(as type: T.Type) -> UnsafeMutableBufferPointer<T> {
        precondition(result == nil, "SecureBuffer used after wipe")
        return UnsafeMutableRawBufferPointer(start: base, count: count).bindMemory(to: T.self)
    }

    /// The runs of pages (indices) that the shared memory file holds now, or nil when the kernel
    /// cannot tell. A page the file does not hold — a hole `discardSharedPages` punched, here or
    /// in the other process — holds no byte to wipe and reads as zeros; touching it would only
    /// have the kernel give the file a new page, zero it, and the wipe zero it again (the photo's
    /// pages, wiped by the engine and then by the gateway, were a third of a request's wipes).
    /// A page that is not resident because it went to swap is not here either; but the file's
    /// pages are locked by both processes, and a page that reached swap was lost to the disk
    /// before any wipe could run.
    private func residentPages(page: Int) -> [Range<Int>]? {
        let pages = mappedLength / page
        var residency = [UInt8](repeating: 0, count: pages)
        guard lethe_resident_pages(base, mappedLength, &residency) == 0 else { return nil }
        var runs: [Range<Int>] = [], start = 0
        while start < pages {
            guard residency[start] & 1 != 0 else {
                start += 1
                continue
            }
            var end = start + 1
            while end < pages, residency[end] & 1 != 0 { end += 1 }
            runs.append(start..<end)
            start = end
        }
        return runs
    }

    /// Zeroes the whole mapping (a shared memory file's: every page the file holds,
    /// `residentPages`) and reads it back; then hands the pages, if they read back as
    /// zeros and are locked, to the pool, which keeps them for the next buffers or unlocks and
    /// unmaps them; any other pages are unlocked and unmapped here. Idempotent.
    @discardableResult
    public func wipe() -> WipeResult {
        if let result { return result }
        let page = Int(lethe_page_size())
        // The test-only fault (see `WipeFaultInjection`): the bytes it spares must be caught by the
        // read-back below and, since they stay mapped, by a scan of the process from outside.
        var spared: Range<Int>? = nil
        switch WipeFaultInjection.current {
        case .none: break
        case .skipAll: spared = 0..<mappedLength
        case .skipPage(let index):
            let (start, overflow) = index.multipliedReportingOverflow(by: page)
            if !overflow, start + page <= mappedLength { spared = start..<(start + page) }
        }
        let started = ContinuousClock.now
        let verified: Bool
        if let spared {
            lethe_wipe(base, spared.lowerBound)
            lethe_wipe(base + spared.upperBound, mappedLength - spared.upperBound)
            verified = lethe_is_zero(base, mappedLength) == 1
        } else if isShared, let resident = residentPages(page: page) {
            // Every run wiped, whatever an earlier one read back.
            verified = resident.reduce(true) { lethe_wipe_verified(base + $1.lowerBound * page, $1.count * page) == 1 && $0 }
        } else {
            verified = lethe_wipe_verified(base, mappedLength) == 1
        }
        let duration = ContinuousClock.now - started + discardedPagesWipe
        if isLocked { SecureBuffer.lockedBytesNow.subtract(mappedLength, ordering: .relaxed) }
        if let pool, verified, isLocked, spared == nil {
            pool.keep(base, length: mappedLength)
        } else {
            if isLocked { _ = lethe_munlock(base, mappedLength) }
            if let spared {
                if spared.lowerBound > 0 { munmap(base, spared.lowerBound) }
                if spared.upperBound < mappedLength { munmap(base + spared.upperBound, mappedLength - spared.upperBound) }
            } else {
                munmap(base, mappedLength)
            }
        }
        SecureBuffer.mappedBytesNow.subtract(mappedLength, ordering: .relaxed)
        let outcome = WipeResult(byteCount: count, verified: verified, duration: duration)
        result = outcome
        return outcome
    }
}
