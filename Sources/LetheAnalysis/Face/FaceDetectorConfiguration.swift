/// Settings of the sliding-window search.
public struct FaceDetectorConfiguration: Sendable, Equatable {
    /// The photo is box-averaged by an integer factor so that its shorter side is between this
    /// and twice this before the search: detection cost is independent of the photo's size.
    public var workingShortSidePixels: Int
    /// Pyramid step between window scales (OpenCV's `scaleFactor`).
    public var scaleFactor: Double
    /// Raw hits a face needs beyond the first (OpenCV's `minNeighbors`).
    public var minNeighbours: Int
    /// Similarity of hits that are merged (OpenCV `groupRectangles` eps).
    public var groupingEpsilon: Double

    /// Defaults: 256 px working scale, ×1.1 pyramid, eps 0.2 (OpenCV's defaults for
    /// `detectMultiScale` and `groupRectangles`), and 5 neighbours instead of OpenCV's 3: on the
    /// fixture portrait the real face gathers 25 hits and the cascade's false positives 4–5.
    public init(workingShortSidePixels: Int = 256, scaleFactor: Double = 1.1, minNeighbours: Int = 5, groupingEpsilon: Double = 0.2) {
        self.workingShortSidePixels = workingShortSidePixels
        self.scaleFactor = scaleFactor
        self.minNeighbours = minNeighbours
        self.groupingEpsilon = groupingEpsilon
    }
}
