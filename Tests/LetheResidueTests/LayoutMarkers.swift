import Foundation
@testable import LetheAnalysis
import LetheAPI
import LetheImaging
import LetheMemory
import LetheTestSupport

/// Markers for the layouts the worker's analysis holds a photo in, besides its file and its 8-bit
/// RGB pixels (issue 18): computed here by running the worker's own code (the same internal
/// functions, through `@testable`) on the same photo, and reading the bytes each buffer holds
/// when the worker would wipe it, in the buffer's own representation (Float32 in the machine's
/// byte order — little-endian on every platform Lethe runs on — for planes, one byte per pixel for
/// masks). Each marker is taken where the random stripe lies, so it is informative; the stripe is
/// analysed at factor 1 (no box-averaging or resampling at the marker sizes).
///
/// Kinds (the part of a marker's name before `#`), and the buffer that holds each:
/// - `lab L* plane`, `lab a* plane`, `lab b* plane`, `erythema plane`: `WorkingImage.planes`
///   (four Float32 planes, plane-major).
/// - `brightness plane`: the quality gate's luma plane (`ImageScan`, Float32, box-averaged by
///   the gate's own `scale`, 1 at the marker sizes).
/// - `skin mask`: `WorkingImage.skin` as the measures leave it, one byte per pixel (the quality
///   gate's rule at factor 1, checked against the gate's mask, plus the saturation bits
///   `clippedBit`/`whiteClippedBit` and `surfaceBit` where the stripe crosses a hole enclosed by skin).
/// - `ridge plane`: `LocalContrast`'s smoothed plane as the measures leave it (the ridge-smoothed
///   L*, Float32, smoothed into it once the regions have read the evenness band); not its
///   background plane (see below).
/// - `mark mask`: `MarkDetector`'s member mask, one byte 0/1 per pixel.
/// - `libwebp argb` (lossless WebP uploads): libwebp's decoded ARGB words, bytes B, G, R, A.
/// - `face crop L* plane` (`kind=face`): the face crop's working image, L* plane.
/// - `concern labels`, `simulation mask`, `preview pixels` (simulations): `ConcernLabels`' flag
///   per pixel, a concern's mask (255 per labelled pixel), the after-care preview's RGB pixels
///   where the edit changed them.
enum LayoutMarkers {
    /// The worker's JSON encoding of results (`AnalysisPipeline.encoder`).
    static let resultEncoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    /// The layout markers of `photo`'s analysis (see the type's documentation).
    static func of(_ photo: MarkerPhoto) throws -> [Marker] {
        let arena = PlaintextArena()
        defer { _ = arena.wipeAll() }
        let image = try photo.encoded.withUnsafeBytes { try ImageDecoder.decode($0, limits: DecodeLimits(), arena: arena) }
        let seed = photo.fileMarker.name.split(separator: "#").last.map(String.init) ?? "?"
        return photo.kind == "face"
            ? try faceLayouts(image, seed: seed, arena: arena)
            : try skinLayouts(image, stripe: photo.stripe, format: image.format, seed: seed, arena: arena)
    }

    /// The face result (`FaceAnalysisResult`) the worker answers with for `file`, encoded as it does.
    static func faceResult(of file: Data) throws -> Data {
        let arena = PlaintextArena()
        defer { _ = arena.wipeAll() }
        let image = try file.withUnsafeBytes { try ImageDecoder.decode($0, limits: DecodeLimits(), arena: arena) }
        let (_, face, _) = try FaceAnalyzer.analyze(image, models: try models(), configuration: SkinAnalysisConfiguration(), arena: arena)
        return try resultEncoder.encode(face)
    }

    private static func models() throws -> AnalysisModels {
        let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Config/models")
        return try AnalysisModels.load(directory: directory.path)
    }

