import CLetheSystem

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The "no disk" promise (ARCHITECTURE.md, promise 3): nothing derived from a photo reaches a
/// file. Its process-wide measures live here; the rest are noted where they are enforced:
/// - writes confined to the ledger directory with Landlock (`confine(writesTo:bindPorts:)`,
///   called by `lethe serve` before any thread exists);
/// - temporary files pointed at a directory that does not exist (`noTemporaryDirectory`), so that
///   any attempt by libvips or glib fails loudly instead of writing: the `lethe` executable runs
///   with it in `TMPDIR` from exec on (`CLetheLaunch`), before any library reads or caches it;
/// - no core dumps (`apply()`, called by the program at start) and plaintext locked out of swap
///   (`SecureBuffer`);
/// - in libvips itself (LetheImaging, which calls it): the operation cache off, loaders run
///   `access=sequential` and pulled strip by strip into the arena, so decoded pixels are never
///   held whole by libvips nor spilled to a temp file, untrusted loaders blocked.
extension ProcessHardening {
    /// The `TMPDIR` of every lethe process (`LETHE_NO_TEMPORARY_DIRECTORY` in `CLetheLaunch`): it
    /// does not exist, and nothing may create it (the worker's Landlock rules forbid writes
    /// outside the ledger directory).
    public static let noTemporaryDirectory = "/nonexistent/lethe-no-temp-files"

    /// Forbids with Landlock, for the rest of the process's life, every filesystem write outside
    /// `directory`, and where the kernel can (ABI 4, 6) every TCP bind but to `bindPorts` (0 = a
    /// free port), every TCP connect but to `connectPorts` (the witnesses), and abstract Unix
    /// sockets and signals outside the process.
    /// Must run while the process has a single thread: Landlock confines the calling thread and
    /// the threads it creates afterwards, not threads that already exist.
    @discardableResult
    public static func confine(writesTo directory: String, bindPorts: [Int], connectPorts: [Int] = []) -> FilesystemConfinement {
        let threads = Int(lethe_thread_count())
        let ports = bindPorts.map { UInt16(clamping: $0) }
        let connects = connectPorts.map { UInt16(clamping: $0) }
        let result = Int(ports.withUnsafeBufferPointer { binds in
            connects.withUnsafeBufferPointer { lethe_landlock_restrict_ports(directory, binds.baseAddress, binds.count, $0.baseAddress, $0.count) }
        })
        let state: FilesystemConfinement
        if result == 0 {
            state = .unsupported
        } else if result < 0 {
            state = .failed(String(cString: strerror(Int32(-result))))
        } else if threads != 1 {
            state = .partial(threads: threads)
        } else {
            // Each restriction is tried once: an attempt the kernel refuses proves it in force.
            state = .active(
                abi: result, writableDirectory: directory, bindPorts: bindPorts,
                networkVerified: result >= 4 && lethe_landlock_verify_network() == 1,
                signalsVerified: result >= 6 && lethe_landlock_verify_signal_scope() == 1)
        }
        confinement.withLock { $0 = state }
        return state
    }
}
