import LetheMemory
import LetheTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Each test has its own pool, so that buffers of tests running alongside (the shared pool) do not
/// take or return its pages.
@Suite("WipedPagePool")
struct WipedPagePoolTests {
    let page = Int(getpagesize())

    /// Fills `buffer` with bytes no zero comes from by accident and returns its address.
    func fill(_ buffer: SecureBuffer) -> UInt {
        buffer.withUnsafeMutableBytes { bytes in
            for index in bytes.indices { bytes[index] = UInt8(truncatingIfNeeded: index &* 37 &+ 1) | 1 }
            return UInt(bitPattern: bytes.baseAddress)
        }
    }

    func address(_ buffer: SecureBuffer) -> UInt {
        buffer.withUnsafeBytes { UInt(bitPattern: $0.baseAddress) }
    }

    func isZero(_ buffer: SecureBuffer) -> Bool {
        buffer.withUnsafeBytes { $0.allSatisfy { $0 == 0 } }
    }

    /// A buffer of `pages` whole pages from `pool`, which must be locked for the pool to keep it.
    func lockedBuffer(pages: Int, from pool: WipedPagePool) throws -> SecureBuffer {
        let buffer = try SecureBuffer(count: pages * page, bufferClass: .pixels, pool: pool)
        try #require(buffer.isLocked, "the pool keeps only locked pages; this test needs mlock")
        return buffer
    }

    @Test("the next request's buffer is carved from the last request's wiped pages: zero, and the last wipe record unchanged")
    func reuseAcrossRequests() throws {
        let pool = WipedPagePool(capacityBytes: 1 << 20)
        let first = PlaintextArena(pool: pool)
        let photo = try first.allocate(count: 3 * page + 5, bufferClass: .pixels)
        try #require(photo.isLocked, "the pool keeps only locked pages; this test needs mlock")
        let photoAddress = fill(photo)
        let record = first.wipeAll()
        #expect(record.verified)
        #expect(record.bufferCount == 1)
        #expect(record.bytesByClass["pixels"] == 3 * page + 5)
        #expect(pool.keptBytes == 4 * page)

        let second = PlaintextArena(pool: pool)
        let plane = try second.allocate(count: 4 * page, bufferClass: .intermediate)
        #expect(address(plane) == photoAddress, "the kept pages were not reused")
        #expect(pool.reusedBuffers == 1)
        #expect(pool.keptBytes == 0)
        #expect(plane.isLocked)
        #expect(isZero(plane))
        _ = fill(plane)
        #expect(first.wipeAll() == record)
        let secondRecord = second.wipeAll()
        #expect(secondRecord.verified)
        #expect(secondRecord.bytesByClass["intermediate"] == 4 * page)
        #expect(first.wipeAll() == record)
        #expect(pool.keptBytes == 4 * page)
    }

    @Test("a smaller buffer takes the front of a kept run, and released parts merge back into one run")
    func carveAndMerge() throws {
        let pool = WipedPagePool(capacityBytes: 1 << 20)
        let whole = try SecureBuffer(count: 4 * page, bufferClass: .pixels, pool: pool)
        try #require(whole.isLocked, "the pool keeps only locked pages; this test needs mlock")
        let start = fill(whole)
        whole.wipe()
        let front = try SecureBuffer(count: 2 * page, bufferClass: .intermediate, pool: pool)
        let back = try SecureBuffer(count: page + 1, bufferClass: .intermediate, pool: pool)
        #expect(address(front) == start)
        #expect(address(back) == start + UInt(2 * page))
        #expect(isZero(front) && isZero(back))
        #expect(pool.keptBytes == 0)
        _ = fill(front)
        _ = fill(back)
        #expect(back.wipe().verified)
        #expect(front.wipe().verified)
        #expect(pool.keptBytes == 4 * page)
        let again = try SecureBuffer(count: 4 * page, bufferClass: .pixels, pool: pool)
        #expect(address(again) == start, "the two released parts were not merged into one run")
        #expect(isZero(again))
        #expect(pool.reusedBuffers == 3)
        again.wipe()
    }

