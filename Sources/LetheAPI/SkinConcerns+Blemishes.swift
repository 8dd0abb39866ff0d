extension SkinConcerns {
    /// Red papules (inflamed acne lesions, blemishes): roundish marks 1–5 mm across whose a*
    /// stands above the surrounding skin's (docs/analysis/face.md "Blemishes"). Lesion counts per
    /// face region are what acne grading counts (Doshi, Zaheer & Stiller 1997's Global Acne
    /// Grading System: forehead, each cheek, nose, chin).
    public struct Blemishes: Sendable, Codable, Equatable {
        public var count: Int
        /// Papules per cm² of region skin (with a scale).
        public var densityPerSquareCentimetre: Double?
        /// Papule pixels / region skin pixels.
        public var areaFraction: Double
        /// Mean equivalent-disc diameter, input pixels (0 without papules) and mm (with a scale).
        public var meanDiameterPixels: Double
        public var meanDiameterMillimetres: Double?
        /// Mean a* of the papules above their surrounding skin's (Δa*; 0 without papules).
        public var meanContrastDeltaAStar: Double

        public init(
            count: Int, densityPerSquareCentimetre: Double?, areaFraction: Double, meanDiameterPixels: Double, meanDiameterMillimetres: Double?,
            meanContrastDeltaAStar: Double
        ) {
            self.count = count
            self.densityPerSquareCentimetre = densityPerSquareCentimetre
            self.areaFraction = areaFraction
            self.meanDiameterPixels = meanDiameterPixels
            self.meanDiameterMillimetres = meanDiameterMillimetres
            self.meanContrastDeltaAStar = meanContrastDeltaAStar
        }

        enum CodingKeys: String, CodingKey {
            case count, densityPerSquareCentimetre = "density_per_cm2", areaFraction = "area_fraction"
            case meanDiameterPixels = "mean_diameter_pixels", meanDiameterMillimetres = "mean_diameter_mm"
            case meanContrastDeltaAStar = "mean_contrast_delta_a_star"
        }
    }
}
