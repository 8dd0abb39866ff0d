import LetheAPI
import LetheImaging
import LetheMemory

/// The photo checks shared by every kind: resolution → compression → exposure → colour → (colour
/// cast) → focus → skin coverage, each with a stable code and the measured value in the message.
struct QualityGate {
    /// What the gate measured, for the result.
    var quality: SkinAnalysisResult.Quality
    var skinPixelCount: Int
    var colourCastRatio: Double

    /// Runs the gate. It only counts skin pixels: no full-resolution mask is written (the measures
    /// make their own at working resolution).
    static func run(
        _ image: DecodedImage, configuration: SkinAnalysisConfiguration, checkColourCast: Bool, requireSkin: Bool,
        arena: PlaintextArena
    ) throws(LetheError) -> QualityGate {
        let frame = try measureFrame(image, configuration: configuration, arena: arena)
        try frame.checkCompression(configuration)
        try frame.figures.checkExposure(configuration)
        try frame.checkColour(configuration)
        if checkColourCast { try frame.checkColourCast(configuration) }
        try frame.figures.checkFocus(configuration)

        let skinFraction = Double(frame.skinPixelCount) / Double(image.width * image.height)
        if requireSkin {
            guard frame.skinPixelCount > 0, skinFraction >= configuration.minSkinFraction else {
                throw .noSkinDetected(fraction: skinFraction, minimum: configuration.minSkinFraction)
            }
        }
        return QualityGate(
            quality: frame.figures.quality(width: image.width, height: image.height),
            skinPixelCount: frame.skinPixelCount, colourCastRatio: frame.colourCastRatio)
    }

    /// The whole frame's figures, judged on nothing but its resolution (`image_too_small`): one
    /// pass over the pixels (`ImageScan`) and the focus measures on its luma plane, box-averaged by
    /// an integer factor to `blurWorkingShortSidePixels`.
    /// - Parameter photoSize: the full-resolution size when `image` is the photo reduced
    ///   (`ReducedPhoto.overview`): the resolution is checked at it.
    static func measureFrame(
        _ image: DecodedImage, photoSize: (width: Int, height: Int)? = nil, configuration: SkinAnalysisConfiguration,
        arena: PlaintextArena
    ) throws(LetheError) -> FrameQuality {
        let photoSize = photoSize ?? (image.width, image.height)
        guard min(photoSize.width, photoSize.height) >= configuration.minShortSidePixels else {
            throw .imageTooSmall(width: photoSize.width, height: photoSize.height, minimum: configuration.minShortSidePixels)
        }
        let width = image.width, height = image.height
        let shortSide = min(width, height)
        let scale = max(1, shortSide / max(1, configuration.blurWorkingShortSidePixels))
        let planeWidth = width / scale, planeHeight = height / scale
        let (scan, laplacianVariance, blurIndex) = try withLumaPlane(width: planeWidth, height: planeHeight, what: "the luma plane", arena: arena) { plane in
            image.pixels.withUnsafeBytes { pixels in
                ImageScan.run(
                    pixels: pixels, width: width, height: height, mask: nil,
                    plane: plane, planeWidth: planeWidth, planeHeight: planeHeight, scale: scale)
            }
        }
        let figures = QualityFigures(
            meanLuma: scan.meanLuma, clippedHighlightFraction: scan.clippedHighlightFraction,
            laplacianVariance: laplacianVariance, blurIndex: blurIndex)
        return FrameQuality(
            figures: figures, skinPixelCount: scan.skinPixelCount, colourCastRatio: scan.colourCastRatio,
            colourPixelFraction: Double(scan.colourPixelCount) / Double(width * height), equivalentJPEGQuality: image.equivalentJPEGQuality)
    }

