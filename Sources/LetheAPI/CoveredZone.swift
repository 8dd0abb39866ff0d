/// A face zone that something covers — hair, a beard, a mask, a hand — past
/// `FaceAnalysisConfiguration.maxZoneCoveredFraction` of its surface, or that shows no skin pixel
/// at all. It is listed here instead of
/// among the measured regions, so that the few skin pixels between the hairs of a fringe never
/// read as a zone of clear skin (no red, no shine, no unevenness: every score 100).
public struct CoveredZone: Sendable, Codable, Equatable {
    /// The zone's name, as `RegionMeasures.region`.
    public var region: String
    /// The zone polygon's bounding box, in input pixels.
    public var box: PixelRect
    /// The covered share of the zone's surface (`RegionMeasures.coveredFraction`).
    public var coveredFraction: Double
    /// The skin pixels left between, in input pixels (as `RegionMeasures.skinPixelCount`).
    public var skinPixelCount: Int

    public init(region: String, box: PixelRect, coveredFraction: Double, skinPixelCount: Int) {
        self.region = region
        self.box = box
        self.coveredFraction = coveredFraction
        self.skinPixelCount = skinPixelCount
    }

    enum CodingKeys: String, CodingKey {
        case region, box, coveredFraction = "covered_fraction", skinPixelCount = "skin_pixel_count"
    }
}
