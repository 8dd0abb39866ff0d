import LetheAPI
import LetheImaging
import LetheMemory

/// Everything one analysis needs besides the photo: the kind, the scale and the thresholds.
/// Codable without `models` (an engine process has its own, loaded at its start).
public struct AnalysisSettings: Sendable, Codable {
    public var kind: AnalysisKind
    /// The device profile named by the request, if any.
    public var profile: DeviceProfile?
    /// `mm_per_pixel` from the request; wins over the profile.
    public var millimetresPerPixel: Double?
    public var quality: SkinAnalysisConfiguration
    public var face: FaceAnalysisConfiguration
    public var measures: SkinMeasureConfiguration
    public var scalp: ScalpAnalysisConfiguration
    /// Thresholds of the UV measures (photos under `uv` light).
    public var ultraviolet: UltravioletConfiguration
    /// Needed for `face`.
    public var models: AnalysisModels?
    /// `landmarks=true` (face): report the face-mesh points.
    public var landmarks: Bool

    private enum CodingKeys: String, CodingKey {
        case kind, profile, millimetresPerPixel, quality, face, measures, scalp, ultraviolet, landmarks
    }

    public init(
        kind: AnalysisKind, profile: DeviceProfile? = nil, millimetresPerPixel: Double? = nil,
        quality: SkinAnalysisConfiguration = .init(), face: FaceAnalysisConfiguration = .init(),
        measures: SkinMeasureConfiguration = .init(), scalp: ScalpAnalysisConfiguration = .init(), models: AnalysisModels? = nil,
        landmarks: Bool = false, ultraviolet: UltravioletConfiguration = .init()
    ) {
        self.ultraviolet = ultraviolet
        self.kind = kind
        self.profile = profile
        self.millimetresPerPixel = millimetresPerPixel
        self.quality = quality
        self.face = face
        self.measures = measures
        self.scalp = scalp
        self.models = models
        self.landmarks = landmarks
    }
}

/// What one photo's analysis produced; exactly the parts of its kind are set.
public struct PhotoAnalysisResult: Sendable {
    public var measures: SkinAnalysisResult?
    public var face: FaceAnalysisResult?
    public var scalp: ScalpAnalysisResult?
    /// A `kind=skin` photo under UV light: its UV measures (then `measures` is absent).
    public var ultraviolet: UltravioletAnalysisResult?
    /// Analysed with `labelling` (skin, face, scalp): the pixels each measure counted, which the
    /// simulations draw (`SimulationRenderer`); never sent as such. The caller releases them.
    var labels: ConcernLabels?

    /// Wipes the labels, if any (a second call is nothing).
    public func release(_ arena: PlaintextArena) {
        labels?.release(arena)
    }
}

/// Routes a decoded photo to the analysis of its kind.
public enum PhotoAnalysis {
    /// - Parameters:
    ///   - light: the photo's light (`DeviceProfile.light(ofPart:)`); without one, the profile's,
    ///     or normal. UV photos get the UV measures, cross-polarised ones no shine.
    ///   - releasingPixels: the caller renders nothing from `image` after the analysis: a face or
    ///     close-up analysis wipes its pixels through `arena` as soon as it has cut its working
    ///     image, so the full resolution is not alive through the measures (other kinds leave
    ///     them to the caller).
    ///   - labelling: a face, close-up or scalp analysis keeps the pixels each measure counted
    ///     (`PhotoAnalysisResult.labels`) for the simulations; the caller releases the result.
    /// - Throws: the analysis' codes, `analysis_unavailable` when `face` has no models,
    ///   `light_not_supported` for a UV photo of kind face or scalp.
    public static func run(
        _ image: DecodedImage, settings: AnalysisSettings, light: DeviceProfile.Light? = nil, releasingPixels: Bool = false,
        labelling: Bool = false, arena: PlaintextArena
    ) throws(LetheError) -> PhotoAnalysisResult {
        try run(ReducedPhoto(whole: image), settings: settings, light: light, releasingPixels: releasingPixels, labelling: labelling, arena: arena)
    }

