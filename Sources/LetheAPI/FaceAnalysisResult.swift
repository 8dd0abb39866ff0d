/// The face-specific part of a `kind=face` result: where the face is and the measures of each
/// region. Whole-face measures are in `AnalysisResponse.measures`.
public struct FaceAnalysisResult: Sendable, Codable, Equatable {
    /// The detected face (Haar cascade window, grouped), in input pixels.
    public var box: PixelRect
    /// Raw detector windows merged into this face; more = more certain.
    public var detectorNeighbours: Int
    /// Face box width / image width.
    public var widthFraction: Double
    /// forehead, left/right cheek, nose, chin, left/right under-eye (left/right = the subject's).
    public var regions: [RegionMeasures]
    /// Only with `landmarks=true`: the 468 face-mesh points (MediaPipe's mesh order, e.g. 1 nose
    /// tip, 61/291 mouth corners) as [x, y] in input pixels, to 0.1 px.
    public var landmarks: [[Double]]?

    public init(box: PixelRect, detectorNeighbours: Int, widthFraction: Double, regions: [RegionMeasures], landmarks: [[Double]]? = nil) {
        self.box = box
        self.detectorNeighbours = detectorNeighbours
        self.widthFraction = widthFraction
        self.regions = regions
        self.landmarks = landmarks
    }

    enum CodingKeys: String, CodingKey {
        case box, detectorNeighbours = "detector_neighbours", widthFraction = "width_fraction", regions, landmarks
    }
}
