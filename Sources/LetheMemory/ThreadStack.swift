import CLetheSystem

/// The calling thread's stack, as a place plaintext can linger.
///
/// Codec and filter functions keep working data in stack frames (zlib's and libpng's locals,
/// libvips' small buffers, Swift's inline arrays); when they return, those bytes stay below the
/// stack pointer until a later call reuses the space. The residue harness found pieces of a
/// request's deflate-encoded masks there, on the worker thread that encoded them, after the
/// request's buffers were wiped.
public enum ThreadStack {
    /// How much of the stack below the caller is zeroed: more than the deepest codec call chain
    /// measured by the residue harness (about 40 KiB), well within an 8 MiB (or glibc's 2 MiB)
    /// thread stack.
    public static let wipedBytes = 256 * 1024

    /// Zeroes the dead frames below the caller's frame. Call it on the thread that ran the
    /// plaintext work, after that work has returned (the pipeline does, at the end of each job).
    public static func wipeBelowCaller() {
        lethe_wipe_stack_below(wipedBytes)
    }
}
