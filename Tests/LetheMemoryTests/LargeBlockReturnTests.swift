#if canImport(Glibc)
import Glibc
import LetheMemory
import Testing

@Suite("Large blocks go back to the kernel")
struct LargeBlockReturnTests {
    @Test("a freed megabyte is unmapped, even after a larger block was freed (glibc's own threshold would keep it in the heap)")
    func freedBlockIsUnmapped() throws {
        #expect(MemoryBudget.returnLargeBlocksToKernel())
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        var unmapped = 0
        // Three tries, two must see the range unmapped: another test's thread may map it again
        // before it is looked at, and without the setting a trim of the heap's top can unmap one.
        for _ in 0..<3 {
            // Without the fixed threshold, freeing 8 MiB raises glibc's to 8 MiB, and the 1 MiB
            // block after it comes from the heap and stays mapped after its free.
            let large = try #require(malloc(8 << 20))
            memset(large, 1, 8 << 20)
            free(large)
            let block = try #require(malloc(1 << 20))
            memset(block, 1, 1 << 20)
            let firstPage = try #require(UnsafeMutableRawPointer(bitPattern: Int(bitPattern: block) & ~(page - 1)))
            var resident: UInt8 = 0
            #expect(mincore(firstPage, page, &resident) == 0, "the block is mapped while held")
            free(block)
            if mincore(firstPage, page, &resident) == -1, errno == ENOMEM { unmapped += 1 }
        }
        #expect(unmapped >= 2, "the freed block stayed mapped in \(3 - unmapped) of three tries")
    }
}
#endif
