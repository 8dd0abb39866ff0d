/// The skin measures of one photo. JSON keys are snake_case with the unit where there is one.
public struct SkinAnalysisResult: Sendable, Codable, Equatable {
    /// Mean colour of the skin pixels in CIELAB (D65) and the Individual Typology Angle.
    public struct SkinTone: Sendable, Codable, Equatable {
        /// Mean CIE L* (0–100) over skin pixels.
        public var lStar: Double
        /// Mean CIE a* over skin pixels.
        public var aStar: Double
        /// Mean CIE b* over skin pixels.
        public var bStar: Double
        /// ITA° = atan2(L* − 50, b*) · 180/π from the mean L* and b* (Chardon et al. 1991).
        public var itaDegrees: Double
        /// `SkinToneCategory.rawValue` (Chardon 1991; Del Bino et al. 2006).
        public var category: String

        /// Creates a skin tone record.
        public init(lStar: Double, aStar: Double, bStar: Double, itaDegrees: Double, category: String) {
            self.lStar = lStar
            self.aStar = aStar
            self.bStar = bStar
            self.itaDegrees = itaDegrees
            self.category = category
        }

        enum CodingKeys: String, CodingKey {
            case lStar = "l_star", aStar = "a_star", bStar = "b_star", itaDegrees = "ita_degrees", category
        }
    }

    /// Redness of the skin pixels.
    public struct Redness: Sendable, Codable, Equatable {
        /// Mean a* over skin pixels (same value as `SkinTone.aStar`, kept here for the redness view).
        public var meanAStar: Double
        /// Mean erythema index 100·log10(R/G) over skin pixels (Diffey, Oliver & Farr 1984).
        public var erythemaIndex: Double

        /// Creates a redness record.
        public init(meanAStar: Double, erythemaIndex: Double) {
            self.meanAStar = meanAStar
            self.erythemaIndex = erythemaIndex
        }

        enum CodingKeys: String, CodingKey {
            case meanAStar = "mean_a_star", erythemaIndex = "erythema_index"
        }
    }

    /// What the quality gate measured.
    public struct Quality: Sendable, Codable, Equatable {
        /// Image width in pixels.
        public var width: Int
        /// Image height in pixels.
        public var height: Int
        /// Mean Rec. 601 luma, 0–255, over the whole image.
        public var meanLuma: Double
        /// Variance of the Laplacian of luma at the blur working scale.
        public var laplacianVariance: Double
        /// Blur index at the blur working scale (Crété-Roffet et al. 2007): 0 sharp … 1 no detail.
        public var blurIndex: Double
        /// Fraction of pixels with luma ≥ 250.
        public var clippedHighlightFraction: Double

        /// Creates a quality record.
        public init(width: Int, height: Int, meanLuma: Double, laplacianVariance: Double, blurIndex: Double, clippedHighlightFraction: Double) {
            self.width = width
            self.height = height
            self.meanLuma = meanLuma
            self.laplacianVariance = laplacianVariance
            self.blurIndex = blurIndex
            self.clippedHighlightFraction = clippedHighlightFraction
        }

        enum CodingKeys: String, CodingKey {
            case width = "width_pixels", height = "height_pixels", meanLuma = "mean_luma"
            case laplacianVariance = "laplacian_variance", blurIndex = "blur_index", clippedHighlightFraction = "clipped_highlight_fraction"
        }
    }

    /// Colour of the skin pixels.
    public var skinTone: SkinTone
    /// Redness of the skin pixels.
    public var redness: Redness
    /// What the quality gate measured.
    public var quality: Quality
    /// Skin pixels / all pixels.
    public var skinPixelFraction: Double
    /// Number of pixels the skin mask accepted.
    public var skinPixelCount: Int
    /// Spots, pores, wrinkles, shine, evenness, red area and scores of the whole image (close-up)
    /// or the whole face.
    public var concerns: SkinConcerns?
    /// Millimetres per input pixel used for mm figures, when known.
    public var millimetresPerPixel: Double?
    /// Where the scale came from: `profile`, `query`, `face_width_estimate`; absent without a scale.
    public var scaleSource: String?

    /// Creates a result.
    public init(
        skinTone: SkinTone, redness: Redness, quality: Quality, skinPixelFraction: Double, skinPixelCount: Int,
        concerns: SkinConcerns? = nil, millimetresPerPixel: Double? = nil, scaleSource: String? = nil
    ) {
        self.skinTone = skinTone
        self.redness = redness
        self.quality = quality
        self.skinPixelFraction = skinPixelFraction
        self.skinPixelCount = skinPixelCount
        self.concerns = concerns
        self.millimetresPerPixel = millimetresPerPixel
        self.scaleSource = scaleSource
    }

    enum CodingKeys: String, CodingKey {
        case skinTone = "skin_tone", redness, quality
        case skinPixelFraction = "skin_pixel_fraction", skinPixelCount = "skin_pixel_count"
        case concerns, millimetresPerPixel = "mm_per_pixel", scaleSource = "scale_source"
    }
}
