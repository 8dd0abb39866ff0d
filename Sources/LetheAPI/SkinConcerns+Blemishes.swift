extension SkinConcerns {
    /// Red papules (inflamed acne lesions, blemishes): roundish marks 1–5 mm across whose a*
    /// stands above the surrounding skin's (docs/analysis/face.md "Blemishes"). Lesion counts per
    /// face region are what acne grading counts (Doshi, Zaheer & Stiller 1997's Global Acne
    /// Grading System: forehead, each cheek, nose, chin). Measured only where the resolution shows
    /// the smallest papule looked for (with a scale: 1 mm at least 2 working pixels across), as
    /// spots: otherwise `status` is `not_measurable`, the figures are absent (never a count of
    /// whichever red pixels the grid happens to group) and `required_mm_per_pixel` says what scale
    /// would do. A measure, not scored.
    public struct Blemishes: Sendable, Codable, Equatable {
        /// `measured` or `not_measurable` (the photo's pixels are too coarse for the smallest papules).
        public var status: String
        /// Absent when not measurable (so are the other figures).
        public var count: Int?
        /// Papules per cm² of region skin (with a scale).
        public var densityPerSquareCentimetre: Double?
        /// Papule pixels / region skin pixels.
        public var areaFraction: Double?
        /// Mean equivalent-disc diameter, input pixels (0 without papules) and mm (with a scale).
        public var meanDiameterPixels: Double?
        public var meanDiameterMillimetres: Double?
        /// Mean a* of the papules above their surrounding skin's (Δa*; 0 without papules).
        public var meanContrastDeltaAStar: Double?
        /// With a scale: the coarsest scale (mm per input pixel, at this photo's working
        /// resolution) at which papules are measured.
        public var requiredMillimetresPerPixel: Double?

        public init(
            count: Int, densityPerSquareCentimetre: Double?, areaFraction: Double, meanDiameterPixels: Double, meanDiameterMillimetres: Double?,
            meanContrastDeltaAStar: Double, requiredMillimetresPerPixel: Double? = nil
        ) {
            self.status = Spots.measured
            self.count = count
            self.densityPerSquareCentimetre = densityPerSquareCentimetre
            self.areaFraction = areaFraction
            self.meanDiameterPixels = meanDiameterPixels
            self.meanDiameterMillimetres = meanDiameterMillimetres
            self.meanContrastDeltaAStar = meanContrastDeltaAStar
            self.requiredMillimetresPerPixel = requiredMillimetresPerPixel
        }

        /// Papules the resolution cannot show: no figures, only the scale that would.
        public static func notMeasurable(requiredMillimetresPerPixel: Double?) -> Blemishes {
            var blemishes = Blemishes(
                count: 0, densityPerSquareCentimetre: nil, areaFraction: 0, meanDiameterPixels: 0, meanDiameterMillimetres: nil,
                meanContrastDeltaAStar: 0, requiredMillimetresPerPixel: requiredMillimetresPerPixel)
            blemishes.status = Spots.notMeasurable
            (blemishes.count, blemishes.areaFraction, blemishes.meanDiameterPixels, blemishes.meanContrastDeltaAStar) = (nil, nil, nil, nil)
            return blemishes
        }

        public var isMeasured: Bool { status == Spots.measured }

        enum CodingKeys: String, CodingKey {
            case status, count, densityPerSquareCentimetre = "density_per_cm2", areaFraction = "area_fraction"
            case meanDiameterPixels = "mean_diameter_pixels", meanDiameterMillimetres = "mean_diameter_mm"
            case meanContrastDeltaAStar = "mean_contrast_delta_a_star", requiredMillimetresPerPixel = "required_mm_per_pixel"
        }
    }
}
