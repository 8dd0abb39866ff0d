/// Skin colour classes by ITA° (Chardon et al. 1991; thresholds as used by Del Bino et al. 2006,
/// Pigment Cell Res 19:606): very light > 55° ≥ light > 41° ≥ intermediate > 28° ≥ tan > 10°
/// ≥ brown > −30° ≥ dark.
public enum SkinToneCategory: String, Sendable, Codable, CaseIterable {
    case veryLight = "very_light"
    case light
    case intermediate
    case tan
    case brown
    case dark

    /// The class of an ITA° value; a value on a boundary belongs to the darker class.
    public init(itaDegrees: Double) {
        switch itaDegrees {
        case let ita where ita > 55: self = .veryLight
        case let ita where ita > 41: self = .light
        case let ita where ita > 28: self = .intermediate
        case let ita where ita > 10: self = .tan
        case let ita where ita > -30: self = .brown
        default: self = .dark
        }
    }
}
