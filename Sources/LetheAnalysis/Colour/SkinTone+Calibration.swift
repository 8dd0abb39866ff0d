import Foundation
import LetheAPI

extension SkinAnalysisResult.SkinTone {
    /// Steps per axis of the grid of exposures × white balances an uncalibrated colour is tried
    /// under; the ends are the model's limits. ITA°, L* and a* change monotonically along each
    /// axis over these small ranges, so the grid's extremes are the interval's ends; the inner
    /// points guard against a bend.
    static let uncertaintyGridSteps = 5

    /// The tone of a mean skin colour: ITA°, and the category when the colour is calibrated or
    /// its whole uncertainty interval lies in one category; otherwise no category and the ones
    /// the interval spans.
    static func assessed(_ lab: CIELab, calibration: ToneCalibration) -> Self {
        let ita = lab.itaDegrees
        switch calibration {
        case .calibrated(let method):
            return .init(
                lStar: lab.l, aStar: lab.a, bStar: lab.b, itaDegrees: ita, category: SkinToneCategory(itaDegrees: ita).rawValue,
                calibration: "calibrated", calibrationMethod: method)
        case .uncalibrated(let model):
            let uncertainty = uncertainty(of: lab, model: model)
            let spanned = SkinToneCategory.spanned(from: uncertainty.itaDegreesLow, to: uncertainty.itaDegreesHigh)
            return .init(
                lStar: lab.l, aStar: lab.a, bStar: lab.b, itaDegrees: ita,
                category: spanned.count == 1 ? spanned[0].rawValue : nil, calibration: "uncalibrated", uncertainty: uncertainty,
                spannedCategories: spanned.count == 1 ? nil : spanned.map(\.rawValue))
        }
    }

    /// The colours the skin could have had if the capture's exposure was off by up to ±EV stops
    /// and its white balance by red × (1 ± t), blue × (1 ∓ t) in linear light: each such capture
    /// undone on the measured mean colour, and the extremes of ITA°, L* and a* over them.
    static func uncertainty(of lab: CIELab, model: ColourCalibration.UncertaintyModel) -> SkinAnalysisResult.ToneUncertainty {
        let linear = lab.linearSRGB()
        var ita = (low: Double.infinity, high: -Double.infinity), l = ita, a = ita
        let steps = uncertaintyGridSteps
        for i in 0..<steps {
            let stops = model.exposureStops * (2 * Double(i) / Double(steps - 1) - 1)
            let exposure = pow(2, stops)
            for j in 0..<steps {
                let shift = model.whiteBalanceShift * (2 * Double(j) / Double(steps - 1) - 1)
                let candidate = CIELab.fromLinear(
                    red: linear.red / (exposure * (1 + shift)), green: linear.green / exposure, blue: linear.blue / (exposure * (1 - shift)))
                let candidateITA = candidate.itaDegrees
                ita = (min(ita.low, candidateITA), max(ita.high, candidateITA))
                l = (min(l.low, candidate.l), max(l.high, candidate.l))
                a = (min(a.low, candidate.a), max(a.high, candidate.a))
            }
        }
        return .init(itaDegreesLow: ita.low, itaDegreesHigh: ita.high, lStarLow: l.low, lStarHigh: l.high, aStarLow: a.low, aStarHigh: a.high)
    }
}

extension SkinToneCategory {
    /// Every category an ITA° interval touches, lightest first.
    static func spanned(from low: Double, to high: Double) -> [SkinToneCategory] {
        let lightest = SkinToneCategory(itaDegrees: high), darkest = SkinToneCategory(itaDegrees: low)
        let all = SkinToneCategory.allCases
        return Array(all[all.firstIndex(of: lightest)!...all.firstIndex(of: darkest)!])
    }
}
