import CVips
import LetheAPI
import LetheMemory

/// Decodes untrusted image bytes with libvips, entirely in memory, into an arena buffer.
public enum ImageDecoder {
    /// `VipsFailOn` level for untrusted input: fail on errors, which includes truncation.
    private static let failOn = Int32(VIPS_FAIL_ON_ERROR.rawValue)

    /// Sniffs the format from magic bytes, runs only that format's buffer loader, checks the
    /// header's width × height against `limits` before any pixel is decoded, applies EXIF
    /// orientation and converts to 8-bit sRGB with 3 bands (embedded ICC profile honoured, alpha
    /// flattened over white, grey expanded, 16-bit reduced), writing straight into an arena
    /// buffer of class `.pixels`.
    ///
    /// Callable from any thread. `bytes` must stay valid for the call (libvips reads it in place
    /// and does not copy); the caller wipes it afterwards.
    /// - Parameter deadline: when given, checked before each step and between strips of the decode,
    ///   and libjpeg stops a progressive file's multi-scan pass at its next row once it has passed.
    /// - Throws: `empty_body`, `payload_too_large`, `unsupported_media_type`, `image_too_large`,
    ///   `image_too_complex`, `image_corrupt`, `imaging_unavailable`, `memory_budget_exceeded`,
    ///   `processing_deadline_exceeded`.
    public static func decode(
        _ bytes: UnsafeRawBufferPointer, limits: DecodeLimits, arena: PlaintextArena, deadline: ProcessingDeadline? = nil
    ) throws(LetheError) -> DecodedImage {
        try decode(bytes, limits: limits, arena: arena, deadline: deadline, keepingShortSide: nil, region: nil, known: nil).image
    }

    /// Decodes the whole frame reduced, for an analysis that reads full resolution only inside one
    /// rectangle it finds on the reduced frame (a face): a JPEG is scaled in libjpeg's inverse DCT
    /// by the largest of 1/2, 1/4, 1/8 that keeps its short side at least `minimumShortSide`, so
    /// that its full resolution is never decoded whole; other formats, JPEGs that small, and every
    /// photo when `minimumShortSide` is nil are decoded whole (reduction 1), their own full resolution.
    ///
    /// With `decodingWholeBeside` (an analysis, which reads a window of the full resolution next),
    /// when the request has a second core free (`RequestThreads`), the budget room for both and
    /// the photo at most `limits.maxPixelsWholeBesideOverview`, the full resolution is decoded whole on
    /// a helper thread while this one decodes the overview and returns with it: the analysis of
    /// the overview (the detector, the mesh) begins while the whole is still decoding (it takes
    /// longer: at one device, ~30 ms of a core left idle when this thread waited for it), and the
    /// first window it asks for waits for the whole (`RequestThreads.Pending`), which then is every
    /// window. The same libvips pipeline decodes both ways, so the window's pixels are the same
    /// bytes. A failed decode beside the overview only leaves the window to be decoded later.
    ///
    /// The returned photo reads its windows from `bytes` (`ReducedPhoto.window(_:)`): they must
    /// stay valid while it is used. Throws as `decode(_:limits:arena:deadline:)`.
    public static func decodeReduced(
        _ bytes: UnsafeRawBufferPointer, keepingShortSide minimumShortSide: Int?, limits: DecodeLimits, arena: PlaintextArena,
        deadline: ProcessingDeadline? = nil, decodingWholeBeside: Bool = true
    ) throws(LetheError) -> ReducedPhoto {
        func decodeOverview() -> Result<Decoded, LetheError> {
            Result { () throws(LetheError) in
                try decode(bytes, limits: limits, arena: arena, deadline: deadline, keepingShortSide: minimumShortSide, region: nil, known: nil)
            }
        }
        let besideWorthIt = decodingWholeBeside
            && (minimumShortSide.map { worthDecodingWholeBesideOverview(bytes, keepingShortSide: $0, limits: limits) } ?? false)
        let whole = !besideWorthIt ? nil : RequestThreads.begin { () -> DecodedImage? in
            try? decode(bytes, limits: limits, arena: arena, deadline: deadline, keepingShortSide: nil, region: nil, known: nil).image
        }
        let decoded: Decoded
        do { decoded = try decodeOverview().get() } catch {
            if let image = whole?.join() { arena.release(image.pixels) }
            throw error
        }
        guard decoded.reduction > 1 else {
            if let image = whole?.join() { arena.release(image.pixels) }
            return ReducedPhoto(whole: decoded.image)
        }
        // The window decodes read the same bytes: what the first one found about them holds.
        let known = decoded.findings
        return ReducedPhoto(
            overview: decoded.image, reduction: decoded.reduction, width: decoded.photoWidth, height: decoded.photoHeight, whole: whole
        ) { (region) throws(LetheError) in
            try decode(bytes, limits: limits, arena: arena, deadline: deadline, keepingShortSide: nil, region: region, known: known).image
        }
    }

