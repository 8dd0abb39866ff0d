import LetheAPI
import LetheImaging
import LetheMemory

/// The photo checks shared by every kind: resolution → exposure → (colour cast) → focus →
/// skin coverage, each with a stable code and the measured value in the message.
struct QualityGate {
    /// What the gate measured, for the result.
    var quality: SkinAnalysisResult.Quality
    var skinPixelCount: Int
    var colourCastRatio: Double

    /// Runs the gate. It only counts skin pixels: no full-resolution mask is written (the measures
    /// make their own at working resolution).
    /// - Parameter photoSize: the full-resolution size when `image` is the photo reduced
    ///   (`ReducedPhoto.overview`): the resolution is checked and reported at it.
    static func run(
        _ image: DecodedImage, photoSize: (width: Int, height: Int)? = nil, configuration: SkinAnalysisConfiguration,
        checkColourCast: Bool, requireSkin: Bool, arena: PlaintextArena
    ) throws(LetheError) -> QualityGate {
        let photoSize = photoSize ?? (image.width, image.height)
        guard min(photoSize.width, photoSize.height) >= configuration.minShortSidePixels else {
            throw .imageTooSmall(width: photoSize.width, height: photoSize.height, minimum: configuration.minShortSidePixels)
        }
        let width = image.width, height = image.height
        let shortSide = min(width, height)
        let pixelCount = width * height
        let scale = max(1, shortSide / max(1, configuration.blurWorkingShortSidePixels))
        let planeWidth = width / scale, planeHeight = height / scale
        let plane: SecureBuffer
        do {
            plane = try arena.allocate(count: planeWidth * planeHeight * MemoryLayout<Float>.stride, bufferClass: .intermediate)
        } catch {
            throw .analysisAllocationFailed(error, "the luma plane")
        }
        defer { arena.release(plane) }

        let scan = image.pixels.withUnsafeBytes { pixels in
            plane.withUnsafeMutableBytes { planeBytes in
                ImageScan.run(
                    pixels: pixels, width: width, height: height, mask: nil,
                    plane: planeBytes.bindMemory(to: Float.self), planeWidth: planeWidth, planeHeight: planeHeight, scale: scale
                )
            }
        }

        guard scan.meanLuma >= configuration.minMeanLuma else {
            throw .lightingTooDark(meanLuma: scan.meanLuma, minimum: configuration.minMeanLuma)
        }
        guard scan.meanLuma <= configuration.maxMeanLuma else {
            throw .lightingTooBright(meanLuma: scan.meanLuma, maximum: configuration.maxMeanLuma)
        }
        guard scan.clippedHighlightFraction <= configuration.maxClippedHighlightFraction else {
            throw .highlightsClipped(fraction: scan.clippedHighlightFraction, maximum: configuration.maxClippedHighlightFraction)
        }
        if checkColourCast, scan.colourCastRatio > configuration.maxColourCastRatio {
            throw .colourCast(ratio: scan.colourCastRatio, maximum: configuration.maxColourCastRatio)
        }

        let (laplacianVariance, blurIndex) = plane.withUnsafeBytes { bytes in
            let luma = bytes.bindMemory(to: Float.self)
            return (LaplacianVariance.measure(luma, width: planeWidth, height: planeHeight),
                    BlurIndex.measure(luma, width: planeWidth, height: planeHeight))
        }
        // The focus check proper is relative (the blur index); the Laplacian floor refuses only a
        // picture with no detail at all. A zero floor turns both off (tests of the measures).
        if configuration.minLaplacianVariance > 0 {
            guard laplacianVariance >= configuration.minLaplacianVariance else {
                throw .imageBlurry(laplacianVariance: laplacianVariance, minimum: configuration.minLaplacianVariance)
            }
            guard blurIndex <= configuration.maxBlurIndex else {
                throw .imageBlurry(blurIndex: blurIndex, maximum: configuration.maxBlurIndex)
            }
        }

        let skinFraction = Double(scan.skinPixelCount) / Double(pixelCount)
        if requireSkin {
            guard scan.skinPixelCount > 0, skinFraction >= configuration.minSkinFraction else {
                throw .noSkinDetected(fraction: skinFraction, minimum: configuration.minSkinFraction)
            }
        }
        let quality = SkinAnalysisResult.Quality(
            width: photoSize.width, height: photoSize.height, meanLuma: scan.meanLuma,
            laplacianVariance: laplacianVariance, blurIndex: blurIndex, clippedHighlightFraction: scan.clippedHighlightFraction)
        return QualityGate(quality: quality, skinPixelCount: scan.skinPixelCount, colourCastRatio: scan.colourCastRatio)
    }
}
