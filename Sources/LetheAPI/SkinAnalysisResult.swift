/// The skin measures of one photo. JSON keys are snake_case with the unit where there is one.
public struct SkinAnalysisResult: Sendable, Codable, Equatable {
    /// Mean colour of the skin pixels in CIELAB (D65), the Individual Typology Angle, and whether
    /// the colour was calibrated: only a calibrated colour compares between photos and devices.
    public struct SkinTone: Sendable, Codable, Equatable {
        /// Mean CIE L* (0–100) over skin pixels.
        public var lStar: Double
        /// Mean CIE a* over skin pixels.
        public var aStar: Double
        /// Mean CIE b* over skin pixels.
        public var bStar: Double
        /// ITA° = atan2(L* − 50, b*) · 180/π from the mean L* and b* (Chardon et al. 1991).
        public var itaDegrees: Double
        /// `SkinToneCategory.rawValue` (Chardon 1991; Del Bino et al. 2006); nil (JSON null) when
        /// the photo is uncalibrated and its ITA° interval spans more than one category.
        public var category: String?
        /// `calibrated` (the device profile's colour correction was applied before CIELAB) or `uncalibrated`.
        public var calibration: String
        /// Calibrated only: `colour_matrix`, `grey_reference` or `colour_matrix_and_grey_reference`.
        public var calibrationMethod: String?
        /// Uncalibrated only: the range the colour could take under the capture model of
        /// `ColourCalibration.uncertaintyModel`.
        public var uncertainty: ToneUncertainty?
        /// When `category` is nil: every category the ITA° interval touches, lightest first.
        public var spannedCategories: [String]?

        /// Creates a skin tone record.
        public init(
            lStar: Double, aStar: Double, bStar: Double, itaDegrees: Double, category: String?, calibration: String,
            calibrationMethod: String? = nil, uncertainty: ToneUncertainty? = nil, spannedCategories: [String]? = nil
        ) {
            self.lStar = lStar
            self.aStar = aStar
            self.bStar = bStar
            self.itaDegrees = itaDegrees
            self.category = category
            self.calibration = calibration
            self.calibrationMethod = calibrationMethod
            self.uncertainty = uncertainty
            self.spannedCategories = spannedCategories
        }

        enum CodingKeys: String, CodingKey {
            case lStar = "l_star", aStar = "a_star", bStar = "b_star", itaDegrees = "ita_degrees", category, calibration
            case calibrationMethod = "calibration_method", uncertainty, spannedCategories = "spanned_categories"
        }

        /// `category` is written as null rather than left out: a reader looking for the category
        /// learns that there is none, and why, from the fields beside it.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(lStar, forKey: .lStar)
            try container.encode(aStar, forKey: .aStar)
            try container.encode(bStar, forKey: .bStar)
            try container.encode(itaDegrees, forKey: .itaDegrees)
            try container.encode(category, forKey: .category)
            try container.encode(calibration, forKey: .calibration)
            try container.encodeIfPresent(calibrationMethod, forKey: .calibrationMethod)
            try container.encodeIfPresent(uncertainty, forKey: .uncertainty)
            try container.encodeIfPresent(spannedCategories, forKey: .spannedCategories)
        }
    }

    /// The range of an uncalibrated photo's skin colour: the values the same skin gives when the
    /// capture's exposure and white balance differ within the documented model.
    public struct ToneUncertainty: Sendable, Codable, Equatable {
        public var itaDegreesLow: Double
        public var itaDegreesHigh: Double
        public var lStarLow: Double
        public var lStarHigh: Double
        public var aStarLow: Double
        public var aStarHigh: Double

        public init(itaDegreesLow: Double, itaDegreesHigh: Double, lStarLow: Double, lStarHigh: Double, aStarLow: Double, aStarHigh: Double) {
            self.itaDegreesLow = itaDegreesLow
            self.itaDegreesHigh = itaDegreesHigh
            self.lStarLow = lStarLow
            self.lStarHigh = lStarHigh
            self.aStarLow = aStarLow
            self.aStarHigh = aStarHigh
        }

        enum CodingKeys: String, CodingKey {
            case itaDegreesLow = "ita_degrees_low", itaDegreesHigh = "ita_degrees_high", lStarLow = "l_star_low", lStarHigh = "l_star_high"
            case aStarLow = "a_star_low", aStarHigh = "a_star_high"
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
        /// Mean Rec. 601 luma, 0–255, over the whole image (`kind=face`: over the face box).
        public var meanLuma: Double
        /// Variance of the Laplacian of luma at the blur working scale (`kind=face`: of the face box
        /// at its working width).
        public var laplacianVariance: Double
        /// Blur index at the blur working scale (Crété-Roffet et al. 2007): 0 sharp … 1 no detail
        /// (`kind=face`: of the face box at its working width).
        public var blurIndex: Double
        /// Fraction of pixels with luma ≥ 250 (`kind=face`: of the face box's pixels).
        public var clippedHighlightFraction: Double
        /// `kind=face`: fraction of the face's skin surface (its zones' working pixels) under which
        /// an input pixel has a channel at code ≥ 250. Skin's red clips first and long before the
        /// luma does; where it has, the colour measures leave the pixel out, and above about a
        /// tenth the redness and evenness move with the exposure (docs/analysis/repeatability.md,
        /// "How much of the face clips"). A device profile's `max_clipped_skin_fraction` refuses more.
        public var clippedSkinFraction: Double?

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
            case clippedSkinFraction = "clipped_skin_fraction"
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
    /// How the colour was calibrated, or the model of an uncalibrated colour's uncertainty.
    public var colourCalibration: ColourCalibration?

    /// Creates a result.
    public init(
        skinTone: SkinTone, redness: Redness, quality: Quality, skinPixelFraction: Double, skinPixelCount: Int,
        concerns: SkinConcerns? = nil, millimetresPerPixel: Double? = nil, scaleSource: String? = nil,
        colourCalibration: ColourCalibration? = nil
    ) {
        self.colourCalibration = colourCalibration
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
        case concerns, millimetresPerPixel = "mm_per_pixel", scaleSource = "scale_source", colourCalibration = "colour_calibration"
    }
}
