/// The face-specific part of a `kind=face` result: where the face is and the measures of each
/// region. Whole-face measures are in `AnalysisResponse.measures`.
public struct FaceAnalysisResult: Sendable, Codable, Equatable {
    /// The detected face (Haar cascade window, grouped), in input pixels.
    public var box: PixelRect
    /// Raw detector windows merged into this face; more = more certain.
    public var detectorNeighbours: Int
    /// Face box width / image width.
    public var widthFraction: Double
    /// The zones drawn from the face mesh (forehead, glabella, crow's feet, under-eye, cheeks,
    /// nose, nasolabial, perioral, chin; left/right = the subject's), each measured on its skin only.
    /// `box` is the zone polygon's bounding box.
    public var regions: [RegionMeasures]
    /// The zones too covered to measure (`CoveredZone`): absent from `regions`, from the whole-face
    /// measures, the dark circles, the oiliness and the simulations. Absent when none is.
    public var coveredZones: [CoveredZone]?
    /// Head pose from the face mesh.
    public var pose: FacePose?
    /// Under-eye against cheek colour, per side (absent when a zone has no clear skin or is covered).
    public var darkCircles: DarkCircles?
    /// Shine of the T-zone against the U-zone.
    public var oiliness: Oiliness?
    /// Only with `landmarks=true`: the 468 face-mesh points (MediaPipe's mesh order, e.g. 1 nose
    /// tip, 61/291 mouth corners) as [x, y] in input pixels, to 0.1 px.
    public var landmarks: [[Double]]?
    /// Only with `landmarks=true`: the face oval, the excluded parts and the zone polygons.
    public var zones: [FaceZone]?

    public init(
        box: PixelRect, detectorNeighbours: Int, widthFraction: Double, regions: [RegionMeasures], coveredZones: [CoveredZone]? = nil,
        pose: FacePose? = nil, landmarks: [[Double]]? = nil, zones: [FaceZone]? = nil, darkCircles: DarkCircles? = nil, oiliness: Oiliness? = nil
    ) {
        self.coveredZones = coveredZones
        self.oiliness = oiliness
        self.darkCircles = darkCircles
        self.box = box
        self.detectorNeighbours = detectorNeighbours
        self.widthFraction = widthFraction
        self.regions = regions
        self.landmarks = landmarks
        self.pose = pose
        self.zones = zones
    }

    enum CodingKeys: String, CodingKey {
        case box, detectorNeighbours = "detector_neighbours", widthFraction = "width_fraction", regions, coveredZones = "covered_zones", pose
        case landmarks, zones
        case darkCircles = "dark_circles", oiliness
    }
}
