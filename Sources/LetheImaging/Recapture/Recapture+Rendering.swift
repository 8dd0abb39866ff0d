import CVips
import LetheMemory

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Recapture {
    /// Renders this re-capture of `image` with libvips, in the order a camera would: light on the
    /// scene (exposure and white balance, in linear light), then the optics (scale, rotation,
    /// shift into a frame of the same size, bicubic), then `patch` if any (fixed in the frame),
    /// then the camera's JPEG at `jpegQuality`, decoded again into the arena.
    /// - Throws: `imaging_unavailable` when a libvips step fails; the decoder's codes.
    public func render(_ image: DecodedImage, patch: FramePatch? = nil, arena: PlaintextArena) throws(LetheError) -> DecodedImage {
        try withRendered(image, patch: patch) { (file) throws(LetheError) in try ImageDecoder.decode(file, limits: DecodeLimits(), arena: arena) }
    }

    /// Renders this re-capture as `render(_:arena:)` does and hands `body` the camera's JPEG file,
    /// to decode as the worker would; libvips' copy is zeroed and freed when `body` returns.
    public func withRendered<R>(_ image: DecodedImage, patch: FramePatch? = nil, _ body: (UnsafeRawBufferPointer) throws(LetheError) -> R) throws(LetheError) -> R {
        try VipsRuntime.ensureStarted()
        defer {
            vips_error_clear()
            vips_thread_shutdown()
        }
        let affine = self.affine(width: image.width, height: image.height)
        let gains = linearGains, offsets = [0.0, 0.0, 0.0]
        let (width, height) = (Int32(image.width), Int32(image.height))
        // Enough copied edge for any frame corner: zoomed out, rotated and shifted, a corner looks
        // at most (half diagonal / scale + shift) from the centre, well within one image size.
        let margin = Int32(max(image.width, image.height))
        return try image.pixels.withUnsafeBytes { (pixels) throws(LetheError) -> R in
            guard let base = pixels.baseAddress,
                  let wrapped = vips_image_new_from_memory(base, pixels.count, width, height, 3, VIPS_FORMAT_UCHAR) else {
                throw .imagingUnavailable("libvips could not wrap the pixel buffer")
            }
            let source = VipsImageHandle(wrapped)
            guard let srgb = source.then(lethe_vips_set_srgb),
                  let linear = srgb.then({ lethe_vips_colourspace($0, $1, VIPS_INTERPRETATION_scRGB) }),
                  let lit = linear.then({ lethe_vips_linear($0, $1, gains, offsets, 3) }),
                  let framed = lit.then({
                      lethe_vips_affine_view(
                          $0, $1, affine.a, affine.b, affine.c, affine.d, affine.inputOffsetX, affine.inputOffsetY,
                          affine.outputOffsetX, affine.outputOffsetY, width, height, margin)
                  }),
                  let encoded = framed.then({ lethe_vips_colourspace($0, $1, VIPS_INTERPRETATION_sRGB) }),
                  let cast = encoded.then(lethe_vips_cast_uchar),
                  let bytes = patch == nil ? cast : cast.then(lethe_vips_copy_memory) else {
                throw .imagingUnavailable("libvips could not render the re-capture")
            }
            if let patch {
                let (x0, y0) = (max(0, patch.x0), max(0, patch.y0)), (x1, y1) = (min(image.width, patch.x1), min(image.height, patch.y1))
                var ink = patch.codes.map(Double.init)
                guard x1 > x0, y1 > y0,
                      lethe_vips_draw_rect(bytes.pointer, &ink, 3, Int32(x0), Int32(y0), Int32(x1 - x0), Int32(y1 - y0)) == 0 else {
                    throw .imagingUnavailable("libvips could not draw the frame's patch")
                }
            }
            var output: UnsafeMutableRawPointer?
            var length = 0
            guard lethe_vips_jpegsave_buffer(bytes.pointer, &output, &length, Int32(min(100, max(1, jpegQuality)))) == 0, let output else {
                if let output { lethe_vips_g_free(output) }
                throw .imagingUnavailable("the JPEG encoder failed")
            }
            defer {
                explicit_bzero(output, length)
                lethe_vips_g_free(output)
            }
            return try body(UnsafeRawBufferPointer(start: output, count: length))
        }
    }
}