    /// A `width × height` luma plane from the arena, filled by `fill`, then its focus measures:
    /// the Laplacian variance and the blur index (its rows of running state below the luma's, in
    /// the same plane). The plane is released (wiped) before returning.
    static func withLumaPlane<Filled>(
        width: Int, height: Int, what: String, arena: PlaintextArena, _ fill: (UnsafeMutableBufferPointer<Float>) -> Filled
    ) throws(LetheError) -> (Filled, laplacianVariance: Double, blurIndex: Double) {
        let plane = try Plane<Float>(width: width, height: height + BlurIndex.scratchRows, what: what, arena: arena)
        defer { plane.release(to: arena) }
        let luma = UnsafeMutableBufferPointer(rebasing: plane.pixels[0..<(width * height)])
        let filled = fill(luma)
        let measured = UnsafeBufferPointer(luma)
        return (filled, LaplacianVariance.measure(measured, width: width, height: height),
                BlurIndex.measure(measured, width: width, height: height, scratch: UnsafeMutableBufferPointer(rebasing: plane.pixels[(width * height)...])))
    }
}

/// Exposure and focus as measured on a frame or on a region of it, before they are judged.
struct QualityFigures: Sendable {
    var meanLuma: Double
    var clippedHighlightFraction: Double
    var laplacianVariance: Double
    var blurIndex: Double

    /// `lighting_too_dark`, `lighting_too_bright` (mean luma, then clipped highlights).
    func checkExposure(_ configuration: SkinAnalysisConfiguration) throws(LetheError) {
        guard meanLuma >= configuration.minMeanLuma else {
            throw .lightingTooDark(meanLuma: meanLuma, minimum: configuration.minMeanLuma)
        }
        guard meanLuma <= configuration.maxMeanLuma else {
            throw .lightingTooBright(meanLuma: meanLuma, maximum: configuration.maxMeanLuma)
        }
        guard clippedHighlightFraction <= configuration.maxClippedHighlightFraction else {
            throw .highlightsClipped(fraction: clippedHighlightFraction, maximum: configuration.maxClippedHighlightFraction)
        }
    }

    /// `image_blurry`. The focus check proper is relative (the blur index); the Laplacian floor
    /// refuses only a picture with no detail at all. A zero floor turns both off (tests of the measures).
    func checkFocus(_ configuration: SkinAnalysisConfiguration, maxBlurIndex: Double? = nil) throws(LetheError) {
        guard configuration.minLaplacianVariance > 0 else { return }
        guard laplacianVariance >= configuration.minLaplacianVariance else {
            throw .imageBlurry(laplacianVariance: laplacianVariance, minimum: configuration.minLaplacianVariance)
        }
        let limit = maxBlurIndex ?? configuration.maxBlurIndex
        guard blurIndex <= limit else {
            throw .imageBlurry(blurIndex: blurIndex, maximum: limit)
        }
    }

    /// The result's record of these figures for a `width × height` photo.
    func quality(width: Int, height: Int) -> SkinAnalysisResult.Quality {
        SkinAnalysisResult.Quality(
            width: width, height: height, meanLuma: meanLuma,
            laplacianVariance: laplacianVariance, blurIndex: blurIndex, clippedHighlightFraction: clippedHighlightFraction)
    }
}

/// The whole frame's figures, with what only a whole frame can tell: skin coverage, whether it
/// has colour at all, and the grey-world colour cast.
struct FrameQuality: Sendable {
    var figures: QualityFigures
    var skinPixelCount: Int
    var colourCastRatio: Double
    /// The share of pixels that show colour (`ImageScan.colourSpread`).
    var colourPixelFraction: Double
    /// The file's JPEG quality (`DecodedImage.equivalentJPEGQuality`), nil for other formats.
    var equivalentJPEGQuality: Double?

    /// `image_too_compressed`.
    func checkCompression(_ configuration: SkinAnalysisConfiguration) throws(LetheError) {
        if let quality = equivalentJPEGQuality, quality < configuration.minJPEGQuality {
            throw .imageTooCompressed(quality: quality, minimum: configuration.minJPEGQuality)
        }
    }

    /// `image_greyscale`.
    func checkColour(_ configuration: SkinAnalysisConfiguration) throws(LetheError) {
        guard colourPixelFraction >= configuration.minColourPixelFraction else {
            throw .imageGreyscale(fraction: colourPixelFraction, minimum: configuration.minColourPixelFraction)
        }
    }

    /// `colour_cast`.
    func checkColourCast(_ configuration: SkinAnalysisConfiguration) throws(LetheError) {
        guard colourCastRatio <= configuration.maxColourCastRatio else {
            throw .colourCast(ratio: colourCastRatio, maximum: configuration.maxColourCastRatio)
        }
    }
}
