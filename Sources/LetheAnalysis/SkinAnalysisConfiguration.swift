/// Thresholds of the skin quality gate and measures. Defaults are safe and tuned on the
/// project's fixture (see README / the report of the tests that pin them).
public struct SkinAnalysisConfiguration: Sendable, Equatable {
    /// Shorter image side, in pixels, below which the photo is refused (`image_too_small`).
    public var minShortSidePixels: Int
    /// Mean Rec. 601 luma (0–255, whole image) below which the photo is `lighting_too_dark`.
    public var minMeanLuma: Double
    /// Mean Rec. 601 luma above which the photo is `lighting_too_bright`.
    public var maxMeanLuma: Double
    /// Fraction of pixels with luma ≥ 250 (clipped highlights) above which the photo is
    /// `lighting_too_bright` even if the mean is acceptable.
    public var maxClippedHighlightFraction: Double
    /// Variance of the 4-neighbour Laplacian of luma (Pech-Pacheco et al. 2000) below which the
    /// photo is `image_blurry`. Measured at the blur working scale (see below). 40 is the
    /// geometric mean of the sharp fixture portrait (≈ 860) and the same portrait after a
    /// Gaussian blur of σ = 4 px (≈ 1.8); it accepts σ ≤ 1 px of blur (≈ 65) and rejects
    /// σ ≥ 1.5 px (≈ 22).
    public var minLaplacianVariance: Double
    /// Blur is measured on luma box-averaged by an integer factor so that the shorter side is
    /// between this and twice this (images smaller than this are measured as they are). The
    /// Laplacian variance depends on resolution; a common scale keeps one threshold meaningful
    /// for 0.5 and 12 megapixel photos alike.
    public var blurWorkingShortSidePixels: Int
    /// Fraction of pixels classified as skin below which the photo is `no_skin_detected`.
    public var minSkinFraction: Double
    /// Face photos: largest ratio of the brightest to the darkest mean sRGB channel (grey-world
    /// colour cast) before `colour_cast`. A neutral portrait measures ≈ 1.2–1.6.
    public var maxColourCastRatio: Double

    /// Defaults: 128 px, luma 40–220, ≤ 40 % clipped, Laplacian variance ≥ 40 at a 512 px working
    /// scale, ≥ 2 % skin.
    public init(
        minShortSidePixels: Int = 128,
        minMeanLuma: Double = 40,
        maxMeanLuma: Double = 220,
        maxClippedHighlightFraction: Double = 0.4,
        minLaplacianVariance: Double = 40,
        blurWorkingShortSidePixels: Int = 512,
        minSkinFraction: Double = 0.02,
        maxColourCastRatio: Double = 2.5
    ) {
        self.maxColourCastRatio = maxColourCastRatio
        self.minShortSidePixels = minShortSidePixels
        self.minMeanLuma = minMeanLuma
        self.maxMeanLuma = maxMeanLuma
        self.maxClippedHighlightFraction = maxClippedHighlightFraction
        self.minLaplacianVariance = minLaplacianVariance
        self.blurWorkingShortSidePixels = blurWorkingShortSidePixels
        self.minSkinFraction = minSkinFraction
    }
}