    @Test("the pool keeps at most its capacity, unmaps the rest, and gives everything back when trimmed")
    func capacity() throws {
        let pool = WipedPagePool(capacityBytes: 2 * page)
        let large = try SecureBuffer(count: 5 * page, bufferClass: .pixels, pool: pool)
        try #require(large.isLocked, "the pool keeps only locked pages; this test needs mlock")
        _ = fill(large)
        #expect(large.wipe().verified)
        #expect(pool.keptBytes == 2 * page)

        // Too large for what is kept: the kept pages become the front of the new mapping, the rest
        // is new, and on release only the room left is kept.
        let other = try SecureBuffer(count: 3 * page, bufferClass: .pixels, pool: pool)
        #expect(pool.reusedBuffers == 0)
        #expect(pool.gatheredBytes == 2 * page)
        #expect(pool.keptBytes == 0)
        #expect(other.isLocked && isZero(other))
        _ = fill(other)
        other.wipe()
        #expect(pool.keptBytes == 2 * page)

        let small = try SecureBuffer(count: page, bufferClass: .intermediate, pool: pool)
        #expect(pool.reusedBuffers == 1)
        #expect(pool.keptBytes == page)
        small.wipe()
        #expect(pool.keptBytes == 2 * page)

        pool.trim()
        #expect(pool.keptBytes == 0)
        #expect(pool.capacityBytes == 2 * page)
        pool.setCapacity(0)
        let unpooled = try SecureBuffer(count: page, bufferClass: .intermediate, pool: pool)
        unpooled.wipe()
        #expect(pool.keptBytes == 0)
        #expect(pool.reusedBuffers == 1)
    }