    /// Whether to decode `bytes` whole beside its overview: a JPEG its header says will be reduced,
    /// no larger than `limits.maxPixelsWholeBesideOverview`, with room in the memory budget for both
    /// decodes (the whole's decoder and pixels, the overview's decoder; the overview's pixels are
    /// smaller), so that the decode beside never takes the room the overview needs.
    private static func worthDecodingWholeBesideOverview(_ bytes: UnsafeRawBufferPointer, keepingShortSide minimumShortSide: Int, limits: DecodeLimits) -> Bool {
        guard ImageFormat.sniff(bytes) == .jpeg, let size = DeclaredSize.of(bytes, format: .jpeg),
              reduction(shortSide: min(size.width, size.height), keeping: minimumShortSide) > 1
        else { return false }
        let pixels = size.width * size.height
        guard pixels <= min(limits.maxPixelsWholeBesideOverview, limits.maxPixels) else { return false }
        return MemoryBudget.capacityBytes - MemoryBudget.reservedBytes >= 4 * pixels * DecodedImage.bytesPerPixel
    }

    /// What a decode found out about the bytes beyond their pixels, which a later decode of the
    /// same bytes (a window of a reduced photo) need not find out again: that a JPEG's scans are
    /// within the limit (the decode went ahead), and whether the embedded ICC profile is sRGB in
    /// effect (`EmbeddedProfile.isSRGB`, nil when it was not asked: no profile, or not 8-bit RGB).
    struct Findings {
        var profileIsSRGB: Bool?
    }

    /// One decode: the whole photo, reduced to keep a short side (JPEG only), or a window of it at
    /// full resolution (`region`, photo pixels after orientation, inside the photo): a sequential
    /// load then decodes the rows down to the window's last and keeps only the window's pixels.
    /// `known`: an earlier decode's findings about the same bytes.
    private static func decode(
        _ bytes: UnsafeRawBufferPointer, limits: DecodeLimits, arena: PlaintextArena, deadline: ProcessingDeadline?,
        keepingShortSide: Int?, region: PixelRect?, known: Findings?
    ) throws(LetheError) -> Decoded {
        guard let base = bytes.baseAddress, bytes.count > 0 else { throw .emptyBody }
        guard bytes.count <= limits.maxBytes else {
            throw .payloadTooLarge(byteCount: bytes.count, limit: limits.maxBytes)
        }
        guard let format = ImageFormat.sniff(bytes) else { throw .unsupportedMediaType }
        if format == .jpeg, known == nil {
            let scans = JPEGScanCount.scans(in: bytes, stoppingAfter: limits.maxJPEGScans)
            guard scans <= limits.maxJPEGScans else { throw .imageTooComplex(scanLimit: limits.maxJPEGScans) }
        }
        if let declared = DeclaredSize.of(bytes, format: format) {
            try checkPixelLimit(width: declared.width, height: declared.height, limits: limits)
        }
        try VipsRuntime.ensureStarted()
        // libvips' error text may quote decoder internals; we never forward it, only clear it.
        // vips_thread_shutdown frees this thread's libvips pixel buffers now rather than at exit.
        defer {
            vips_error_clear()
            vips_thread_shutdown()
        }
        try deadline?.check()
        return try decodePipeline(
            base, count: bytes.count, format: format, limits: limits, arena: arena, deadline: deadline,
            keepingShortSide: keepingShortSide, region: region, known: known)
    }

    /// What one decode made: the pixels, and the photo they are of.
    private struct Decoded {
        var image: DecodedImage
        /// Photo pixels per decoded pixel (1 unless reduced).
        var reduction: Int
        /// The photo's full-resolution size, after orientation.
        var photoWidth: Int, photoHeight: Int
        var findings: Findings
    }

    /// The reduction of a JPEG whose short side is `shortSide`: the largest DCT scaling that keeps
    /// it at least `minimum`.
    static func reduction(shortSide: Int, keeping minimum: Int) -> Int {
        [8, 4, 2].first { shortSide / $0 >= minimum } ?? 1
    }

