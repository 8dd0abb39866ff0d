/// One photo of a multi-photo session (`multipart/form-data`): its part name and its own results.
public struct SessionPhotoResult: Codable, Sendable, Equatable {
    /// The form part's name, e.g. `normal`, `polarised`, `uv`, `front`, `left`, `right`.
    public var name: String
    public var image: AnalysisResponse.ImageInfo
    public var measures: SkinAnalysisResult?
    public var face: FaceAnalysisResult?
    public var scalp: ScalpAnalysisResult?
    /// The photo's light (`normal`, `parallel_polarised`, `cross_polarised`, `uv`), when the
    /// request names a device profile.
    public var light: String?
    /// A skin photo under UV light: its UV measures (it has no `measures`).
    public var ultraviolet: UltravioletAnalysisResult?

    public init(name: String, image: AnalysisResponse.ImageInfo, measures: SkinAnalysisResult?, face: FaceAnalysisResult?, scalp: ScalpAnalysisResult?) {
        self.name = name
        self.image = image
        self.measures = measures
        self.face = face
        self.scalp = scalp
    }
}
