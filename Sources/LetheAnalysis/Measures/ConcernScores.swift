import LetheAPI

/// Maps measures to 0–100 scores, higher = healthier. Each score falls linearly from 100 at a
/// "clear" value to 0 at a "severe" value of one measure (documented in docs/analysis/skin.md):
///
/// | concern | measure | 100 at | 0 at |
/// |---|---|---|---|
/// | spots | spot area fraction | 0 | 0.10 |
/// | pores | pore area fraction | 0 | 0.04 |
/// | redness | red area fraction | 0 | 0.30 |
/// | wrinkles | line length per skin area (mm/cm²) | 0 | 10 |
/// | shine | specular share (the highlights' light over the skin's) | 0.01 | 0.10 |
/// | evenness | s.d. of the green lightness band-passed to 2–12 mm (`EvennessBand`) | 1 | 6 |
///
/// The overall score is the rounded mean of the six, or of the others when spots, pores, wrinkles,
/// shine or evenness are not measurable (they are left out, not scored as clear).
public enum ConcernScores {
    static func linear(_ value: Double, clear: Double, severe: Double) -> Int {
        let t = (value - clear) / (severe - clear)
        return Int((100 * (1 - min(1, max(0, t)))).rounded())
    }

    /// Wrinkle lines 10 mm per cm² of skin score 0: parallel lines 1 cm apart across the whole
    /// region (a convention, not a clinical grade; see docs/analysis/face.md).
    public static let severeLineMillimetresPerSquareCentimetre = 10.0
    /// Without a scale the line detector's pixel widths (2–12 px for 0.3–3 mm lines) and minimum
    /// length (15 px for 3 mm) stand for about 0.2 mm per input pixel; the score assumes it.
    static let nominalMillimetresPerPixel = 0.2

    /// The wrinkles score's measure: line length per skin area, mm/cm² (with a scale), or the
    /// scale-free density at the detector's nominal 0.2 mm per pixel.
    public static func lineDensity(_ wrinkles: SkinConcerns.Wrinkles) -> Double? {
        guard wrinkles.isMeasured else { return nil }
        // length·s / (area·s² / 100) = 100 · (length / area) / s, and per 10k pixels = 10⁴ · length / area.
        return wrinkles.lineLengthMillimetresPerSquareCentimetre ?? wrinkles.lineLengthPer10kPixels.map { $0 / 100 / nominalMillimetresPerPixel }
    }

    public static func scores(for concerns: SkinConcerns) -> SkinConcerns.Scores {
        let spots = concerns.spots.isMeasured ? concerns.spots.areaFraction.map { linear($0, clear: 0, severe: 0.10) } : nil
        let pores = concerns.pores.isMeasured ? concerns.pores.areaFraction.map { linear($0, clear: 0, severe: 0.04) } : nil
        let redness = linear(concerns.redAreaFraction, clear: 0, severe: 0.30)
        let wrinkles = lineDensity(concerns.wrinkles).map { linear($0, clear: 0, severe: severeLineMillimetresPerSquareCentimetre) }
        let shine = concerns.shine.specularShare.map { linear($0, clear: 0.01, severe: 0.10) }
        let evenness = concerns.evenness.lStarStandardDeviation.map { linear($0, clear: 1, severe: 6) }
        let scored = [redness] + [evenness, spots, wrinkles, shine, pores].compactMap { $0 }
        let overall = Int((Double(scored.reduce(0, +)) / Double(scored.count)).rounded())
        return .init(spots: spots, pores: pores, redness: redness, wrinkles: wrinkles, shine: shine, evenness: evenness, overall: overall)
    }
}