    private static func skinLayouts(_ image: DecodedImage, stripe: PixelRect, format: ImageFormat, seed: String, arena: PlaintextArena) throws -> [Marker] {
        var markers: [Marker] = []
        let width = image.width, height = image.height

        // The quality gate: mask at full resolution, luma plane box-averaged by `scale`.
        let quality = SkinAnalysisConfiguration()
        let scale = max(1, min(width, height) / max(1, quality.blurWorkingShortSidePixels))
        guard scale == 1 else { throw HarnessError("marker photos must be analysed without averaging (gate scale \(scale))") }
        let mask = try arena.allocate(count: width * height, bufferClass: .intermediate)
        let luma = try arena.allocate(count: width * height * MemoryLayout<Float>.stride, bufferClass: .intermediate)
        _ = image.pixels.withUnsafeBytes { pixels in
            mask.withUnsafeMutableBytes { maskBytes in
                luma.withUnsafeMutableBytes { lumaBytes in
                    ImageScan.run(
                        pixels: pixels, width: width, height: height, mask: maskBytes, plane: lumaBytes.bindMemory(to: Float.self),
                        planeWidth: width, planeHeight: height, scale: 1)
                }
            }
        }
        markers.append(try floatRow(luma, plane: 0, planeSize: width * height, width: width, stripe: stripe, name: "brightness plane#\(seed)"))

        // The measures, as `SkinConcernMeasurer.measure` holds them before its per-region loops.
        let measures = SkinMeasureConfiguration()
        let factor = max(1, (max(width, height) + measures.workingLongSidePixels - 1) / measures.workingLongSidePixels)
        guard factor == 1 else { throw HarnessError("marker photos must be analysed without averaging (working factor \(factor))") }
        // As `SkinConcernMeasurer` makes it: saturated pixels flagged in the skin mask.
        let work = try WorkingImage.make(
            image, crop: PixelRect(x: 0, y: 0, width: width, height: height), factor: 1, markClipped: true, arena: arena)
        let detected = try SkinConcernMeasurer.detectMarks(work, workingMillimetres: nil, configuration: measures, arena: arena)
        try SkinConcernMeasurer.smoothForRidges(work, into: detected.contrast.smoothed, configuration: measures, arena: arena)
        // Without the clipping bits the working image's mask is the gate's (same rule, factor 1).
        let gateMaskOfWork = try byteRow(work.skin.buffer, width: width, stripe: stripe).map { $0 & (WorkingImage.skinBit | WorkingImage.surfaceBit) }
        // Then the skin surface (highlights enclosed by skin) is marked in `WorkingImage.skin`.
        work.markEnclosedSurface(queue: try Plane<Int32>(width: width, height: height, what: "the skin surface's queue", arena: arena).pixels)
        let count = width * height
        markers.append(try floatRow(work.lightness.buffer, plane: 0, planeSize: count, width: width, stripe: stripe, name: "lab L* plane#\(seed)"))
        guard let chroma = work.chroma else { throw HarnessError("the working image's colour planes were released") }
        for (index, name) in ["lab a* plane", "lab b* plane", "erythema plane"].enumerated() {
            markers.append(try row(of: Int16.self, chroma.buffer, plane: index, planeSize: count, width: width, stripe: stripe, name: "\(name)#\(seed)"))
        }
        let gateMask = try byteRow(mask, width: width, stripe: stripe)
        guard gateMask == gateMaskOfWork else {
            throw HarnessError("the gate's skin mask and the working image's differ at factor 1")
        }
        // The mask as the worker holds it until the wipe: the clipping bits, and `surfaceBit` where
        // the stripe crosses a hole of the skin mask enclosed by skin.
        markers += try maskMarker(try byteRow(work.skin.buffer, width: width, stripe: stripe), in: work.skin.buffer, stripe: stripe, name: "skin mask#\(seed)")
        // Not the background L* plane: a weighted box blur of radius ≥ 80 pixels, it changes so
        // little along a row that no 64-byte window of it is informative (a marker from it would
        // prove nothing). The contrast is computed from it and the smoothed plane on the fly. The
        // smoothed plane holds the ridges last (the evenness band before them is of skin pixels
        // only, none of the stripe's).
        markers.append(try floatRow(detected.contrast.smoothed.buffer, plane: 0, planeSize: count, width: width, stripe: stripe, name: "ridge plane#\(seed)"))
        markers += try maskMarker(try byteRow(detected.members.buffer, width: width, stripe: stripe), in: detected.members.buffer, stripe: stripe, name: "mark mask#\(seed)")

        markers += try simulationLayouts(image, stripe: stripe, seed: seed, arena: arena)

        if format == .webp {
            // libwebp decodes lossless images into 32-bit ARGB words (VP8L), in memory B, G, R, A.
            let argb = try image.pixels.withUnsafeBytes { pixels -> [UInt8] in
                let start = (stripe.y * width + stripe.x) * 3
                return (0..<stripe.width).flatMap { pixel -> [UInt8] in
                    let offset = start + pixel * 3
                    return [pixels[offset + 2], pixels[offset + 1], pixels[offset], 0xFF]
                }
            }
            markers.append(try Marker.informative(in: argb, length: 64, name: "libwebp argb#\(seed)"))
        }
        return markers
    }

