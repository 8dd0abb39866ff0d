/// Limits applied to untrusted image input before any pixel is decoded.
public struct DecodeLimits: Sendable, Equatable {
    /// Largest accepted width × height, checked from the header.
    public var maxPixels: Int
    /// Largest accepted encoded size in bytes.
    public var maxBytes: Int

    /// Defaults: 50 megapixels (a 150 MB RGB buffer) and 30 MiB of encoded bytes.
    public init(maxPixels: Int = 50_000_000, maxBytes: Int = 30 * 1024 * 1024) {
        self.maxPixels = maxPixels
        self.maxBytes = maxBytes
    }
}
