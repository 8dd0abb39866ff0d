/// Thresholds of the skin quality gate and measures. Defaults are safe and tuned on the
/// project's fixture (see README / the report of the tests that pin them).
public struct SkinAnalysisConfiguration: Sendable, Equatable, Codable {
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
    /// photo is `image_blurry` whatever its blur index: a floor for pictures with no detail at
    /// all (2: far below the faintest sharp close-up measured, ≈ 15, and above blurred ones, ≤ 1). It is not the
    /// focus test (it grows with the square of the contrast, so a smooth skin close-up reads low
    /// however sharp); `maxBlurIndex` is. 0 turns the whole focus check off.
    public var minLaplacianVariance: Double
    /// Blur index (Crété-Roffet et al. 2007, see `BlurIndex`: the share of the image's
    /// neighbour differences that survive a 9-tap re-blur, 0 sharp … 1 flat) above which the
    /// photo is `image_blurry`. Relative, so it does not depend on the contrast of the content.
    /// 0.42 lies between the sharp photos measured (generated close-ups of 1.5–24 ΔL* detail
    /// 0.07–0.17, generated scalps ≈ 0.21, the fixture portrait 0.36) and the same blurred by a
    /// Gaussian of σ = 1.5 px (close-ups ≥ 0.50, portrait 0.68); σ = 1 px is the boundary
    /// (0.29–0.45 on close-ups, 0.56 on the portrait). See docs/analysis/skin.md.
    public var maxBlurIndex: Double
    /// Blur is measured on luma box-averaged by an integer factor so that the shorter side is
    /// between this and twice this (images smaller than this are measured as they are). The
    /// Laplacian variance depends on resolution; a common scale keeps one threshold meaningful
    /// for 0.5 and 12 megapixel photos alike.
    public var blurWorkingShortSidePixels: Int
    /// `kind=face`: the face box's luma is box-averaged by a whole factor to between this width and
    /// twice it (never enlarged: a narrower box is read as it is) for its Laplacian variance and
    /// blur index, so that a face filling a 12 MP photo is read at about the scale of one in a
    /// small photo. See docs/analysis/face.md.
    public var faceGateWorkingWidthPixels: Int
    /// `kind=face`: blur index of the face box (at `faceGateWorkingWidthPixels`) above which the
    /// photo is `image_blurry`. See docs/analysis/face.md for the calibration.
    public var maxFaceBlurIndex: Double
    /// Fraction of pixels classified as skin below which the photo is `no_skin_detected`.
    public var minSkinFraction: Double
    /// Face photos: largest ratio of the brightest to the darkest mean sRGB channel (grey-world
    /// colour cast) before `colour_cast`. A neutral portrait measures ≈ 1.2–1.6.
    public var maxColourCastRatio: Double
    /// Fraction of the frame's pixels that must show colour (channels `ImageScan.colourSpread` or
    /// more codes apart) before the photo is `image_greyscale`: a black-and-white photo (or one a
    /// filter took the colour out of) has no skin tone, redness or pigment to measure, and read
    /// as one it gave ITA° 90 and a redness score. 0.5 %: a face at the smallest size the face
    /// rules take covers ≥ 2 % of the frame, and skin's channels lie 20–80 codes apart.
    public var minColourPixelFraction: Double
    /// A JPEG compressed harder than this IJG quality (`JPEGQuantisation`) is
    /// `image_too_compressed`: the fixture portraits saved at quality 40 scored within 4 points of
    /// quality 95 (as a re-capture moves them), at 30 up to 6, at 20 up to 11, at 10 up to 29
    /// (the 8 × 8 blocks and the lost chroma read as shine, redness and tone: docs/analysis/face.md).
    public var minJPEGQuality: Double

    /// Defaults: 128 px, a JPEG of quality ≥ 35, luma 40–220, ≤ 40 % clipped, ≥ 0.5 % of pixels in colour, blur index
    /// ≤ 0.42 and Laplacian variance ≥ 2 at a 512 px working scale, ≥ 2 % skin.
    public init(
        minShortSidePixels: Int = 128,
        minMeanLuma: Double = 40,
        maxMeanLuma: Double = 220,
        maxClippedHighlightFraction: Double = 0.4,
        minLaplacianVariance: Double = 2,
        maxBlurIndex: Double = 0.42,
        blurWorkingShortSidePixels: Int = 512,
        minSkinFraction: Double = 0.02,
        maxColourCastRatio: Double = 2.5,
        minColourPixelFraction: Double = 0.005,
        minJPEGQuality: Double = 35,
        faceGateWorkingWidthPixels: Int = 256,
        maxFaceBlurIndex: Double = 0.47
    ) {
        self.faceGateWorkingWidthPixels = faceGateWorkingWidthPixels
        self.maxFaceBlurIndex = maxFaceBlurIndex
        self.maxColourCastRatio = maxColourCastRatio
        self.minColourPixelFraction = minColourPixelFraction
        self.minJPEGQuality = minJPEGQuality
        self.minShortSidePixels = minShortSidePixels
        self.minMeanLuma = minMeanLuma
        self.maxMeanLuma = maxMeanLuma
        self.maxClippedHighlightFraction = maxClippedHighlightFraction
        self.minLaplacianVariance = minLaplacianVariance
        self.maxBlurIndex = maxBlurIndex
        self.blurWorkingShortSidePixels = blurWorkingShortSidePixels
        self.minSkinFraction = minSkinFraction
    }
}