    private static func decodePipeline(
        _ base: UnsafeRawPointer, count: Int, format: ImageFormat, limits: DecodeLimits, arena: PlaintextArena,
        deadline: ProcessingDeadline?, keepingShortSide: Int?, region: PixelRect?, known: Findings?
    ) throws(LetheError) -> Decoded {
        // The load call only reads the header; pixels are decoded when the strip pull asks for them.
        guard let header = load(base, count: count, format: format, shrink: 1) else {
            if format == .heif && !VipsRuntime.heifAvailable {
                throw .imagingUnavailable("this libvips build cannot decode HEIF")
            }
            throw .imageCorrupt(format, stage: "header")
        }
        let width = header.width
        let height = header.height
        guard width > 0, height > 0 else { throw .imageCorrupt(format, stage: "header") }
        try checkPixelLimit(width: width, height: height, limits: limits)
        // The strip pull shows the stored pixels upright; orientations 5–8 turn the photo a
        // quarter: its width is the stored height.
        let orientation = Orientation(lethe_vips_orientation(header.pointer))
        let (photoWidth, photoHeight) = orientation.shownSize(width: width, height: height)
        let reduction = format == .jpeg ? keepingShortSide.map { Self.reduction(shortSide: min(width, height), keeping: $0) } ?? 1 : 1
        guard let loaded = reduction == 1 ? header : load(base, count: count, format: format, shrink: reduction) else {
            throw .imageCorrupt(format, stage: "header")
        }

        // A sequential progressive JPEG keeps every DCT coefficient in libjpeg until its last
        // scan, whatever the scaling: reserve the full decoded size of the memory budget until the
        // pixels are ours.
        let sampleBytes = Int(vips_format_sizeof(header.bandFormat))
        let decoderBytes = width * height * max(3, header.bands) * max(1, sampleBytes)
        guard MemoryBudget.reserve(decoderBytes) else { throw .memoryBudgetExceeded(byteCount: decoderBytes) }
        defer { MemoryBudget.release(decoderBytes) }

        // libvips signals progress on the loaded image: that stops at the deadline. The strip pull
        // below checks it per strip. The handlers go before the images do.
        deadline?.watch(loaded.pointer)
        defer { deadline?.unwatch(loaded.pointer) }
        try deadline?.check()

        var findings = known ?? Findings()
        guard let whole = canonicalSRGB8(loaded, profileIsSRGB: &findings.profileIsSRGB) else {
            throw .imageCorrupt(format, stage: "colour conversion")
        }
        // The strip pull below trusts these to size our buffer: check them exactly.
        guard whole.width * whole.height == loaded.width * loaded.height, whole.bands == 3,
              whole.bandFormat == VIPS_FORMAT_UCHAR else {
            throw .imageCorrupt(format, stage: "colour conversion")
        }
        // `whole` is as stored; `canonical` is what is pulled (a window: the stored rectangle that
        // shows as the region), shown upright by the pull.
        var canonical = whole
        if let region {
            // Ours, not the file's: the analysis asks for a rectangle of the photo it measured.
            let shown = orientation.shownSize(width: whole.width, height: whole.height)
            let stored = orientation.storedRect(showing: region, storedWidth: whole.width, storedHeight: whole.height)
            guard reduction == 1, region.width > 0, region.height > 0, region.x >= 0, region.y >= 0,
                  region.x + region.width <= shown.width, region.y + region.height <= shown.height,
                  let window = whole.then({ lethe_vips_extract_area($0, $1, Int32(stored.x), Int32(stored.y), Int32(stored.width), Int32(stored.height)) })
            else { throw .internalError }
            canonical = window
        }
        let shown = orientation.shownSize(width: canonical.width, height: canonical.height)

        let byteCount = canonical.width * canonical.height * DecodedImage.bytesPerPixel
        let pixels: SecureBuffer
        do {
            pixels = try arena.allocate(count: byteCount, bufferClass: .pixels)
        } catch {
            throw .allocationFailed(error, "\(byteCount) bytes for pixels", reportedAs: .imagingUnavailable)
        }
        // Allocating and locking the pixel buffer takes a while for a large photo.
        do throws(LetheError) { try deadline?.check() } catch {
            arena.release(pixels)
            throw error
        }
        // A strip of stored rows, for an orientation to place (nothing when upright: pulled in place).
        let strip: SecureBuffer?
        do {
            strip = orientation == .upright ? nil : try arena.allocate(count: stripRows(canonical) * canonical.width * DecodedImage.bytesPerPixel, bufferClass: .pixels)
        } catch {
            arena.release(pixels)
            throw .allocationFailed(error, "a strip of pixels to orient", reportedAs: .imagingUnavailable)
        }
        defer { if let strip { arena.release(strip) } }
        let written = pixels.withUnsafeMutableBytes { target -> Bool in
            guard let target = target.baseAddress else { return false }
            func pull() -> Bool {
                guard let strip else { return pullStrips(of: canonical, into: target, byteCount: byteCount, rows: canonical.height, deadline: deadline) }
                // Each strip of stored rows placed upright in the pixels (`Orientation.place`).
                let shown = target.assumingMemoryBound(to: UInt8.self)
                return strip.withUnsafeMutableBytes { stripBytes in
                    guard let stored = stripBytes.baseAddress else { return false }
                    return pullStrips(of: canonical, into: stored, byteCount: stripBytes.count, rows: stripRows(canonical), deadline: deadline) { top, rows in
                        orientation.place(
                            strip: stored.assumingMemoryBound(to: UInt8.self), rows: rows, top: top, width: canonical.width, height: canonical.height,
                            into: shown)
                    }
                }
            }
            guard let deadline else { return ProcessingDeadline.runningCodecWithoutDeadline(pull) }
            return deadline.chargingCodecOnCallingThread(pull)
        }
        guard written else {
            arena.release(pixels)
            // A computation stopped at the deadline fails like a broken file: say which it was.
            if let deadline, let reason = deadline.exceeded { throw .processingDeadlineExceeded(reason, limits: deadline.limits) }
            throw .imageCorrupt(format, stage: "pixel data")
        }
        var image = DecodedImage(
            width: shown.width, height: shown.height, format: format, pixels: pixels, originX: region?.x ?? 0, originY: region?.y ?? 0)
        if format == .jpeg { image.equivalentJPEGQuality = JPEGQuantisation.equivalentQuality(in: UnsafeRawBufferPointer(start: base, count: count)) }
        return Decoded(image: image, reduction: reduction, photoWidth: photoWidth, photoHeight: photoHeight, findings: findings)
    }