    /// Whether every mapping of /proc/self/smaps that overlaps `length` bytes at `address` carries
    /// the kernel's `lo` (locked) and `dd` (left out of core dumps) flags: what the kernel says,
    /// not the buffer's own record.
    func lockedAndUndumped(_ address: UInt, length: Int) throws -> Bool {
        var overlapping = false, covered = 0
        var allFlagged = true
        for line in try ProcFile.read("/proc/self/smaps").split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if let range = fields.first, range.contains("-"), !range.hasSuffix(":") {
                let bounds = range.split(separator: "-").compactMap { UInt($0, radix: 16) }
                overlapping = bounds.count == 2 && bounds[0] < address + UInt(length) && address < bounds[1]
                if overlapping { covered += Int(min(bounds[1], address + UInt(length)) - max(bounds[0], address)) }
            } else if overlapping, fields.first == "VmFlags:" {
                allFlagged = allFlagged && fields.contains("lo") && fields.contains("dd")
            }
        }
        return covered == length && allFlagged
    }

    @Test("a buffer longer than every kept run is assembled from the runs, longest first, their pages moved, not new: zeroed, locked, and kept again on release")
    func gatherRuns() throws {
        let pool = WipedPagePool(capacityBytes: 1 << 20)
        // Three buffers side by side or not; the outer two released: two runs, not adjacent.
        let first = try lockedBuffer(pages: 3, from: pool), middle = try lockedBuffer(pages: 1, from: pool)
        let last = try lockedBuffer(pages: 2, from: pool)
        let pages = [fill(first), fill(last)]
        #expect(first.wipe().verified && last.wipe().verified)
        #expect(pool.keptBytes == 5 * page)

        // Six pages asked, five kept in runs of three and two: both moved to the front, one page new.
        let joined = try SecureBuffer(count: 6 * page, bufferClass: .intermediate, pool: pool)
        #expect(pool.gatheredBytes == 5 * page && pool.keptBytes == 0)
        #expect(joined.isLocked && isZero(joined))
        let joinedAddress = fill(joined)
        #expect(!pages.contains(joinedAddress), "the runs were moved into a new mapping, not used in place")
        // The moved pages kept their lock and dump exclusion, and the new page got them.
        #expect(try lockedAndUndumped(joinedAddress, length: 6 * page))
        #expect(joined.wipe().verified)
        #expect(pool.keptBytes == 6 * page)

        // Four pages of the six-page run: taken whole from it (no gathering), the rest stays kept.
        let part = try SecureBuffer(count: 4 * page, bufferClass: .intermediate, pool: pool)
        #expect(address(part) == joinedAddress && pool.gatheredBytes == 5 * page && pool.keptBytes == 2 * page)
        // Three pages when one run of two is kept: moved, the third page new; nothing kept is left.
        let third = try SecureBuffer(count: 3 * page, bufferClass: .intermediate, pool: pool)
        #expect(pool.gatheredBytes == 7 * page && pool.keptBytes == 0 && isZero(third))
        for buffer in [part, third, middle] { #expect(buffer.wipe().verified) }
        #expect(pool.keptBytes == 8 * page)
        pool.trim()
    }

    @Test("after a request the pool keeps only the longest buffer it was asked for, and serves it from those zeroed pages")
    func trimAfterRequest() throws {
        let pool = WipedPagePool(capacityBytes: 1 << 20)
        let first = PlaintextArena(pool: pool)
        let pixels = try first.allocate(count: 4 * page - 3, bufferClass: .pixels)
        try #require(pixels.isLocked, "the pool keeps only locked pages; this test needs mlock")
        let planes = [try first.allocate(count: 2 * page, bufferClass: .intermediate), try first.allocate(count: 3 * page, bufferClass: .intermediate)]
        for buffer in [pixels] + planes { _ = fill(buffer) }
        #expect(first.wipeAll().verified)
        #expect(pool.keptBytes == 9 * page)

        #expect(pool.trimAfterRequest() == 5 * page)
        #expect(pool.keptBytes == 4 * page)
        #expect(pool.trimmedBytes == 5 * page)

        // The next request's largest buffer comes from the kept pages, zeroed.
        let second = PlaintextArena(pool: pool)
        let reused = try second.allocate(count: 4 * page, bufferClass: .pixels)
        #expect(pool.reusedBuffers == 1)
        #expect(pool.keptBytes == 0)
        #expect(isZero(reused))
        _ = fill(reused)
        #expect(second.wipeAll().verified)
        #expect(pool.keptBytes == 4 * page)
        #expect(pool.trimAfterRequest() == 0)

        // A request that asked for one page leaves one page kept: the longest is per request.
        let third = PlaintextArena(pool: pool)
        _ = fill(try third.allocate(count: page, bufferClass: .response))
        #expect(third.wipeAll().verified)
        #expect(pool.keptBytes == 4 * page)
        #expect(pool.trimAfterRequest() == 3 * page)
        #expect(pool.keptBytes == page)
        #expect(pool.trimAfterRequest() == page, "a request that asked for nothing keeps nothing")
        #expect(pool.keptBytes == 0)
        #expect(pool.trimmedBytes == 9 * page)
    }

    @Test("trimming to a bound keeps whole pages of the longest runs, and what stays serves buffers zeroed")
    func trimToBound() throws {
        let pool = WipedPagePool(capacityBytes: 1 << 20)
        let long = try lockedBuffer(pages: 5, from: pool)
        let short = try lockedBuffer(pages: 1, from: pool)
        let longAddress = fill(long)
        _ = fill(short)
        #expect(long.wipe().verified && short.wipe().verified)
        #expect(pool.keptBytes == 6 * page)

        #expect(pool.trim(keepingAtMost: 7 * page) == 0)
        #expect(pool.keptBytes == 6 * page)
        // Rounded down to whole pages; the longest run stays first.
        #expect(pool.trim(keepingAtMost: 3 * page + page / 2) == 3 * page)
        #expect(pool.keptBytes == 3 * page)
        let front = try SecureBuffer(count: 3 * page, bufferClass: .pixels, pool: pool)
        #expect(pool.reusedBuffers == 1)
        if address(front) != longAddress {
            // The two buffers' pages were adjacent and merged into one run, which starts lower.
            #expect(address(front) + UInt(page) == longAddress)
        }
        #expect(isZero(front))
        front.wipe()
        #expect(pool.trim(keepingAtMost: 0) == 3 * page)
        #expect(pool.keptBytes == 0)
    }

    @Test("a shared memory file's pages are never kept")
    func sharedPagesAreNotKept() throws {
        let pool = WipedPagePool(capacityBytes: 1 << 20)
        let arena = PlaintextArena(pool: pool)
        let (buffer, fd) = try arena.allocateShared(count: 2 * page, bufferClass: .response, secret: false)
        close(fd)
        _ = fill(buffer)
        #expect(arena.wipeAll().verified)
        #expect(pool.keptBytes == 0)
    }
}
