import LetheAPI
import LetheImaging
import LetheMemory

/// Skin tone, redness and photo quality of a decoded image.
public enum SkinAnalyzer {
    /// Runs the quality gate (size → exposure → blur → skin coverage), then measures the skin
    /// pixels. The skin mask and the luma plane are `.intermediate` arena buffers, released
    /// (wiped) before returning on every path.
    /// - Throws: `image_too_small`, `lighting_too_dark`, `lighting_too_bright`, `image_blurry`,
    ///   `no_skin_detected`, or `analysis_unavailable` when intermediate memory cannot be had.
    public static func analyze(
        _ image: DecodedImage, configuration: SkinAnalysisConfiguration, arena: PlaintextArena
    ) throws(AnalysisError) -> SkinAnalysisResult {
        let width = image.width, height = image.height
        let shortSide = min(width, height)
        guard shortSide >= configuration.minShortSidePixels else {
            throw .imageTooSmall(width: width, height: height, minimum: configuration.minShortSidePixels)
        }

        let pixelCount = width * height
        let scale = max(1, shortSide / max(1, configuration.blurWorkingShortSidePixels))
        let planeWidth = width / scale, planeHeight = height / scale
        let mask: SecureBuffer
        let plane: SecureBuffer
        do {
            mask = try arena.allocate(count: pixelCount, bufferClass: .intermediate)
        } catch {
            throw .unavailable("could not allocate the skin mask (\(error.code))")
        }
        defer { arena.release(mask) }
        do {
            plane = try arena.allocate(count: planeWidth * planeHeight * MemoryLayout<Float>.stride, bufferClass: .intermediate)
        } catch {
            throw .unavailable("could not allocate the luma plane (\(error.code))")
        }
        defer { arena.release(plane) }

        let scan = image.pixels.withUnsafeBytes { pixels in
            mask.withUnsafeMutableBytes { maskBytes in
                plane.withUnsafeMutableBytes { planeBytes in
                    ImageScan.run(
                        pixels: pixels, width: width, height: height, mask: maskBytes,
                        plane: planeBytes.bindMemory(to: Float.self), planeWidth: planeWidth, planeHeight: planeHeight, scale: scale
                    )
                }
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

        let laplacianVariance = plane.withUnsafeBytes { bytes in
            LaplacianVariance.measure(bytes.bindMemory(to: Float.self), width: planeWidth, height: planeHeight)
        }
        guard laplacianVariance >= configuration.minLaplacianVariance else {
            throw .imageBlurry(laplacianVariance: laplacianVariance, minimum: configuration.minLaplacianVariance)
        }

        let skinFraction = Double(scan.skinPixelCount) / Double(pixelCount)
        guard scan.skinPixelCount > 0, skinFraction >= configuration.minSkinFraction else {
            throw .noSkinDetected(fraction: skinFraction, minimum: configuration.minSkinFraction)
        }

        let colour = image.pixels.withUnsafeBytes { pixels in
            mask.withUnsafeBytes { maskBytes in
                SkinColourStatistics.measure(pixels: pixels, mask: maskBytes, pixelCount: pixelCount, skinPixelCount: scan.skinPixelCount)
            }
        }
        let lab = colour.meanLab
        let ita = lab.itaDegrees
        return SkinAnalysisResult(
            skinTone: .init(lStar: lab.l, aStar: lab.a, bStar: lab.b, itaDegrees: ita, category: SkinToneCategory(itaDegrees: ita).rawValue),
            redness: .init(meanAStar: lab.a, erythemaIndex: colour.meanErythemaIndex),
            quality: .init(
                width: width, height: height, meanLuma: scan.meanLuma,
                laplacianVariance: laplacianVariance, clippedHighlightFraction: scan.clippedHighlightFraction
            ),
            skinPixelFraction: skinFraction,
            skinPixelCount: scan.skinPixelCount
        )
    }
}
