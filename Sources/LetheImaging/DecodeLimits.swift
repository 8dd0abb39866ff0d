/// Limits applied to untrusted image input before any pixel is decoded.
public struct DecodeLimits: Sendable, Equatable, Codable {
    /// Largest accepted width × height, checked from the header.
    public var maxPixels: Int
    /// Largest accepted encoded size in bytes.
    public var maxBytes: Int
    /// Most scans a JPEG may have; beyond it the decoder refuses with `image_too_complex`
    /// before libjpeg runs (see `JPEGScanCount`).
    public var maxJPEGScans: Int
    /// Largest photo a free core decodes whole beside its reduced overview
    /// (`ImageDecoder.decodeReduced`); a larger one has only its window decoded at full resolution.
    public var maxPixelsWholeBesideOverview: Int

    /// Defaults: 50 megapixels (a 150 MB RGB buffer) and 30 MiB of encoded bytes; at most 100 JPEG scans.
    /// Default `maxJPEGScans`: 100, five times what the most thorough encoders write.
    /// Default `maxPixelsWholeBesideOverview`: 16 megapixels, 48 MB of pixels, which with the
    /// overview and the detector's levels stays below a face request's later peak (its working
    /// planes at the canonical frame, ~80 MB), so decoding it early does not raise the peak.
    public init(maxPixels: Int = 50_000_000, maxBytes: Int = 30 * 1024 * 1024, maxJPEGScans: Int = 100, maxPixelsWholeBesideOverview: Int = 16_000_000) {
        self.maxPixels = maxPixels
        self.maxBytes = maxBytes
        self.maxJPEGScans = maxJPEGScans
        self.maxPixelsWholeBesideOverview = maxPixelsWholeBesideOverview
    }
}

extension DecodeLimits {
    /// The most pixels decoding `photo` can produce, read from its header before any decoder
    /// runs: its declared width × height, at most `maxPixels` (the decoder refuses a larger one
    /// before decoding). Nil when the header cannot be read without a decoder (HEIF, a damaged
    /// file): then only `maxPixels` bounds it.
    public func declaredPixels(_ photo: UnsafeRawBufferPointer) -> Int? {
        DeclaredSize.pixels(of: photo).map { min($0, maxPixels) }
    }
}
