import CLetheSystem
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The zero-on-free `free` wipes a large block's resident pages and skips the pages the kernel
/// never gave it (on a host without swap, where a page not resident was never written; with swap
/// it wipes every block whole); the bytes it leaves are the same zeros the whole-block wipe left.
@Suite("Zero-on-free by residency")
struct ScrubBlockTests {
    static let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))

    /// An anonymous mapping of `pages` pages, unmapped after `body`.
    func withMapping(pages: Int, _ body: (UnsafeMutableRawPointer) throws -> Void) throws {
        let length = pages * Self.pageSize
        let base = try #require(mmap(nil, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0))
        try #require(base != MAP_FAILED)
        defer { munmap(base, length) }
        try body(base)
    }

    /// Which of the mapping's pages are resident.
    func residency(_ base: UnsafeMutableRawPointer, pages: Int) -> [Bool] {
        var vector = [UInt8](repeating: 0, count: pages)
        #expect(mincore(base, pages * Self.pageSize, &vector) == 0)
        return vector.map { $0 & 1 != 0 }
    }

    /// Whether the host has a swap device now: `/proc/swaps` lists one below its header.
    static func hostHasSwap() throws -> Bool {
        let swaps = try String(contentsOfFile: "/proc/swaps", encoding: .utf8)
        return swaps.split(separator: "\n").count > 1
    }

    @Test("the residency skip is on exactly when the host has no swap (a swapped-out page is not resident either)")
    func skipOnlyWithoutSwap() throws {
        #expect((lethe_scrub_skips_untouched_pages() == 1) == !(try Self.hostHasSwap()))
    }

    @Test("a large block: every written byte zeroed, untouched pages left untouched where the host has no swap")
    func largeBlock() throws {
        let pages = 600  // 2.3 MiB with 4 KiB pages: far above the 256 KiB threshold
        try withMapping(pages: pages) { base in
            // An unaligned block, as malloc's are: it starts 48 bytes into page 0 and ends 700
            // bytes before the mapping's end.
            let start = 48, end = pages * Self.pageSize - 700
            let written = [0, 1, 2, 7, 8, 9, 250, 251, 598, 599]
            for page in written {
                let from = max(start, page * Self.pageSize), to = min(end, (page + 1) * Self.pageSize)
                (base + from).initializeMemory(as: UInt8.self, repeating: 0xA5, count: to - from)
            }
            let before = residency(base, pages: pages)
            #expect(written.allSatisfy { before[$0] })
            #expect(before.filter { $0 }.count == written.count)

            lethe_scrub_block(base + start, end - start)

            if lethe_scrub_skips_untouched_pages() == 1 {
                // No page was faulted in by the wipe.
                #expect(residency(base, pages: pages) == before)
            } else {
                // With swap, the whole block: every page it covers was written.
                #expect(residency(base, pages: pages).allSatisfy { $0 })
            }
            let bytes = UnsafeRawBufferPointer(start: base, count: pages * Self.pageSize)
            #expect(bytes[start..<end].allSatisfy { $0 == 0 })
        }
    }

    @Test("a small block is wiped whole, its untouched pages included")
    func smallBlock() throws {
        let pages = 16
        try withMapping(pages: pages) { base in
            base.initializeMemory(as: UInt8.self, repeating: 0xA5, count: Self.pageSize)
            lethe_scrub_block(base + 16, 8 * Self.pageSize)
            // The whole-block wipe touches every page it covers.
            #expect(residency(base, pages: pages).prefix(9).allSatisfy { $0 })
            let bytes = UnsafeRawBufferPointer(start: base, count: pages * Self.pageSize)
            #expect(bytes[0..<16].allSatisfy { $0 == 0xA5 })
            #expect(bytes[16..<(16 + 8 * Self.pageSize)].allSatisfy { $0 == 0 })
        }
    }
}
