import LetheAPI
import LetheImaging
import LetheMemory

/// Renders what a request asked to see — concern masks, an overlay and the after-care preview —
/// from the photo and its analysis, at the requested output size and format. A mask is the pixels
/// its measure counted (the analysis' `ConcernLabels`, resampled to the output size); every plane
/// and every encoded image is a `.rendering` arena buffer, so the request's deletion record counts them.
public enum SimulationRenderer {
    /// Opacity of a mask's legend colour in the overlay.
    static let overlayOpacity = 0.55

    /// - Parameters:
    ///   - photo: the decoded photo, whole or reduced to no less than the output size
    ///     (`decodeShortSide`).
    ///   - analysis: its analysis, run with `labelling` (the pixels each measure counted).
    /// - Throws: `analysis_unavailable` when memory or the encoder is not available, or the
    ///   analysis kept no labels; `light_not_supported` for a UV photo.
    public static func render(
        _ photo: ReducedPhoto, analysis: PhotoAnalysisResult, request: SimulationRequest,
        arena: PlaintextArena
    ) throws(LetheError) -> SimulationRendering {
        // The masks and the preview are of skin in visible light; a UV photo shows the lamp's colour.
        guard analysis.ultraviolet == nil else { throw .simulationNeedsVisibleLight }
        let image = photo.overview
        let size = ImageResampler.fittedSize(width: photo.width, height: photo.height, maxDimension: request.output.maxDimension)
        precondition(image.width >= size.width && image.height >= size.height, "the photo is reduced below the output size")
        let resized = image.width != size.width || image.height != size.height
        let source = resized ? try ImageResampler.resize(image, width: size.width, height: size.height, arena: arena) : image
        defer { if resized { arena.release(source.pixels) } }

        guard let labels = analysis.labels else { throw .analysisUnavailable("the analysis kept no concern labels to render") }
        let planes = try masksAndPreview(source, labels: labels, photoWidth: photo.width, photoHeight: photo.height, request: request, arena: arena)
        defer {
            planes.masks.map(\.1).release(to: arena)
            if let preview = planes.preview { arena.release(preview) }
        }

        var encoded: [SecureBuffer] = []
        var completed = false
        defer { if !completed { for buffer in encoded { arena.release(buffer) } } }
        func encode(_ pixels: SecureBuffer, bands: Int, format: ImageFormat, pngCompression: Int = 6) throws(LetheError) -> SimulationRendering.Image {
            let buffer = try Self.encode(
                pixels, width: source.width, height: source.height, bands: bands, format: format, quality: request.output.quality,
                pngCompression: pngCompression, arena: arena)
            encoded.append(buffer)
            return SimulationRendering.Image(encoded: buffer, format: format, width: source.width, height: source.height)
        }

        var masks: [SimulationRendering.Mask] = []
        for (concern, alpha) in planes.masks {
            let rgba = try colouredMask(alpha, concern: concern, arena: arena)
            defer { arena.release(rgba.buffer) }
            // zlib's fastest level: a two-level mask compresses to about 20 KB at 1024 × 768 there
            // (7 KB at 6, zlib's default, in three times the CPU: 38 → 16 ms a request for four masks).
            masks.append(.init(concern: concern, image: try encode(rgba.buffer, bands: 4, format: .png, pngCompression: 1), pixelFraction: rgba.fraction))
        }
        var overlay: SimulationRendering.Image?
        if !planes.masks.isEmpty {
            let blended = try blend(source, masks: planes.masks, arena: arena)
            defer { arena.release(blended) }
            overlay = try encode(blended, bands: 3, format: request.output.format)
        }
        let preview = try planes.preview.map { buffer throws(LetheError) in try encode(buffer, bands: 3, format: request.output.format) }
        completed = true
        return SimulationRendering(
            width: source.width, height: source.height, preview: preview, overlay: overlay, masks: masks, request: request)
    }

    /// `render` of a photo decoded whole.
    public static func render(
        _ image: DecodedImage, analysis: PhotoAnalysisResult, request: SimulationRequest,
        arena: PlaintextArena
    ) throws(LetheError) -> SimulationRendering {
        try render(ReducedPhoto(whole: image), analysis: analysis, request: request, arena: arena)
    }

    /// The short side to decode a photo `width` × `height` reduced to for `request`'s renderings
    /// (`ImageDecoder.decodeReduced`): its output's, so that a JPEG larger than the output is
    /// scaled in libjpeg's inverse DCT and never decoded whole at full resolution for them.
    public static func decodeShortSide(width: Int, height: Int, request: SimulationRequest) -> Int {
        let size = ImageResampler.fittedSize(width: width, height: height, maxDimension: request.output.maxDimension)
        return min(size.width, size.height)
    }

