import LetheAPI
import LetheImaging
import LetheMemory

extension QualityGate {
    /// Exposure and focus of one region of a photo (for `kind=face`, the detector's face box):
    /// mean luma and clipped highlights over the region's own pixels, the Laplacian variance and
    /// the blur index on its luma box-averaged by a whole factor to between `workingWidth` and
    /// twice it (`RegionLumaPlane`), so that a large face is read at the scale of a small one,
    /// whatever the photo's resolution.
    /// Measures only; the caller judges (`QualityFigures.checkExposure`, `checkFocus`).
    static func measureRegion(
        _ image: DecodedImage, region: PixelRect, workingWidth: Int, arena: PlaintextArena
    ) throws(LetheError) -> QualityFigures {
        let inside = region.clipped(width: image.width, height: image.height)
        let (planeWidth, planeHeight, _) = RegionLumaPlane.size(of: inside, workingWidth: workingWidth)
        guard planeWidth > 0, planeHeight > 0 else {
            return QualityFigures(meanLuma: 0, clippedHighlightFraction: 0, laplacianVariance: 0, blurIndex: 1)
        }
        let (exposure, laplacianVariance, blurIndex) = try withLumaPlane(
            width: planeWidth, height: planeHeight, what: "the face's luma plane", arena: arena
        ) { plane in
            image.pixels.withUnsafeBytes { pixels in
                RegionLumaPlane.fill(plane, from: pixels, imageWidth: image.width, region: inside, workingWidth: workingWidth)
            }
        }
        return QualityFigures(
            meanLuma: exposure.meanLuma, clippedHighlightFraction: exposure.clippedHighlightFraction,
            laplacianVariance: laplacianVariance, blurIndex: blurIndex)
    }
}
