/// A face zone that is not measured because something is in front of its skin: hair, a beard, a
/// mask or a hand over past `FaceAnalysisConfiguration.maxZoneCoveredFraction` of its surface, or
/// no skin pixel at all (`Cause.covering`), or the lenses of eyeglasses (`Cause.eyeglasses`). It is
/// listed here instead of among the measured regions, so that the few skin pixels between the
/// hairs of a fringe never read as a zone of clear skin (no red, no shine, no unevenness: every
/// score 100), and skin seen through glass is not measured as skin.
public struct CoveredZone: Sendable, Codable, Equatable {
    /// What is in front of the zone's skin.
    public enum Cause: String, Sendable, Codable, Equatable {
        /// Pixels that fail the skin colour check and are no highlights (hair, a beard, a mask, a hand).
        case covering
        /// The face wears eyeglasses (their frame's bridge found across the nose); the zone lies
        /// behind a lens, its glare and its frame's rim.
        case eyeglasses
    }

    /// The zone's name, as `RegionMeasures.region`.
    public var region: String
    /// The zone polygon's bounding box, in input pixels.
    public var box: PixelRect
    /// The covered share of the zone's surface (`RegionMeasures.coveredFraction`); 1 behind eyeglasses.
    public var coveredFraction: Double
    /// The skin pixels left between, in input pixels (as `RegionMeasures.skinPixelCount`); 0
    /// behind eyeglasses.
    public var skinPixelCount: Int
    public var cause: Cause

    public init(region: String, box: PixelRect, coveredFraction: Double, skinPixelCount: Int, cause: Cause = .covering) {
        self.region = region
        self.box = box
        self.coveredFraction = coveredFraction
        self.skinPixelCount = skinPixelCount
        self.cause = cause
    }

    enum CodingKeys: String, CodingKey {
        case region, box, coveredFraction = "covered_fraction", skinPixelCount = "skin_pixel_count", cause
    }
}
