import LetheAPI
/// Thresholds of the skin-concern measures (spots, pores, lines, shine, redness area). The
/// defaults are the ones the ground-truth tests were run with (docs/analysis/skin.md).
public struct SkinMeasureConfiguration: Sendable, Equatable, Codable {
    /// |L* − background L*| from which a pixel belongs to a mark (ΔL*).
    public var markContrastLStar: Double
    /// Marks smaller than this many working pixels are noise.
    public var minimumMarkAreaPixels: Int
    /// Pores are marks up to this equivalent diameter when the scale is known…
    public var poreMaxDiameterMillimetres: Double
    /// …and spots up to this one; larger dark areas (shadows, hair) are not counted.
    public var spotMaxDiameterMillimetres: Double
    /// With a scale, pores are measured only when a pore at `poreMaxDiameterMillimetres` is at
    /// least this many working pixels across (smaller, it is below the mark detector's minimum
    /// area of 3 pixels or indistinguishable from pixel noise); otherwise `not_measurable`.
    public var poreMinimumPixelsAcross: Double
    /// Without a scale, the same limits in input pixels.
    public var poreMaxDiameterPixels: Double
    public var spotMaxDiameterPixels: Double
    /// Marks more elongated than this (√ of the moment ratio) are lines, not spots or pores.
    public var maxBlobElongation: Double
    /// A mark counts only when at least this fraction of its surroundings is skin.
    public var minSurroundingSkinFraction: Double
    /// A pixel is red when its a* exceeds the region's median a* by this margin.
    public var redAreaMarginAStar: Double
    /// A pixel is specular when its L* exceeds the region's mean by this margin and its chroma is
    /// at most `specularChromaFactor` × the region's mean chroma.
    public var specularMarginLStar: Double
    public var specularChromaFactor: Double
    /// Shine's light (`SkinConcerns.Shine.specularShare`): a pixel's luminance above
    /// (1 + this) × the skin around it counts.
    public var specularShareMargin: Double
    /// Ridge (line) pixels: largest Hessian eigenvalue of L* smoothed by a box of this radius
    /// (two passes) at least `ridgeMinimumCurvature` (L* per pixel²), and the other eigenvalue
    /// at most `ridgeAnisotropy` times it in magnitude (Frangi et al. 1998's blob/line ratio).
    public var ridgeSmoothingRadiusPixels: Int
    public var ridgeMinimumCurvature: Double
    public var ridgeAnisotropy: Double
    /// Largest working-image side for close-ups.
    public var workingLongSidePixels: Int
    /// Faces are measured in a canonical frame: resampled so that the inter-ocular distance lies in
    /// this range of working pixels (docs/analysis/face.md, step 8). 512 px is 0.123 mm per
    /// working pixel at the adult mean of 63 mm (Dodgson 2004): the finest lines looked for
    /// (0.3 mm, σ 0.18 mm) still reach the line detector's finest scale (σ 1.41 px), and the
    /// face-camera profile (0.12 mm/px) is measured at its own resolution. Smaller faces are
    /// measured as they are: a lower bound (128 was measured: docs/analysis/repeatability.md)
    /// enlarges them, which steadies the wrinkles but moves the accuracy of marks a few pixels
    /// across on the fixture portrait, so it is off (0) by default.
    public var faceCanonicalInterOcularPixels: ClosedRange<Double>
    /// Assumed width of the face box in millimetres, for a scale estimate when none is given.
    public var faceBoxWidthMillimetres: Double
    /// The multi-scale line (wrinkle) detector.
    public var lines: LineDetectionConfiguration
    /// The capture variation an uncalibrated photo's skin tone is held uncertain by: the
    /// re-capture model of the repeatability bench (±⅓ EV, white balance ±4 %), which explains its
    /// measured L* spread (docs/analysis/skin.md, "Calibrated and uncalibrated colour").
    public var uncalibratedTone: ColourCalibration.UncertaintyModel
    /// The red-papule (blemish) detector.
    public var blemishes: BlemishDetectionConfiguration

    public init(
        markContrastLStar: Double = 5, minimumMarkAreaPixels: Int = 3,
        poreMaxDiameterMillimetres: Double = 0.5, spotMaxDiameterMillimetres: Double = 12,
        poreMaxDiameterPixels: Double = 8, spotMaxDiameterPixels: Double = 80, poreMinimumPixelsAcross: Double = 2,
        maxBlobElongation: Double = 3, minSurroundingSkinFraction: Double = 0.5,
        redAreaMarginAStar: Double = 5, specularMarginLStar: Double = 12, specularChromaFactor: Double = 0.5,
        specularShareMargin: Double = 0.3,
        ridgeSmoothingRadiusPixels: Int = 1, ridgeMinimumCurvature: Double = 2, ridgeAnisotropy: Double = 0.5,
        workingLongSidePixels: Int = 1024, faceCanonicalInterOcularPixels: ClosedRange<Double> = 0...512, faceBoxWidthMillimetres: Double = 140,
        lines: LineDetectionConfiguration = LineDetectionConfiguration(),
        uncalibratedTone: ColourCalibration.UncertaintyModel = .init(exposureStops: 1.0 / 3.0, whiteBalanceShift: 0.04),
        blemishes: BlemishDetectionConfiguration = BlemishDetectionConfiguration()
    ) {
        self.uncalibratedTone = uncalibratedTone
        self.blemishes = blemishes
        self.lines = lines
        self.markContrastLStar = markContrastLStar
        self.minimumMarkAreaPixels = minimumMarkAreaPixels
        self.poreMaxDiameterMillimetres = poreMaxDiameterMillimetres
        self.spotMaxDiameterMillimetres = spotMaxDiameterMillimetres
        self.poreMaxDiameterPixels = poreMaxDiameterPixels
        self.poreMinimumPixelsAcross = poreMinimumPixelsAcross
        self.spotMaxDiameterPixels = spotMaxDiameterPixels
        self.maxBlobElongation = maxBlobElongation
        self.minSurroundingSkinFraction = minSurroundingSkinFraction
        self.redAreaMarginAStar = redAreaMarginAStar
        self.specularMarginLStar = specularMarginLStar
        self.specularChromaFactor = specularChromaFactor
        self.specularShareMargin = specularShareMargin
        self.ridgeSmoothingRadiusPixels = ridgeSmoothingRadiusPixels
        self.ridgeMinimumCurvature = ridgeMinimumCurvature
        self.ridgeAnisotropy = ridgeAnisotropy
        self.workingLongSidePixels = workingLongSidePixels
        self.faceCanonicalInterOcularPixels = faceCanonicalInterOcularPixels
        self.faceBoxWidthMillimetres = faceBoxWidthMillimetres
    }
}
