/// The measures of a scalp close-up (trichoscope), `kind=scalp`. Needs the device's scale.
public struct ScalpAnalysisResult: Sendable, Codable, Equatable {
    /// Hairs by shaft width: thin < 60 µm ≤ medium ≤ 80 µm < thick.
    public struct WidthDistribution: Sendable, Codable, Equatable {
        public var thin: Int
        public var medium: Int
        public var thick: Int

        public init(thin: Int, medium: Int, thick: Int) {
            self.thin = thin
            self.medium = medium
            self.thick = thick
        }
    }

    /// Hairs by type from their shaft width: vellus thinner than 30 µm, terminal the rest (the
    /// "thin hairs < 0.03 mm" of Rakowska et al. 2009, Int J Trichology 1:123; length, the other
    /// half of the definition, is not seen when a hair leaves the image).
    public struct HairTypes: Sendable, Codable, Equatable {
        /// Upper shaft width of a vellus hair, micrometres.
        public static let vellusMaximumWidthMicrometres = 30.0
        public var vellus: Int
        public var terminal: Int

        public init(vellus: Int, terminal: Int) {
            self.vellus = vellus
            self.terminal = terminal
        }
    }

    /// Follicular units by the number of hairs that leave them.
    public struct FollicularUnits: Sendable, Codable, Equatable {
        public var count: Int
        public var oneHair: Int
        public var twoHairs: Int
        public var threeOrMoreHairs: Int
        public var meanHairsPerUnit: Double

        public init(count: Int, oneHair: Int, twoHairs: Int, threeOrMoreHairs: Int, meanHairsPerUnit: Double) {
            self.count = count
            self.oneHair = oneHair
            self.twoHairs = twoHairs
            self.threeOrMoreHairs = threeOrMoreHairs
            self.meanHairsPerUnit = meanHairsPerUnit
        }

        enum CodingKeys: String, CodingKey {
            case count, oneHair = "one_hair", twoHairs = "two_hairs", threeOrMoreHairs = "three_or_more_hairs"
            case meanHairsPerUnit = "mean_hairs_per_unit"
        }
    }

    /// 0–100, higher = healthier; mappings in docs/analysis/scalp.md.
    public struct Scores: Sendable, Codable, Equatable {
        public var density: Int
        public var thickness: Int
        public var flakes: Int
        public var redness: Int
        public var overall: Int

        public init(density: Int, thickness: Int, flakes: Int, redness: Int, overall: Int) {
            self.density = density
            self.thickness = thickness
            self.flakes = flakes
            self.redness = redness
            self.overall = overall
        }
    }

    public var hairCount: Int
    public var densityPerSquareCentimetre: Double
    /// Mean shaft width over hairs, in micrometres.
    public var meanWidthMicrometres: Double
    public var widthDistribution: WidthDistribution
    /// Vellus and terminal hairs (they add up to `hairCount`); nil in results from before they were reported.
    public var hairTypes: HairTypes?
    public var follicularUnits: FollicularUnits
    /// Flake (dandruff) pixels / all pixels.
    public var flakeAreaFraction: Double
    /// White and grey hairs (shafts brighter than the scalp), part of `hairCount`; nil in results
    /// from before they were told from flakes.
    public var whiteHairCount: Int?
    /// Scalp (not hair, not flake) colour.
    public var redness: SkinAnalysisResult.Redness
    /// Fraction of pixels that are near-white highlights (L* ≥ 95).
    public var specularFraction: Double
    /// Imaged area.
    public var fieldOfViewSquareCentimetres: Double
    public var millimetresPerPixel: Double
    /// `profile` or `query`.
    public var scaleSource: String
    public var quality: SkinAnalysisResult.Quality
    public var scores: Scores

    public init(
        hairCount: Int, densityPerSquareCentimetre: Double, meanWidthMicrometres: Double, widthDistribution: WidthDistribution,
        hairTypes: HairTypes? = nil, follicularUnits: FollicularUnits, flakeAreaFraction: Double, whiteHairCount: Int? = nil, redness: SkinAnalysisResult.Redness, specularFraction: Double,
        fieldOfViewSquareCentimetres: Double, millimetresPerPixel: Double, scaleSource: String, quality: SkinAnalysisResult.Quality, scores: Scores
    ) {
        self.hairCount = hairCount
        self.densityPerSquareCentimetre = densityPerSquareCentimetre
        self.meanWidthMicrometres = meanWidthMicrometres
        self.widthDistribution = widthDistribution
        self.hairTypes = hairTypes
        self.follicularUnits = follicularUnits
        self.flakeAreaFraction = flakeAreaFraction
        self.whiteHairCount = whiteHairCount
        self.redness = redness
        self.specularFraction = specularFraction
        self.fieldOfViewSquareCentimetres = fieldOfViewSquareCentimetres
        self.millimetresPerPixel = millimetresPerPixel
        self.scaleSource = scaleSource
        self.quality = quality
        self.scores = scores
    }

    enum CodingKeys: String, CodingKey {
        case hairCount = "hair_count", densityPerSquareCentimetre = "density_per_cm2", meanWidthMicrometres = "mean_width_um"
        case widthDistribution = "width_distribution", hairTypes = "hair_types", follicularUnits = "follicular_units", flakeAreaFraction = "flake_area_fraction"
        case whiteHairCount = "white_hair_count"
        case redness, specularFraction = "specular_fraction", fieldOfViewSquareCentimetres = "field_of_view_cm2"
        case millimetresPerPixel = "mm_per_pixel", scaleSource = "scale_source", quality, scores
    }
}
