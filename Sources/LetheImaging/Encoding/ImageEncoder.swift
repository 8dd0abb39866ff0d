import CVips
import LetheMemory

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Encodes canonical RGB8 pixels (tests and simulations). The encoded bytes are returned as an
/// array: the caller decides where they go (a response buffer, a test assertion).
public enum ImageEncoder {
    /// Encodes `width × height` interleaved sRGB pixels. PNG is lossless; WebP is lossless when
    /// `quality == 100`; JPEG and HEIF are lossy at `quality` (1–100). Metadata is stripped.
    /// - Throws: `image_corrupt` when the buffer does not match the dimensions,
    ///   `imaging_unavailable` when the encoder is missing or fails.
    public static func encode(
        _ pixels: UnsafeRawBufferPointer, width: Int, height: Int, as format: ImageFormat, quality: Int = 90
    ) throws(LetheError) -> [UInt8] {
        try withEncoded(pixels, width: width, height: height, bands: 3, as: format, quality: quality) { [UInt8]($0) }
    }

    /// Encodes `width × height` interleaved 8-bit pixels of `bands` bands (3 = sRGB, 4 = sRGB with
    /// alpha) and hands the encoded bytes to `body`. The encoder's own copy is zeroed before it
    /// is freed, so the caller decides where the only surviving copy lives (e.g. an arena buffer).
    /// `pngCompression`: zlib's level 0–9 for PNG (6, zlib's default, for photos; a two-level mask
    /// compresses nearly as well at 1 in a third of the time).
    public static func withEncoded<R>(
        _ pixels: UnsafeRawBufferPointer, width: Int, height: Int, bands: Int, as format: ImageFormat, quality: Int = 90,
        pngCompression: Int = 6, _ body: (UnsafeRawBufferPointer) throws(LetheError) -> R
    ) throws(LetheError) -> R {
        guard width > 0, height > 0, (3...4).contains(bands), let base = pixels.baseAddress,
              pixels.count == width * height * bands else {
            throw .pixelBufferMismatch(width: width, height: height, bands: bands)
        }
        try VipsRuntime.ensureStarted()
        defer {
            vips_error_clear()
            vips_thread_shutdown()
        }
        let quality = Int32(min(100, max(1, quality)))
        guard let wrapped = vips_image_new_from_memory(base, pixels.count, Int32(width), Int32(height), Int32(bands), VIPS_FORMAT_UCHAR) else {
            throw .imagingUnavailable("libvips could not wrap the pixel buffer")
        }
        let source = VipsImageHandle(wrapped)
        guard let image = source.then(lethe_vips_set_srgb) else {
            throw .imagingUnavailable("libvips could not tag the pixels as sRGB")
        }

        var output: UnsafeMutableRawPointer?
        var length = 0
        let status: Int32 = switch format {
        case .png: lethe_vips_pngsave_buffer(image.pointer, &output, &length, Int32(min(9, max(0, pngCompression))))
        case .jpeg: lethe_vips_jpegsave_buffer(image.pointer, &output, &length, quality)
        case .webp: lethe_vips_webpsave_buffer(image.pointer, &output, &length, quality, quality == 100 ? 1 : 0)
        case .heif: lethe_vips_heifsave_buffer(image.pointer, &output, &length, quality)
        }
        guard status == 0, let output else {
            if let output { lethe_vips_g_free(output) }
            throw .imagingUnavailable("the \(format.rawValue) encoder failed")
        }
        // The g_malloc'd copy held image data: zero it before glib gets the block back.
        defer {
            explicit_bzero(output, length)
            lethe_vips_g_free(output)
        }
        return try body(UnsafeRawBufferPointer(start: output, count: length))
    }
}