    /// Refuses a width × height beyond `limits.maxPixels` (overflow-safe).
    private static func checkPixelLimit(width: Int, height: Int, limits: DecodeLimits) throws(LetheError) {
        let (pixels, overflow) = width.multipliedReportingOverflow(by: height)
        guard !overflow, pixels <= limits.maxPixels else {
            throw .imageTooLarge(width: width, height: height, limit: limits.maxPixels)
        }
    }

    /// Computes `image` (3-band 8-bit) strip by strip, top to bottom, on the calling thread, into
    /// `memory`, `image.width` pixels wide and `rows` high: the whole image's rows, landing in
    /// place; or one strip's (`stripRows(image)`), each strip handed to `place` with its first
    /// row and row count once computed. The deadline is checked between strips (the caller checks
    /// it before the first).
    ///
    /// Not `vips_image_write`: its worker threads are served a sequential load from a small line
    /// cache, and a worker that the scheduler holds back long enough asks for lines the loader has
    /// passed and fails the write (on a loaded machine that refused a valid progressive JPEG as
    /// `image_corrupt`). Here one thread asks for every row once, in order.
    private static func pullStrips(
        of image: VipsImageHandle, into memory: UnsafeMutableRawPointer, byteCount: Int, rows: Int, deadline: ProcessingDeadline?,
        place: ((_ top: Int, _ rows: Int) -> Void)? = nil
    ) -> Bool {
        guard byteCount >= image.width * rows * DecodedImage.bytesPerPixel,
              let wrapped = vips_image_new_from_memory(memory, byteCount, Int32(image.width), Int32(rows), 3, VIPS_FORMAT_UCHAR)
        else { return false }
        let destinationImage = VipsImageHandle(wrapped)
        guard let source = vips_region_new(image.pointer) else { return false }
        defer { lethe_vips_region_unref(source) }
        guard let destination = vips_region_new(destinationImage.pointer) else { return false }
        defer { lethe_vips_region_unref(destination) }
        guard lethe_vips_region_attach_memory(destination) == 0 else { return false }

        let height = Int32(image.height), stripHeight = Int32(stripRows(image))
        var top: Int32 = 0
        while top < height {
            let count = min(stripHeight, height - top)
            if let place {
                guard lethe_vips_prepare_rows_into_strip(source, destination, top, count) == 0 else { return false }
                place(Int(top), Int(count))
            } else {
                guard lethe_vips_prepare_rows_to(source, destination, top, count) == 0 else { return false }
            }
            top += count
            // Between strips, so that a deadline ended at a progress report stops a decode under way.
            if top < height, let deadline, deadline.reportProgressAndCheckPassed() { return false }
        }
        return true
    }

