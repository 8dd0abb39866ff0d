import LetheAPI

/// One photo of a session as the combination takes it: its part name, its light and its results.
public struct SessionPhoto: Sendable {
    public var name: String
    public var light: DeviceProfile.Light
    public var measures: SkinAnalysisResult?
    public var ultraviolet: UltravioletAnalysisResult?

    public init(name: String, light: DeviceProfile.Light, measures: SkinAnalysisResult?, ultraviolet: UltravioletAnalysisResult? = nil) {
        self.name = name
        self.light = light
        self.measures = measures
        self.ultraviolet = ultraviolet
    }
}

/// A session's combined results and, per measure, the photos they were taken from.
public struct CombinedSession: Sendable {
    public var measures: SkinAnalysisResult?
    public var ultraviolet: UltravioletAnalysisResult?
    /// Measure (`skin_tone`, `redness`, `red_area`, `spots`, `evenness`, `shine`, `pores`,
    /// `wrinkles`, `blemishes`, `texture`, `radiance`, `uv_spots`, `porphyrins`) → the names of
    /// the photos it comes from, in upload order. A measure no photo could give is absent.
    public var sources: [String: [String]]
}

extension SessionCombination {
    /// The measures of each light from the photos that show them (docs/analysis/sessions.md#light):
    /// shine only from normal or parallel-polarised photos (cross-polarised light removes the
    /// surface reflection); colour and pigment — skin tone, redness, red area, spots, evenness —
    /// from the cross-polarised photos when the session has one (no glare veils the pigment),
    /// otherwise from all visible-light photos; UV spots and porphyrins from the UV photos; the
    /// rest (pores, wrinkles, blemishes, texture, radiance) from every visible-light photo.
    /// Photos of one light are combined as `combine(_:)` does.
    public static func combine(_ photos: [SessionPhoto]) -> CombinedSession {
        let visible = photos.filter { $0.measures != nil }
        let surface = visible.filter { $0.light.showsSurfaceReflection }
        let crossPolarised = visible.filter { $0.light == .crossPolarised }
        let pigment = crossPolarised.isEmpty ? visible : crossPolarised
        let uv = photos.filter { $0.ultraviolet != nil }
        var measures = combine(visible.compactMap(\.measures))
        // Only a session that mixes lights is routed: one light keeps the plain combination.
        if surface.count != visible.count || pigment.count != visible.count, var combined = measures, var concerns = combined.concerns {
            concerns.shine = combine(surface.compactMap(\.measures))?.concerns?.shine ?? .notMeasurable(reason: DeviceProfile.Light.crossPolarisedShineReason)
            if let colour = combine(pigment.compactMap(\.measures)), let pigmentConcerns = colour.concerns {
                combined.skinTone = colour.skinTone
                combined.redness = colour.redness
                combined.colourCalibration = colour.colourCalibration
                concerns.spots = pigmentConcerns.spots
                concerns.evenness = pigmentConcerns.evenness
                concerns.redAreaFraction = pigmentConcerns.redAreaFraction
            }
            concerns.scores = ConcernScores.scores(for: concerns)
            combined.concerns = concerns
            measures = combined
        }
        var sources: [String: [String]] = [:]
        func record(_ keys: [String], _ from: [SessionPhoto]) {
            guard !from.isEmpty else { return }
            for key in keys { sources[key] = from.map(\.name) }
        }
        if measures != nil {
            record(["pores", "wrinkles", "blemishes", "texture", "radiance"], visible)
            record(["skin_tone", "redness", "red_area", "spots", "evenness"], pigment)
            record(["shine"], surface)
        }
        record(["uv_spots", "porphyrins"], uv)
        return CombinedSession(measures: measures, ultraviolet: combine(uv.compactMap(\.ultraviolet)), sources: sources)
    }

    /// UV results of several photos: counts add up, area fractions are weighted by the analysed
    /// pixels, densities follow from the sums (with a scale on every photo), diameters are
    /// count-weighted; `quality` is the first photo's.
    public static func combine(_ results: [UltravioletAnalysisResult]) -> UltravioletAnalysisResult? {
        guard let first = results.first else { return nil }
        guard results.count > 1 else { return first }
        let pixels = Double(max(1, results.reduce(0) { $0 + $1.analysedPixelCount }))
        let squareCentimetres: Double? = results.allSatisfy { $0.millimetresPerPixel != nil }
            ? results.reduce(0) { $0 + Double($1.analysedPixelCount) * ($1.millimetresPerPixel ?? 0) * ($1.millimetresPerPixel ?? 0) / 100 } : nil
        func areaWeighted(_ value: (UltravioletAnalysisResult) -> Double) -> Double {
            results.reduce(0) { $0 + value($1) * Double($1.analysedPixelCount) } / pixels
        }
        func countWeighted(_ count: (UltravioletAnalysisResult) -> Int, _ value: (UltravioletAnalysisResult) -> Double) -> Double {
            let total = results.reduce(0) { $0 + count($1) }
            return total > 0 ? results.reduce(0) { $0 + value($1) * Double(count($1)) } / Double(total) : 0
        }
        func millimetres(_ count: (UltravioletAnalysisResult) -> Int, _ value: (UltravioletAnalysisResult) -> Double?) -> Double? {
            results.allSatisfy { value($0) != nil } ? countWeighted(count) { value($0) ?? 0 } : nil
        }
        func marks(_ pick: (UltravioletAnalysisResult) -> UltravioletAnalysisResult.Marks) -> UltravioletAnalysisResult.Marks {
            let count = results.reduce(0) { $0 + pick($1).count }, area = areaWeighted { pick($0).areaFraction }
            func areaMean(_ value: (UltravioletAnalysisResult.Marks) -> Double?) -> Double? {
                results.allSatisfy({ value(pick($0)) != nil }) ? (area > 0 ? areaWeighted { (value(pick($0)) ?? 0) * pick($0).areaFraction } / area : 0) : nil
            }
            return .init(
                count: count, areaFraction: area, densityPerSquareCentimetre: squareCentimetres.map { Double(count) / max($0, 1e-9) },
                meanDiameterPixels: countWeighted({ pick($0).count }, { pick($0).meanDiameterPixels }),
                meanDiameterMillimetres: millimetres({ pick($0).count }, { pick($0).meanDiameterMillimetres }),
                meanDarkening: areaMean(\.meanDarkening), meanRedChromaticity: areaMean(\.meanRedChromaticity))
        }
        let scales = Set(results.map(\.millimetresPerPixel))
        return UltravioletAnalysisResult(
            uvSpots: marks(\.uvSpots), porphyrins: marks(\.porphyrins),
            analysedPixelCount: Int(pixels), analysedPixelFraction: pixels / Double(max(1, results.reduce(0) { $0 + $1.quality.width * $1.quality.height })),
            millimetresPerPixel: scales.count == 1 ? first.millimetresPerPixel : nil, scaleSource: scales.count == 1 ? first.scaleSource : nil,
            quality: first.quality)
    }
}
