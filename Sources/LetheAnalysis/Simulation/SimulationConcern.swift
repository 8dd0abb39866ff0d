/// A concern a simulation can show: as a mask and overlay colour, and (skin and face photos) as
/// a change in the after-care preview.
public enum SimulationConcern: String, Sendable, CaseIterable, Codable {
    case spots, redness, pores, wrinkles, evenness
    /// Scalp: hair strands and flakes (masks only).
    case hair, flakes

    /// The analysis kinds the concern exists for.
    public var kinds: [AnalysisKind] {
        switch self {
        case .hair, .flakes: [.scalp]
        default: [.skin, .face]
        }
    }

    /// Evenness is a property of the whole skin, not of places: it changes the preview but has no mask.
    public var hasMask: Bool { self != .evenness }

    /// Whether the after-care preview changes with this concern's strength.
    public var changesPreview: Bool { kinds.contains(.skin) }

    /// Legend colour of the mask and the overlay (sRGB), from Trubetskoy's 20 distinct colours
    /// (chosen to stay apart from skin tones and from each other).
    public var legendColour: (red: UInt8, green: UInt8, blue: UInt8) {
        switch self {
        case .spots: (245, 130, 48)
        case .redness: (230, 25, 75)
        case .pores: (0, 130, 200)
        case .wrinkles: (145, 30, 180)
        case .evenness: (128, 128, 128)
        case .hair: (60, 180, 75)
        case .flakes: (255, 225, 25)
        }
    }

    /// `#rrggbb` of the legend colour.
    public var legendHex: String {
        let (r, g, b) = legendColour
        return "#" + [r, g, b].map { value in
            let digits = String(value, radix: 16)
            return digits.count == 1 ? "0" + digits : digits
        }.joined()
    }
}
