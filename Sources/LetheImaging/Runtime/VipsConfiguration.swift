/// Process-wide libvips settings, applied once by `VipsRuntime.start(_:)`.
public struct VipsConfiguration: Sendable, Equatable, Codable {
    /// libvips worker threads per image pipeline. 1 keeps per-thread pixel buffers to a minimum;
    /// the server gets parallelism from concurrent requests instead.
    public var concurrency: Int
    /// Drop libvips' free-text warnings (they go to stderr, outside the structured logs, and
    /// describe the photo's damage); failures still arrive as error codes.
    public var silenceWarnings: Bool

    /// Safe defaults: one thread, warnings silenced. (`TMPDIR` is the program's: the `lethe`
    /// executable runs with it pointing nowhere from exec on, see `CLetheLaunch`.)
    public init(concurrency: Int = 1, silenceWarnings: Bool = true) {
        self.concurrency = concurrency
        self.silenceWarnings = silenceWarnings
    }
}
