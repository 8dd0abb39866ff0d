/// What a photo is analysed as. The request's `kind=` (its raw value) is parsed into this once, by
/// the server; past that point no analysis decides by comparing strings.
public enum AnalysisKind: String, Sendable, Codable, CaseIterable {
    /// A close-up of skin, measured as one region.
    case skin
    /// A portrait: one frontal face, measured region by region.
    case face
    /// A trichoscope image of the scalp (needs the device's scale).
    case scalp
}
