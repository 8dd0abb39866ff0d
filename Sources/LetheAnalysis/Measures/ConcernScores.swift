import LetheAPI

/// Maps measures to 0–100 scores, higher = healthier. Each score falls linearly from 100 at a
/// "clear" value to 0 at a "severe" value of one measure (documented in docs/analysis/skin.md):
///
/// | concern | measure | 100 at | 0 at |
/// |---|---|---|---|
/// | spots | spot area fraction | 0 | 0.10 |
/// | pores | pore area fraction | 0 | 0.04 |
/// | redness | red area fraction | 0 | 0.30 |
/// | wrinkles | ridge fraction | 0.01 | 0.15 |
/// | shine | specular fraction | 0 | 0.15 |
/// | evenness | standard deviation of L* − local background L* | 1 | 6 |
///
/// The overall score is the rounded mean of the six, or of the five others when pores are not
/// measurable (they are left out, not scored as clear).
public enum ConcernScores {
    static func linear(_ value: Double, clear: Double, severe: Double) -> Int {
        let t = (value - clear) / (severe - clear)
        return Int((100 * (1 - min(1, max(0, t)))).rounded())
    }

    public static func scores(for concerns: SkinConcerns) -> SkinConcerns.Scores {
        let spots = linear(concerns.spots.areaFraction, clear: 0, severe: 0.10)
        let pores = concerns.pores.isMeasured ? concerns.pores.areaFraction.map { linear($0, clear: 0, severe: 0.04) } : nil
        let redness = linear(concerns.redAreaFraction, clear: 0, severe: 0.30)
        let wrinkles = linear(concerns.wrinkles.ridgeFraction, clear: 0.01, severe: 0.15)
        let shine = linear(concerns.shine.specularFraction, clear: 0, severe: 0.15)
        let evenness = linear(concerns.evenness.lStarStandardDeviation, clear: 1, severe: 6)
        let scored = [spots, redness, wrinkles, shine, evenness] + (pores.map { [$0] } ?? [])
        let overall = Int((Double(scored.reduce(0, +)) / Double(scored.count)).rounded())
        return .init(spots: spots, pores: pores, redness: redness, wrinkles: wrinkles, shine: shine, evenness: evenness, overall: overall)
    }
}