    /// The rows of a strip: libvips' own sinks' (its demand hint), at least 8.
    private static func stripRows(_ image: VipsImageHandle) -> Int { Int(max(8, lethe_vips_strip_height(image.pointer))) }

    /// Calls the sniffed format's loader with `access=sequential`: decoded once, strip by strip,
    /// into our buffer by the strip pull, with no whole-image copy in libvips' memory and never a
    /// temp file; an EXIF orientation is applied by the pull (`Orientation`), not by libvips.
    /// `shrink` (JPEG only): libjpeg's DCT scaling, 1, 2, 4 or 8.
    private static func load(_ base: UnsafeRawPointer, count: Int, format: ImageFormat, shrink: Int) -> VipsImageHandle? {
        VipsImageHandle.make { output in
            switch format {
            case .jpeg where shrink > 1: lethe_vips_jpegload_buffer_shrunk(base, count, output, failOn, 1, Int32(shrink))
            case .jpeg: lethe_vips_jpegload_buffer(base, count, output, failOn, 1)
            case .png: lethe_vips_pngload_buffer(base, count, output, failOn, 1)
            case .webp: lethe_vips_webpload_buffer(base, count, output, failOn, 1)
            case .heif: lethe_vips_heifload_buffer(base, count, output, failOn, 1)
            }
        }
    }

    /// Builds (lazily) the pipeline to 3-band 8-bit sRGB. Intermediate handles unref as they go
    /// out of scope; libvips keeps what the pipeline still needs alive through its own refs.
    /// `profileIsSRGB`: whether the embedded profile is sRGB in effect, when already known (the
    /// same bytes decoded before); set when it is measured here.
    private static func canonicalSRGB8(_ loaded: VipsImageHandle, profileIsSRGB: inout Bool?) -> VipsImageHandle? {
        var image = loaded

        // Colour: the embedded profile when there is one (phones shoot Display P3), else the
        // interpretation libvips derived from the header (grey, CMYK, 16-bit RGB...). An 8-bit
        // RGB photo tagged with an sRGB profile is already what the transform would make, to
        // within its own rounding: it is not transformed (the transform of every pixel cost more
        // than the decode itself).
        func isSRGB() -> Bool {
            if let known = profileIsSRGB { return known }
            let measured = EmbeddedProfile.isSRGB(image)
            profileIsSRGB = measured
            return measured
        }
        if lethe_vips_has_icc_profile(image.pointer) == 1, !isEightBitRGB(image) || !isSRGB(),
           let converted = image.then(lethe_vips_icc_to_srgb) {
            image = converted
        } else {
            vips_error_clear()
            if image.interpretation != VIPS_INTERPRETATION_sRGB,
               vips_colourspace_issupported(image.pointer) != 0,
               let converted = image.then({ lethe_vips_colourspace($0, $1, VIPS_INTERPRETATION_sRGB) }) {
                image = converted
            }
        }

        let sixteenBit = image.bandFormat == VIPS_FORMAT_USHORT
        if image.hasAlpha {
            let white = sixteenBit ? 65535.0 : 255.0
            guard let flattened = image.then({ lethe_vips_flatten_white($0, $1, white, white) }) else { return nil }
            image = flattened
        }
        if image.bands > 3 {
            guard let extracted = image.then({ lethe_vips_extract_bands($0, $1, 0, 3) }) else { return nil }
            image = extracted
        }
        if sixteenBit || image.bandFormat == VIPS_FORMAT_USHORT {
            guard let shifted = image.then({ lethe_vips_shift_right($0, $1, 8) }) else { return nil }
            image = shifted
        }
        if image.bandFormat != VIPS_FORMAT_UCHAR {
            guard let cast = image.then(lethe_vips_cast_uchar) else { return nil }
            image = cast
        }
        return image
    }

    /// 8-bit RGB, with or without alpha: the layout an sRGB profile may be skipped for.
    private static func isEightBitRGB(_ image: VipsImageHandle) -> Bool {
        image.bandFormat == VIPS_FORMAT_UCHAR && image.interpretation == VIPS_INTERPRETATION_sRGB
            && (image.bands == 3 || (image.bands == 4 && image.hasAlpha))
    }
}
