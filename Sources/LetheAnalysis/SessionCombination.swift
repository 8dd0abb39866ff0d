import LetheAPI

/// Combined results of the photos of one session (several photos of one capture).
public enum SessionCombination {
    /// Skin-pixel-weighted combination of skin or face measures (as face regions are combined);
    /// counts add up, scores are recomputed from the combined measures. `quality` is the first
    /// photo's; the scale is kept only when every photo has the same one.
    public static func combine(_ results: [SkinAnalysisResult]) -> SkinAnalysisResult? {
        guard let first = results.first else { return nil }
        guard results.count > 1 else { return first }
        let regions = results.compactMap { result -> RegionMeasures? in
            guard let concerns = result.concerns else { return nil }
            return RegionMeasures(
                region: "photo", box: PixelRect(width: result.quality.width, height: result.quality.height),
                skinPixelCount: result.skinPixelCount, skinTone: result.skinTone, redness: result.redness, concerns: concerns)
        }
        guard regions.count == results.count else { return first }
        // Calibrated only when every photo was, by one method: otherwise the mix is not.
        let reports = results.map(\.colourCalibration)
        let methods = Set(reports.map { $0?.status == "calibrated" ? $0?.method : nil })
        let model = reports.compactMap { $0?.uncertaintyModel }.first ?? SkinMeasureConfiguration().uncalibratedTone
        let calibration: ToneCalibration
        let report: ColourCalibration
        if methods.count == 1, let method = methods.first ?? nil {
            calibration = .calibrated(method: method)
            report = ColourCalibration(status: "calibrated", method: method)
        } else {
            calibration = .uncalibrated(model)
            report = ColourCalibration(status: "uncalibrated", uncertaintyModel: model)
        }
        let whole = RegionAggregate.combine(regions, calibration: calibration)
        let pixels = results.reduce(0) { $0 + $1.quality.width * $1.quality.height }
        let scales = Set(results.map { $0.millimetresPerPixel })
        return SkinAnalysisResult(
            skinTone: whole.skinTone, redness: whole.redness, quality: first.quality,
            skinPixelFraction: Double(whole.skinPixelCount) / Double(max(1, pixels)), skinPixelCount: whole.skinPixelCount,
            concerns: whole.concerns, millimetresPerPixel: scales.count == 1 ? first.millimetresPerPixel : nil,
            scaleSource: scales.count == 1 ? first.scaleSource : nil, colourCalibration: report)
    }

    /// Scalp results of several fields of view: counts and areas add up, density and mean width
    /// follow from the sums, flakes and shine are area-weighted, redness is the mean.
    public static func combine(_ results: [ScalpAnalysisResult]) -> ScalpAnalysisResult? {
        guard let first = results.first else { return nil }
        guard results.count > 1 else { return first }
        let area = results.reduce(0) { $0 + $1.fieldOfViewSquareCentimetres }
        let hairs = results.reduce(0) { $0 + $1.hairCount }
        let units = results.reduce(0) { $0 + $1.follicularUnits.count }
        func areaWeighted(_ value: (ScalpAnalysisResult) -> Double) -> Double {
            results.reduce(0) { $0 + value($1) * $1.fieldOfViewSquareCentimetres } / max(area, 1e-12)
        }
        let width = hairs > 0 ? results.reduce(0) { $0 + $1.meanWidthMicrometres * Double($1.hairCount) } / Double(hairs) : 0
        let density = Double(hairs) / max(area, 1e-12)
        let flakes = areaWeighted(\.flakeAreaFraction)
        let aStar = results.reduce(0) { $0 + $1.redness.meanAStar } / Double(results.count)
        let scales = Set(results.map(\.millimetresPerPixel))
        return ScalpAnalysisResult(
            hairCount: hairs, densityPerSquareCentimetre: density, meanWidthMicrometres: width,
            widthDistribution: .init(
                thin: results.reduce(0) { $0 + $1.widthDistribution.thin }, medium: results.reduce(0) { $0 + $1.widthDistribution.medium },
                thick: results.reduce(0) { $0 + $1.widthDistribution.thick }),
            hairTypes: results.contains { $0.hairTypes == nil } ? nil : .init(
                vellus: results.reduce(0) { $0 + ($1.hairTypes?.vellus ?? 0) }, terminal: results.reduce(0) { $0 + ($1.hairTypes?.terminal ?? 0) }),
            follicularUnits: .init(
                count: units, oneHair: results.reduce(0) { $0 + $1.follicularUnits.oneHair },
                twoHairs: results.reduce(0) { $0 + $1.follicularUnits.twoHairs },
                threeOrMoreHairs: results.reduce(0) { $0 + $1.follicularUnits.threeOrMoreHairs },
                meanHairsPerUnit: units > 0 ? Double(hairs) / Double(units) : 0),
            flakeAreaFraction: flakes,
            whiteHairCount: results.contains { $0.whiteHairCount == nil } ? nil : results.reduce(0) { $0 + ($1.whiteHairCount ?? 0) },
            redness: .init(meanAStar: aStar, erythemaIndex: results.reduce(0) { $0 + $1.redness.erythemaIndex } / Double(results.count)),
            specularFraction: areaWeighted(\.specularFraction), fieldOfViewSquareCentimetres: area,
            millimetresPerPixel: scales.count == 1 ? first.millimetresPerPixel : 0, scaleSource: first.scaleSource,
            quality: first.quality,
            scores: ScalpAnalyzer.scalpScores(density: density, meanWidth: width, flakes: flakes, aStar: aStar))
    }
}
