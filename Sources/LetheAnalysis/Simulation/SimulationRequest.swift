import LetheImaging

/// Output control of the rendered images: size, format, quality.
public struct SimulationOutput: Sendable, Equatable, Codable {
    /// The longer side of every rendered image, at most; photos are only ever scaled down.
    public var maxDimension: Int
    /// Format of the preview and the overlay (masks are always PNG, for their alpha channel).
    public var format: ImageFormat
    /// 1–100; JPEG and lossy WebP quality. WebP at 100 is lossless; PNG ignores it.
    public var quality: Int

    public static let defaultMaxDimension = 1024
    public static let defaultQuality = 85

    public init(maxDimension: Int = SimulationOutput.defaultMaxDimension, format: ImageFormat = .jpeg, quality: Int = SimulationOutput.defaultQuality) {
        self.maxDimension = maxDimension
        self.format = format
        self.quality = quality
    }
}

/// What a request asks to be rendered: `simulate=spots,redness&strength=0.6&strength.redness=0.9
/// &max_dimension=800&format=png&quality=90`.
public struct SimulationRequest: Sendable, Equatable, Codable {
    /// Requested concerns, in request order, without repeats.
    public var concerns: [SimulationConcern]
    /// Strength 0–1 of each requested concern in the preview.
    public var strengths: [SimulationConcern: Double]
    public var output: SimulationOutput

    /// Strength of concerns the request names without a strength.
    public static let defaultStrength = 0.5

    public init(concerns: [SimulationConcern], strengths: [SimulationConcern: Double] = [:], output: SimulationOutput = SimulationOutput()) {
        self.concerns = concerns
        self.strengths = strengths
        self.output = output
    }

    /// The strength the preview applies for `concern`: 0 when the concern was not requested.
    public func strength(of concern: SimulationConcern) -> Double {
        guard concerns.contains(concern) else { return 0 }
        return strengths[concern] ?? SimulationRequest.defaultStrength
    }
}
