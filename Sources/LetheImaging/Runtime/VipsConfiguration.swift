import LetheMemory

/// Process-wide libvips settings, applied once by `VipsRuntime.start(_:)`.
public struct VipsConfiguration: Sendable, Equatable {
    /// libvips worker threads per image pipeline. 1 keeps per-thread pixel buffers to a minimum;
    /// the server gets parallelism from concurrent requests instead.
    public var concurrency: Int
    /// Value given to `TMPDIR`. It must not exist: any temp-file attempt by libvips or glib then
    /// fails loudly instead of writing photo data to disk.
    public var tempDirectory: String

    /// Drop libvips' free-text warnings (they go to stderr, outside the structured logs, and
    /// describe the photo's damage); failures still arrive as error codes.
    public var silenceWarnings: Bool

    /// Safe defaults: one thread, a temp directory that does not exist, warnings silenced.
    public init(concurrency: Int = 1, tempDirectory: String = ProcessHardening.noTemporaryDirectory, silenceWarnings: Bool = true) {
        self.concurrency = concurrency
        self.tempDirectory = tempDirectory
        self.silenceWarnings = silenceWarnings
    }
}