    /// The short side to decode a photo of these settings reduced to (`ImageDecoder.decodeReduced`),
    /// nil for whole: only a face is read at full resolution in one rectangle.
    public static func overviewShortSide(for settings: AnalysisSettings) -> Int? {
        settings.kind == .face ? settings.face.overviewShortSidePixels : nil
    }

    /// - Parameter photo: decoded as `overviewShortSide(for:)` says; a reduced one only for `face`.
    public static func run(
        _ photo: ReducedPhoto, settings: AnalysisSettings, light: DeviceProfile.Light? = nil, releasingPixels: Bool = false,
        labelling: Bool = false, arena: PlaintextArena
    ) throws(LetheError) -> PhotoAnalysisResult {
        precondition(!photo.isReduced || settings.kind == .face, "only a face is analysed from a reduced photo")
        let image = photo.overview
        let light = light ?? settings.profile?.light ?? .normal
        // UV photos show neither the skin's colour nor its zones: only the close-up measures of UV apply.
        guard light != .uv || settings.kind == .skin else { throw .lightNotSupported(light, kind: settings.kind) }
        let scale = settings.millimetresPerPixel ?? settings.profile?.millimetresPerPixel(imageWidth: photo.width)
        let source = settings.millimetresPerPixel != nil ? "query" : (scale != nil ? "profile" : nil)
        switch settings.kind {
        case .face:
            guard let models = settings.models else { throw .analysisUnavailable("the face model is not loaded") }
            var (measures, face, _, labels) = try FaceAnalyzer.analyze(
                photo, models: models, configuration: settings.quality, face: settings.face,
                measures: settings.measures, millimetresPerPixel: scale, scaleSource: source,
                reportLandmarks: settings.landmarks, profile: settings.profile, releasingPixels: releasingPixels, labelling: labelling,
                arena: arena)
            if !light.showsSurfaceReflection {
                measures.concerns = measures.concerns.map(Self.withoutSurfaceReflection)
                for index in face.regions.indices { face.regions[index].concerns = Self.withoutSurfaceReflection(face.regions[index].concerns) }
                // Oiliness compares the T-zone's shine with the U-zone's: no shine, no oiliness.
                face.oiliness = nil
            }
            return PhotoAnalysisResult(measures: measures, face: face, labels: labels)
        case .scalp:
            let (result, labels) = try ScalpAnalyzer.analyze(
                image, millimetresPerPixel: scale, scaleSource: source ?? "query", configuration: settings.quality,
                scalp: settings.scalp, labelling: labelling, arena: arena)
            return PhotoAnalysisResult(scalp: result, labels: labels)
        case .skin where light == .uv:
            return PhotoAnalysisResult(ultraviolet: try UltravioletAnalyzer.analyze(
                image, configuration: settings.quality, ultraviolet: settings.ultraviolet, millimetresPerPixel: scale,
                scaleSource: source, arena: arena))
        case .skin:
            var (measures, labels) = try SkinAnalyzer.analyze(
                image, configuration: settings.quality, measures: settings.measures, millimetresPerPixel: scale,
                scaleSource: source, profile: settings.profile, releasingPixels: releasingPixels, labelling: labelling, arena: arena)
            if !light.showsSurfaceReflection { measures.concerns = measures.concerns.map(Self.withoutSurfaceReflection) }
            return PhotoAnalysisResult(measures: measures, labels: labels)
        }
    }

    /// Crossed polarisers block the surface reflection: whatever highlight remains is no shine, so
    /// shine is not measurable and the scores are those of the other measures.
    private static func withoutSurfaceReflection(_ concerns: SkinConcerns) -> SkinConcerns {
        var concerns = concerns
        concerns.shine = .notMeasurable(reason: DeviceProfile.Light.crossPolarisedShineReason)
        concerns.scores = ConcernScores.scores(for: concerns)
        return concerns
    }
}
