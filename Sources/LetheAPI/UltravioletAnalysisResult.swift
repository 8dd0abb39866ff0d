/// What a photo under UV-A light (a Wood's lamp, a booth's or dermatoscope's UV mode) shows that
/// visible light does not: melanin below the surface as dark spots, and the orange-red
/// fluorescence of porphyrins made by *Cutibacterium acnes* in the follicles. Measured only on
/// photos whose device profile says `uv` (docs/analysis/devices.md#light).
public struct UltravioletAnalysisResult: Sendable, Codable, Equatable {
    /// Dark spots under UV: melanin absorbs UV-A far more than visible light, so epidermal
    /// pigment (including pigment not yet visible in normal light) stands out against the
    /// skin's blue-violet remission.
    public struct UVSpots: Sendable, Codable, Equatable {
        public var count: Int
        /// Spot pixels / analysed pixels.
        public var areaFraction: Double
        /// Spots per cm² of analysed skin (with a scale).
        public var densityPerSquareCentimetre: Double?
        /// Mean equivalent-disc diameter in input pixels (0 without spots) and in mm (with a scale).
        public var meanDiameterPixels: Double
        public var meanDiameterMillimetres: Double?
        /// Mean of 1 − Y / Y(background) over the spots' pixels: how much darker than the skin around.
        public var meanDarkening: Double

        public init(
            count: Int, areaFraction: Double, densityPerSquareCentimetre: Double?, meanDiameterPixels: Double,
            meanDiameterMillimetres: Double?, meanDarkening: Double
        ) {
            self.count = count
            self.areaFraction = areaFraction
            self.densityPerSquareCentimetre = densityPerSquareCentimetre
            self.meanDiameterPixels = meanDiameterPixels
            self.meanDiameterMillimetres = meanDiameterMillimetres
            self.meanDarkening = meanDarkening
        }

        enum CodingKeys: String, CodingKey {
            case count, areaFraction = "area_fraction", densityPerSquareCentimetre = "density_per_cm2"
            case meanDiameterPixels = "mean_diameter_pixels", meanDiameterMillimetres = "mean_diameter_mm", meanDarkening = "mean_darkening"
        }
    }

    /// Orange-red fluorescent dots (porphyrins, emission ≈ 600–640 nm): small bright points
    /// whose red share of the light is far above the blue-violet skin's.
    public struct Porphyrins: Sendable, Codable, Equatable {
        public var count: Int
        /// Fluorescent pixels / analysed pixels.
        public var areaFraction: Double
        /// Dots per cm² of analysed skin (with a scale).
        public var densityPerSquareCentimetre: Double?
        public var meanDiameterPixels: Double
        public var meanDiameterMillimetres: Double?
        /// Mean red chromaticity R / (R + G + B) (linear light) over the dots' pixels.
        public var meanRedChromaticity: Double

        public init(
            count: Int, areaFraction: Double, densityPerSquareCentimetre: Double?, meanDiameterPixels: Double,
            meanDiameterMillimetres: Double?, meanRedChromaticity: Double
        ) {
            self.count = count
            self.areaFraction = areaFraction
            self.densityPerSquareCentimetre = densityPerSquareCentimetre
            self.meanDiameterPixels = meanDiameterPixels
            self.meanDiameterMillimetres = meanDiameterMillimetres
            self.meanRedChromaticity = meanRedChromaticity
        }

        enum CodingKeys: String, CodingKey {
            case count, areaFraction = "area_fraction", densityPerSquareCentimetre = "density_per_cm2"
            case meanDiameterPixels = "mean_diameter_pixels", meanDiameterMillimetres = "mean_diameter_mm"
            case meanRedChromaticity = "mean_red_chromaticity"
        }
    }

    public var uvSpots: UVSpots
    public var porphyrins: Porphyrins
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
        uvSpots: UVSpots, porphyrins: Porphyrins, analysedPixelCount: Int, analysedPixelFraction: Double,
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