    /// What the residue scenarios ask to see (`simulate=spots,redness,pores,wrinkles,evenness`,
    /// strength 1, PNG): at the marker sizes no resizing, so the renderer works at factor 1.
    static let simulation = SimulationRequest(
        concerns: [.spots, .redness, .pores, .wrinkles, .evenness],
        strengths: [.spots: 1, .redness: 1, .pores: 1, .wrinkles: 1, .evenness: 1], output: SimulationOutput(format: .png))

    /// As `SimulationRenderer.skinMasksAndPreview` for a close-up: the concern labels the
    /// analysis drew (`labelling`; resampled at scale 1 they are the same bytes), each concern's
    /// mask (255 per labelled pixel) and the after-care preview's RGB pixels.
    private static func simulationLayouts(_ image: DecodedImage, stripe: PixelRect, seed: String, arena: PlaintextArena) throws -> [Marker] {
        let width = image.width
        let analysed = try SkinAnalyzer.analyze(
            image, configuration: SkinAnalysisConfiguration(), measures: SkinMeasureConfiguration(), millimetresPerPixel: nil,
            scaleSource: nil, profile: nil, releasingPixels: false, labelling: true, arena: arena)
        guard let labels = analysed.labels, let skin = labels.skin, labels.factor == 1, labels.width == width, labels.height == image.height else {
            throw HarnessError("marker photos must be labelled by their analysis, without averaging")
        }
        let work = try WorkingImage.make(image, crop: PixelRect(x: 0, y: 0, width: width, height: image.height), factor: 1, arena: arena)
        var markers = try maskMarker(
            try byteRow(labels.labels.buffer, width: width, stripe: stripe), in: labels.labels.buffer, stripe: stripe, name: "concern labels#\(seed)")
        let all = Array(labels.labels.pixels)
        var masks: [Marker] = []
        for (concern, flag) in [("spots", ConcernLabels.spot), ("pores", ConcernLabels.pore), ("wrinkles", ConcernLabels.wrinkle), ("redness", ConcernLabels.red)] {
            let mask = all.map { $0 & flag != 0 ? UInt8(255) : 0 }
            let start = stripe.y * width + stripe.x
            let source = try SecureBuffer(copying: UnsafeRawBufferPointer(start: mask, count: mask.count), bufferClass: .rendering)
            defer { source.wipe() }
            // Not every concern marks the stripe: a mask that carries too few bits there is not searched.
            if let marker = try? Marker.sparse(Array(mask[start..<(start + stripe.width)]), in: source, name: "simulation mask#\(seed) \(concern)") {
                masks.append(marker)
            }
        }
        if masks.isEmpty, stripe.width >= maskStripeWidth { throw HarnessError("no simulation mask of photo \(seed) carries a marker") }
        markers += masks

        let preview = try arena.allocate(count: image.pixels.count, bufferClass: .rendering)
        image.pixels.withUnsafeBytes { source in preview.withUnsafeMutableBytes { $0.copyMemory(from: source) } }
        try AfterCarePreview.render(image, work: work, labels: labels, skin: skin, request: simulation, output: preview, arena: arena)
        // A window the edit changed: one the photo's own pixels also hold would be found in them.
        let start = (stripe.y * width + stripe.x) * 3
        let row = preview.withUnsafeBytes { Array($0[start..<(start + stripe.width * 3)]) }
        let original = image.pixels.withUnsafeBytes { Array($0) }
        let middle = (row.count - 64) / 2
        let offsets: [Int] = (0...(row.count - 64)).sorted { abs($0 - middle) < abs($1 - middle) }
        for offset in offsets {
            let window = Array(row[offset..<(offset + 64)])
            guard Marker.isInformative(window), original.withUnsafeBytes({ Search.occurrences(of: window, in: $0).isEmpty }) else { continue }
            markers.append(Marker(name: "preview pixels#\(seed)", bytes: window))
            break
        }
        if !markers.contains(where: { $0.kind == "preview pixels" }), stripe.width >= maskStripeWidth {
            throw HarnessError("the preview of photo \(seed) does not change the stripe")
        }
        return markers
    }

