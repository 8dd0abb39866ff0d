/// The JSON body of a successful analysis, as the device receives it inside the encrypted
/// response. Documented in `openapi.yaml`.
public struct AnalysisResponse: Codable, Sendable, Equatable {
    /// Describes the decoded photo.
    public struct ImageInfo: Codable, Sendable, Equatable {
        public var width: Int
        public var height: Int
        /// Format sniffed from the bytes: `jpeg`, `png`, `webp` or `heif`.
        public var format: String

        public init(width: Int, height: Int, format: String) {
            self.width = width
            self.height = height
            self.format = format
        }
    }

    /// Random id of this request; the deletion ledger entry carries the same id.
    public var requestID: String
    /// Analysis kind, e.g. `skin`.
    public var kind: String
    public var image: ImageInfo
    /// Skin measures: of the whole photo (`skin`) or of the whole face (`face`); absent for `scalp`.
    public var measures: SkinAnalysisResult?
    /// `kind=face`: the face box and per-region measures.
    public var face: FaceAnalysisResult?
    /// `kind=scalp`: hair, flake and scalp measures.
    public var scalp: ScalpAnalysisResult?
    /// Sessions (`multipart/form-data`, several photos of one capture): each photo's results, in
    /// upload order. Then `image` is the first photo's, and `measures` / `scalp` are combined over
    /// the photos (see docs/analysis/sessions.md); `face` is absent (per photo only).
    public var photos: [SessionPhotoResult]?
    /// One photo: its light, when the request names a device profile (sessions: per photo).
    public var light: String?
    /// `kind=skin` under UV light: UV spots and porphyrins (a session: combined over its UV photos).
    public var ultraviolet: UltravioletAnalysisResult?
    /// Sessions: for each measure, the names of the photos it was taken from — shine from normal
    /// or parallel-polarised photos, colour and pigment from cross-polarised ones when there are,
    /// UV measures from UV photos (docs/analysis/sessions.md).
    public var measureSources: [String: [String]]?
    /// `simulate=…` on a skin or face photo: the after-care preview.
    public var preview: SimulationImage?
    /// `simulate=…`: the photo with every requested mask blended in its legend colour.
    public var overlay: SimulationImage?
    /// `simulate=…`: one mask per requested concern that has one, by concern name.
    public var masks: [String: ConcernMask]?
    /// `simulate=…`: concerns, strengths, legend and output settings of the images above.
    public var simulation: SimulationSummary?

    enum CodingKeys: String, CodingKey {
        case requestID = "request_id"
        case kind, image, measures, face, scalp, photos, light, ultraviolet, measureSources = "measure_sources", preview, overlay, masks, simulation
    }

    public init(
        requestID: String, kind: String, image: ImageInfo, measures: SkinAnalysisResult?,
        face: FaceAnalysisResult? = nil, scalp: ScalpAnalysisResult? = nil, photos: [SessionPhotoResult]? = nil
    ) {
        self.requestID = requestID
        self.kind = kind
        self.image = image
        self.measures = measures
        self.face = face
        self.scalp = scalp
        self.photos = photos
    }
}

/// The JSON body of every refused or failed inner request.
public struct ErrorResponse: Codable, Sendable, Equatable {
    /// A stable code and a human message.
    public struct Detail: Codable, Sendable, Equatable {
        /// Stable snake_case code (the contract); see the README's error table.
        public var code: String
        /// Human explanation; wording may change.
        public var message: String

        public init(code: String, message: String) {
            self.code = code
            self.message = message
        }
    }

    /// Random id of this request; the deletion ledger entry carries the same id.
    public var requestID: String
    public var error: Detail

    enum CodingKeys: String, CodingKey {
        case requestID = "request_id"
        case error
    }

    public init(requestID: String, error: Detail) {
        self.requestID = requestID
        self.error = error
    }
}
