import CLetheSystem
import LetheMemory
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `SecureBuffer.discardSharedPages(in:)`: an engine's photo bytes given back once decoded, for
/// both processes that map the memory file.
@Suite("SharedPageDiscard")
struct SharedPageDiscardTests {
    let page = Int(getpagesize())

    /// Bytes of the memory file that hold pages now.
    func allocatedBytes(_ fd: Int32) -> Int {
        var status = stat()
        guard fstat(fd, &status) == 0 else { return -1 }
        return Int(status.st_blocks) * 512
    }

    /// Both processes' views of a new memory file of `pages` pages, every byte written `fill`;
    /// the caller closes `fd`.
    func sharedPair(
        _ arena: PlaintextArena, pages: Int, secret: Bool = false, fill: UInt8 = 0xA5
    ) throws -> (buffer: SecureBuffer, other: SecureBuffer, fd: Int32) {
        let (buffer, fd) = try arena.allocateShared(count: pages * page, bufferClass: .requestBody, secret: secret)
        let other = try arena.share(fd, count: pages * page, bufferClass: .requestBody)
        buffer.withUnsafeMutableBytes { bytes in for index in bytes.indices { bytes[index] = fill } }
        return (buffer, other, fd)
    }

    @Test("the whole pages inside the range go for both mappings, the partial ones stay, and the wipe still verifies")
    func discardsWholePagesForBoth() throws {
        let arena = PlaintextArena()
        // `other`: the other process's view of the same file.
        let (buffer, other, fd) = try sharedPair(arena, pages: 4)
        defer { close(fd) }
        let before = allocatedBytes(fd)
        // From the middle of the first page to the middle of the last: the two pages between go.
        #expect(buffer.discardSharedPages(in: (page / 2)..<(3 * page + page / 2)) == 2 * page)
        #expect(before - allocatedBytes(fd) == 2 * page)
        other.withUnsafeBytes { bytes in
            #expect(bytes[0..<page].allSatisfy { $0 == 0xA5 })
            #expect(bytes[page..<(3 * page)].allSatisfy { $0 == 0 })
            #expect(bytes[(3 * page)...].allSatisfy { $0 == 0xA5 })
        }
        let report = arena.wipeAll()
        #expect(report.verified)
        #expect(report.bufferCount == 2)
    }

    @Test("the wipes leave a hole a hole, on both sides, and still wipe a page written into it again")
    func wipeLeavesHoles() throws {
        let arena = PlaintextArena()
        let (buffer, other, fd) = try sharedPair(arena, pages: 4)
        defer { close(fd) }
        #expect(buffer.discardSharedPages(in: page..<(3 * page)) == 2 * page)
        // The other process writes into the hole's second page: the file holds it again.
        other.withUnsafeMutableBytes { bytes in bytes[2 * page + 7] = 0x5A }
        #expect(allocatedBytes(fd) == 3 * page)
        arena.release(buffer)
        #expect(buffer.wipe().verified)
        // The first page of the hole was not given a page only to be zeroed; every page the file
        // holds reads as zeros, the one written after the discard included.
        #expect(allocatedBytes(fd) == 3 * page)
        var residency = [UInt8](repeating: 0, count: 4)
        other.withUnsafeBytes { bytes in
            #expect(lethe_resident_pages(bytes.baseAddress, 4 * page, &residency) == 0)
            #expect(residency.map { $0 & 1 } == [1, 0, 1, 1])
            for index in [0, 2, 3] { #expect(bytes[(index * page)..<((index + 1) * page)].allSatisfy { $0 == 0 }) }
        }
        arena.release(other)
        #expect(other.wipe().verified)
        #expect(allocatedBytes(fd) == 3 * page)
    }

    @Test("a secret memory file where the kernel has one (else a sealed memfd): its wipe finds every page written and zeroes it for both sides")
    func secretFileWipesEveryPage() throws {
        let arena = PlaintextArena()
        let (buffer, other, fd) = try sharedPair(arena, pages: 3, secret: true)
        defer { close(fd) }
        arena.release(buffer)
        #expect(buffer.wipe().verified)
        other.withUnsafeBytes { bytes in #expect(bytes.allSatisfy { $0 == 0 }) }
        arena.release(other)
        #expect(other.wipe().verified)
    }

    @Test("a range inside one page, an anonymous buffer and a wiped one are left as they are")
    func leavesWhatItCannotGiveBack() throws {
        let arena = PlaintextArena()
        let (shared, fd) = try arena.allocateShared(count: 2 * page, bufferClass: .requestBody, secret: false)
        defer { close(fd) }
        shared.withUnsafeMutableBytes { bytes in for index in bytes.indices { bytes[index] = 0x5A } }
        #expect(shared.discardSharedPages(in: 1..<(page + 1)) == 0)
        shared.withUnsafeBytes { bytes in #expect(bytes.allSatisfy { $0 == 0x5A }) }
        let anonymous = try arena.allocate(count: 2 * page, bufferClass: .requestBody)
        anonymous.withUnsafeMutableBytes { bytes in for index in bytes.indices { bytes[index] = 0x5A } }
        #expect(anonymous.discardSharedPages(in: 0..<(2 * page)) == 0)
        anonymous.withUnsafeBytes { bytes in #expect(bytes.allSatisfy { $0 == 0x5A }) }
        arena.release(shared)
        #expect(shared.discardSharedPages(in: 0..<(2 * page)) == 0)
        #expect(arena.wipeAll().verified)
    }
}
