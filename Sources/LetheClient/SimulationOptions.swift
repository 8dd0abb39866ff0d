/// What a device asks to see besides the measures: concern masks, an overlay and (skin and
/// face photos) the after-care preview. Sent as query parameters of the inner request;
/// the worker answers with the images base64 in the JSON (`preview`, `overlay`, `masks`).
public struct SimulationOptions: Sendable, Equatable {
    /// Concerns to render: `spots`, `redness`, `pores`, `wrinkles`, `evenness` (skin, face);
    /// `hair`, `flakes` (scalp).
    public var concerns: [String]
    /// Strength 0–1 of every concern in the preview (the worker's default is 0.5).
    public var strength: Double?
    /// Per-concern strengths, overriding `strength`.
    public var strengths: [String: Double]
    /// Longest side of the rendered images (the worker's default is 1024).
    public var maxDimension: Int?
    /// `jpeg` (default), `png` or `webp` for the preview and the overlay; masks are PNG.
    public var format: String?
    /// 1–100 (default 85).
    public var quality: Int?

    public init(
        concerns: [String], strength: Double? = nil, strengths: [String: Double] = [:], maxDimension: Int? = nil,
        format: String? = nil, quality: Int? = nil
    ) {
        self.concerns = concerns
        self.strength = strength
        self.strengths = strengths
        self.maxDimension = maxDimension
        self.format = format
        self.quality = quality
    }

    /// The query parameters: `simulate`, `strength`, `strength.<concern>`, `max_dimension`,
    /// `format`, `quality`.
    public var queryParameters: [String: String] {
        var parameters = ["simulate": concerns.joined(separator: ",")]
        if let strength { parameters["strength"] = "\(strength)" }
        for (concern, value) in strengths { parameters["strength.\(concern)"] = "\(value)" }
        if let maxDimension { parameters["max_dimension"] = "\(maxDimension)" }
        if let format { parameters["format"] = format }
        if let quality { parameters["quality"] = "\(quality)" }
        return parameters
    }
}