    /// The analysis' labels in the output's pixels, masks of them, and (skin and face) the preview
    /// when a preview concern was asked for (edited in a working image of the labelled crop at the
    /// output size).
    private static func masksAndPreview(
        _ image: DecodedImage, labels analysed: ConcernLabels, photoWidth: Int, photoHeight: Int, request: SimulationRequest,
        arena: PlaintextArena
    ) throws(LetheError) -> (masks: [(SimulationConcern, Plane<UInt8>)], preview: SecureBuffer?) {
        let labels = try analysed.resampled(
            photoWidth: photoWidth, photoHeight: photoHeight, outputWidth: image.width, outputHeight: image.height, arena: arena)
        defer { labels.release(arena) }
        let crop = PixelRect(x: labels.originX, y: labels.originY, width: labels.width, height: labels.height)

        var masks: [(SimulationConcern, Plane<UInt8>)] = []
        var completed = false
        defer { if !completed { masks.map(\.1).release(to: arena) } }
        for concern in request.concerns {
            let flag = ConcernLabels.flag(of: concern)
            guard flag != 0 else { continue }
            let mask = try Plane<UInt8>(width: image.width, height: image.height, what: "the mask", bufferClass: .rendering, arena: arena)
            masks.append((concern, mask))
            let label = labels.labels.pixels, alpha = mask.pixels
            for y in 0..<labels.height {
                for x in 0..<labels.width where label[y * labels.width + x] & flag != 0 {
                    alpha[(labels.originY + y) * image.width + labels.originX + x] = 255
                }
            }
        }
        var preview: SecureBuffer?
        if request.concerns.contains(where: \.changesPreview) {
            guard let skin = labels.skin else { throw .analysisUnavailable("a scalp has no after-care preview") }
            let output = try allocate(image.width * image.height * 3, "preview", arena: arena)
            preview = output
            do {
                image.pixels.withUnsafeBytes { source in output.withUnsafeMutableBytes { $0.copyMemory(from: source) } }
                // A labelled crop that covers no output pixel edits none.
                if crop.area > 0 {
                    let work = try WorkingImage.make(image, crop: crop, factor: 1, arena: arena)
                    defer { work.release(arena) }
                    try AfterCarePreview.render(image, work: work, labels: labels, skin: skin, request: request, output: output, arena: arena)
                }
            } catch {
                arena.release(output)
                throw error
            }
        }
        completed = true
        return (masks, preview)
    }

    /// RGBA pixels: the legend colour everywhere, alpha = the mask.
    private static func colouredMask(_ alpha: Plane<UInt8>, concern: SimulationConcern, arena: PlaintextArena) throws(LetheError) -> (buffer: SecureBuffer, fraction: Double) {
        let rgba = try allocate(alpha.count * 4, "mask image", arena: arena)
        let (r, g, b) = concern.legendColour
        var covered = 0
        let source = alpha.pixels, target = rgba.elements(as: UInt8.self)
        for i in 0..<alpha.count {
            target[4 * i] = r; target[4 * i + 1] = g; target[4 * i + 2] = b; target[4 * i + 3] = source[i]
            if source[i] != 0 { covered += 1 }
        }
        return (rgba, Double(covered) / Double(max(1, alpha.count)))
    }

    /// The photo with each mask blended in its legend colour, in request order.
    private static func blend(_ image: DecodedImage, masks: [(SimulationConcern, Plane<UInt8>)], arena: PlaintextArena) throws(LetheError) -> SecureBuffer {
        let output = try allocate(image.pixels.count, "overlay", arena: arena)
        image.pixels.withUnsafeBytes { source in output.withUnsafeMutableBytes { $0.copyMemory(from: source) } }
        for (concern, mask) in masks {
            let colour = concern.legendColour
            let legend = [Double(colour.red), Double(colour.green), Double(colour.blue)]
            let alpha = mask.pixels, target = output.elements(as: UInt8.self)
            for i in 0..<mask.count where alpha[i] != 0 {
                let weight = overlayOpacity * Double(alpha[i]) / 255
                for channel in 0..<3 {
                    let value = Double(target[3 * i + channel]) * (1 - weight) + legend[channel] * weight
                    target[3 * i + channel] = UInt8(value.rounded())
                }
            }
        }
        return output
    }

    /// Encodes pixels with libvips; the encoded bytes go straight into a `.rendering` buffer.
    static func encode(
        _ pixels: SecureBuffer, width: Int, height: Int, bands: Int, format: ImageFormat, quality: Int, pngCompression: Int,
        arena: PlaintextArena
    ) throws(LetheError) -> SecureBuffer {
        do {
            return try pixels.withUnsafeBytes { bytes throws(LetheError) in
                try ImageEncoder.withEncoded(
                    bytes, width: width, height: height, bands: bands, as: format, quality: quality, pngCompression: pngCompression
                ) { encoded throws(LetheError) in
                    try arena.copy(encoded, bufferClass: .rendering)
                }
            }
        } catch {
            throw .analysisUnavailable("the \(format.rawValue) rendering could not be encoded (\(error.code))")
        }
    }

    private static func allocate(_ count: Int, _ what: String, arena: PlaintextArena) throws(LetheError) -> SecureBuffer {
        do { return try arena.allocate(count: count, bufferClass: .rendering) } catch {
            throw .analysisAllocationFailed(error, "the \(what)")
        }
    }
}
