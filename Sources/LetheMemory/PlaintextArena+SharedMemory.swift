import CLetheSystem
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Plaintext that crosses to another process (the gateway's engines): a memory file instead of
/// anonymous memory, so that both processes map the same pages and nothing is copied through a
/// socket. A memfd sealed against resizing, or with `secret` a `memfd_secret` file where the
/// kernel has it (its pages leave the kernel's direct map; measured here it made a 12-megapixel
/// request about 0.8 s slower, so it is opt-in: `--engine-secret-memory`); mapped, locked and
/// wiped on each side like every buffer.
extension PlaintextArena {
    /// Memory files made so far that were `memfd_secret` / plain sealed memfds (for the hardening
    /// status: which one this kernel gives).
    public static let secretMemoryFiles = Atomic<Int>(0)
    public static let sealedMemoryFiles = Atomic<Int>(0)

    /// A zeroed buffer of `count` bytes in a new memory file, and the file's descriptor to pass
    /// to the other process (close-on-exec; the caller closes it once it is sent).
    public func allocateShared(count: Int, bufferClass: BufferClass, secret preferSecret: Bool) throws(LetheError) -> (buffer: SecureBuffer, fd: Int32) {
        var secret: Int32 = 0
        let fd = lethe_plaintext_memfd(SecureBuffer.pageRounded(count), preferSecret ? 1 : 0, &secret)
        guard fd >= 0 else { throw .plaintextAllocationFailed(byteCount: count) }
        if secret == 1 {
            Self.secretMemoryFiles.add(1, ordering: .relaxed)
        } else {
            Self.sealedMemoryFiles.add(1, ordering: .relaxed)
        }
        do {
            return (try share(fd, count: count, bufferClass: bufferClass), fd)
        } catch {
            close(fd)
            throw error
        }
    }
}