    private static func faceLayouts(_ image: DecodedImage, seed: String, arena: PlaintextArena) throws -> [Marker] {
        // As `FaceAnalyzer.analyze`: the face, its mesh and zones, the crop that bounds them.
        let models = try models()
        let detection = try FaceAnalyzer.locateFace(image, detector: models.faceDetector, configuration: FaceAnalysisConfiguration(), arena: arena)
        let face = detection.box
        let geometry = FaceGeometry(landmarks: try models.faceLandmarker.landmarks(in: image, face: detection, arena: arena))
        let crop = FaceAnalyzer.measuredCrop(
            layout: FaceRegions.regions(for: face), zones: geometry.regions(), width: image.width, height: image.height)
        let factor = FaceAnalyzer.canonicalFactor(geometry, configuration: SkinMeasureConfiguration())
        var work = try WorkingImage.make(image, crop: crop, factor: factor, arena: arena)
        // The measures see the planes at the face's normalised exposure, rescaled in place: the
        // photo's own L* values are gone from the buffer by then, so the marker is the rescaled form.
        try work.applyFaceZones(geometry, normaliseExposure: true, arena: arena)
        // The whole photo is natural image data: the middle of the face crop is informative.
        let bytes = work.lightness.buffer.withUnsafeBytes { Array($0.prefix(work.pixelCount * MemoryLayout<Float>.stride)) }
        return [try Marker.informative(in: bytes, length: 64, name: "face crop L* plane#\(seed)")]
    }

    /// Stripes at least this wide must yield mask markers (the 384-pixel photos of the residue
    /// scenarios and negative controls: 320 pixels, about a bit each); a narrower stripe (the
    /// small photos of the soak and slow-client tests) may carry too few bits, and then its masks
    /// are not searched.
    static let maskStripeWidth = 256

    private static func maskMarker(_ window: [UInt8], in source: SecureBuffer, stripe: PixelRect, name: String) throws -> [Marker] {
        do { return [try Marker.sparse(window, in: source, name: name)] } catch where stripe.width < maskStripeWidth { return [] }
    }

    /// Every kind a 384 × 384 skin photo (lossless WebP) and the portrait must yield: the negative
    /// control checks each is searched for and found, so that a kind cannot drop out unnoticed.
    static let kinds: Set<String> = [
        "file", "pixels", "result", "brightness plane", "lab L* plane", "lab a* plane", "lab b* plane", "erythema plane",
        "skin mask", "ridge plane", "mark mask", "libwebp argb", "face crop L* plane",
        "concern labels", "simulation mask", "preview pixels",
    ]

    /// The stripe's row of plane `plane` of a Float32 buffer, as bytes; an informative window of it.
    private static func floatRow(_ buffer: SecureBuffer, plane: Int, planeSize: Int, width: Int, stripe: PixelRect, name: String) throws -> Marker {
        try row(of: Float.self, buffer, plane: plane, planeSize: planeSize, width: width, stripe: stripe, name: name)
    }

    /// The stripe's row of layer `plane` of a buffer of `T` elements, as a marker.
    private static func row<T>(
        of type: T.Type, _ buffer: SecureBuffer, plane: Int, planeSize: Int, width: Int, stripe: PixelRect, name: String
    ) throws -> Marker {
        let start = (plane * planeSize + stripe.y * width + stripe.x) * MemoryLayout<T>.stride
        let bytes = buffer.withUnsafeBytes { Array($0[start..<(start + stripe.width * MemoryLayout<T>.stride)]) }
        return try Marker.informative(in: bytes, length: 64, name: name)
    }

    /// The stripe's row of a one-byte-per-pixel buffer.
    private static func byteRow(_ buffer: SecureBuffer, width: Int, stripe: PixelRect) throws -> [UInt8] {
        let start = stripe.y * width + stripe.x
        return buffer.withUnsafeBytes { Array($0[start..<(start + stripe.width)]) }
    }
}
