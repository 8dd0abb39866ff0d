#if canImport(Glibc)
import Glibc
import LetheMemory
import Testing

@Suite("Large blocks go back to the kernel")
struct LargeBlockReturnTests {
    /// In a process of its own (an exit test): the setting is process-wide, and in the shared test
    /// process another test's thread could map the freed range again before it is looked at.
    /// Without the setting the same steps exit 1 (checked by hand).
    @Test("a freed megabyte is unmapped, even after a larger block was freed (glibc's own threshold would keep it in the heap)")
    func freedBlockIsUnmapped() async {
        await #expect(processExitsWith: .success) {
            guard MemoryBudget.returnLargeBlocksToKernel() else { exit(2) }
            let page = Int(sysconf(Int32(_SC_PAGESIZE)))
            // Without the fixed threshold, freeing 8 MiB raises glibc's to 8 MiB, and the 1 MiB
            // block after it comes from the heap and stays mapped after its free.
            guard let large = malloc(8 << 20) else { exit(3) }
            memset(large, 1, 8 << 20)
            free(large)
            guard let block = malloc(1 << 20) else { exit(3) }
            memset(block, 1, 1 << 20)
            guard let firstPage = UnsafeMutableRawPointer(bitPattern: Int(bitPattern: block) & ~(page - 1)) else { exit(3) }
            var resident: UInt8 = 0
            guard mincore(firstPage, page, &resident) == 0 else { exit(4) }  // mapped while held
            free(block)
            exit(mincore(firstPage, page, &resident) == -1 && errno == ENOMEM ? 0 : 1)
        }
    }
}
#endif
