/// What a photo under UV-A light (a Wood's lamp, a booth's or dermatoscope's UV mode) shows that
/// visible light does not: melanin below the surface as dark spots, and the orange-red
/// fluorescence of porphyrins made by *Cutibacterium acnes* in the follicles. Measured only on
/// photos whose device profile says `uv` (docs/analysis/devices.md#light).
public struct UltravioletAnalysisResult: Sendable, Codable, Equatable {
    /// Marks of one kind in a UV photo: dark UV spots or fluorescent porphyrin dots.
    ///
    /// UV spots: melanin absorbs UV-A far more than visible light, so epidermal pigment
    /// (including pigment not yet visible in normal light) stands out dark against the skin's
    /// blue-violet remission. Porphyrins: orange-red fluorescent dots (emission ≈ 600–640 nm),
    /// small bright points whose red share of the light is far above the blue-violet skin's.
    public struct Marks: Sendable, Codable, Equatable {
        public var count: Int
        /// The marks' pixels / analysed pixels.
        public var areaFraction: Double
        /// Marks per cm² of analysed skin (with a scale).
        public var densityPerSquareCentimetre: Double?
        /// Mean equivalent-disc diameter in input pixels (0 without marks) and in mm (with a scale).
        public var meanDiameterPixels: Double
        public var meanDiameterMillimetres: Double?
        /// UV spots: mean of 1 − Y / Y(background) over their pixels (how much darker than the skin around).
        public var meanDarkening: Double?
        /// Porphyrins: mean red chromaticity R / (R + G + B) (linear light) over their pixels.
        public var meanRedChromaticity: Double?

        public init(
            count: Int, areaFraction: Double, densityPerSquareCentimetre: Double?, meanDiameterPixels: Double,
            meanDiameterMillimetres: Double?, meanDarkening: Double? = nil, meanRedChromaticity: Double? = nil
        ) {
            self.count = count
            self.areaFraction = areaFraction
            self.densityPerSquareCentimetre = densityPerSquareCentimetre
            self.meanDiameterPixels = meanDiameterPixels
            self.meanDiameterMillimetres = meanDiameterMillimetres
            self.meanDarkening = meanDarkening
            self.meanRedChromaticity = meanRedChromaticity
        }

        enum CodingKeys: String, CodingKey {
            case count, areaFraction = "area_fraction", densityPerSquareCentimetre = "density_per_cm2"
            case meanDiameterPixels = "mean_diameter_pixels", meanDiameterMillimetres = "mean_diameter_mm", meanDarkening = "mean_darkening"
            case meanRedChromaticity = "mean_red_chromaticity"
        }
    }

    /// Dark spots under UV (pigment), with `mean_darkening`.
    public var uvSpots: Marks
    /// Porphyrin fluorescence, with `mean_red_chromaticity`.
    public var porphyrins: Marks
    /// Pixels measured (input pixels): the lit field, without the dark vignette or background.
    public var analysedPixelCount: Int
    /// Analysed pixels / all pixels.
    public var analysedPixelFraction: Double
    /// Millimetres per input pixel, when known, and where it came from (`profile`, `query`).
    public var millimetresPerPixel: Double?
    public var scaleSource: String?
    /// The quality gate's measurements (size, exposure, focus; no skin-colour check under UV).
    public var quality: SkinAnalysisResult.Quality

    public init(
        uvSpots: Marks, porphyrins: Marks, analysedPixelCount: Int, analysedPixelFraction: Double,
        millimetresPerPixel: Double?, scaleSource: String?, quality: SkinAnalysisResult.Quality
    ) {
        self.uvSpots = uvSpots
        self.porphyrins = porphyrins
        self.analysedPixelCount = analysedPixelCount
        self.analysedPixelFraction = analysedPixelFraction
        self.millimetresPerPixel = millimetresPerPixel
        self.scaleSource = scaleSource
        self.quality = quality
    }

    enum CodingKeys: String, CodingKey {
        case uvSpots = "uv_spots", porphyrins, analysedPixelCount = "analysed_pixel_count"
        case analysedPixelFraction = "analysed_pixel_fraction", millimetresPerPixel = "mm_per_pixel", scaleSource = "scale_source", quality
    }
}
