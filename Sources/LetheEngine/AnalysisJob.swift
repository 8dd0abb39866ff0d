import LetheAnalysis
import LetheImaging

/// One request's work as the engine takes it: which photos (ranges of the request's wiped
/// buffer), how to analyse them and what to render. The server builds it from the decrypted
/// request (route, token, profile, multipart parts) and never looks at the photos itself.
public struct AnalysisJob: Sendable, Codable {
    /// A photo of the request: its form-data name (`photo` for a single body), where its bytes
    /// lie in the request buffer, and its light (from the device profile).
    public struct Photo: Sendable, Codable {
        public let name: String
        public let range: Range<Int>
        public let light: DeviceProfile.Light

        public init(name: String, range: Range<Int>, light: DeviceProfile.Light = .normal) {
            self.name = name
            self.range = range
            self.light = light
        }
    }

    /// The request's random id, echoed in the result.
    public var requestID: String
    /// The kind, scale, thresholds, profile and models of the analysis.
    public var settings: AnalysisSettings
    /// At least one; a session's photos in the order they were sent.
    public var photos: [Photo]
    /// A multipart session: the result carries each photo's measures and the combined ones, even
    /// for a session of one photo.
    public var isSession: Bool
    /// Renderings for the first photo, when asked for.
    public var simulation: SimulationRequest?
    /// The bounds every photo is decoded within.
    public var decodeLimits: DecodeLimits

    public init(
        requestID: String, settings: AnalysisSettings, photos: [Photo], isSession: Bool,
        simulation: SimulationRequest?, decodeLimits: DecodeLimits
    ) {
        self.requestID = requestID
        self.settings = settings
        self.photos = photos
        self.isSession = isSession
        self.simulation = simulation
        self.decodeLimits = decodeLimits
    }
}
