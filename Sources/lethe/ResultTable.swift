import Foundation
import LetheAPI

/// A person-readable rendering of an analysis result.
struct ResultTable {
    let text: String

    init(_ response: AnalysisResponse) {
        func number(_ value: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", value) }
        func percent(_ value: Double) -> String { number(value * 100) + "%" }
        var rows: [(String, String)] = []
        if let face = response.face {
            rows.append(("Face", "x \(face.box.x)  y \(face.box.y)  \(face.box.width)×\(face.box.height) px  (\(percent(face.widthFraction)) of the width, \(face.detectorNeighbours) detector hits)"))
        }
        if let measures = response.measures {
            let tone = measures.skinTone
            rows += [
                ("Skin tone", "L* \(number(tone.lStar))  a* \(number(tone.aStar))  b* \(number(tone.bStar))  (CIELAB, D65)"),
                ("ITA°", Self.itaSummary(tone, number: number)),
                ("Colour", Self.calibrationSummary(tone, measures.colourCalibration)),
                ("Redness", "mean a* \(number(measures.redness.meanAStar))  erythema index \(number(measures.redness.erythemaIndex))"),
                ("Skin area", "\(percent(measures.skinPixelFraction)) (\(measures.skinPixelCount) pixels)"),
            ]
            if let concerns = measures.concerns {
                rows += Self.concernRows(concerns, number: number, percent: percent)
            }
            if let scale = measures.millimetresPerPixel {
                rows.append(("Scale", "\(number(scale, 4)) mm/pixel (\(measures.scaleSource ?? "given"))"))
            }
            let clippedSkin = measures.quality.clippedSkinFraction.map { "  skin clipped \(percent($0))" } ?? ""
            rows.append((
                "Quality",
                "mean luma \(number(measures.quality.meanLuma))  sharpness (Laplacian variance) \(number(measures.quality.laplacianVariance, 0))\(clippedSkin)"))
        }
        if let face = response.face {
            for region in face.regions {
                let s = region.concerns.scores
                rows.append((
                    "  " + region.region.replacingOccurrences(of: "_", with: " "),
                    "ITA \(number(region.skinTone.itaDegrees))°  spots \(region.concerns.spots.count.map(String.init) ?? "not measurable")  pores \(region.concerns.pores.count.map(String.init) ?? "not measurable")  scores: spots \(s.spots.map(String.init) ?? "–") pores \(s.pores.map(String.init) ?? "–") redness \(s.redness) wrinkles \(s.wrinkles.map(String.init) ?? "–") shine \(s.shine.map(String.init) ?? "–") evenness \(s.evenness.map(String.init) ?? "–")"))
            }
            for zone in face.coveredZones ?? [] {
                rows.append((
                    "  " + zone.region.replacingOccurrences(of: "_", with: " "),
                    zone.cause == .eyeglasses
                        ? "behind eyeglasses, not measured (without them, it would be)"
                        : "covered: \(percent(zone.coveredFraction)) of it (hair, a beard, a mask or a hand over it?), not measured"))
            }
        }
        if let uv = response.ultraviolet { rows += Self.ultravioletRows(uv, number: number, percent: percent) }
        if let scalp = response.scalp {
            let w = scalp.widthDistribution, units = scalp.follicularUnits
            rows += [
                ("Hairs", "\(scalp.hairCount)\(scalp.whiteHairCount.map { " (\($0) white or grey)" } ?? "") in \(number(scalp.fieldOfViewSquareCentimetres, 3)) cm²  →  \(number(scalp.densityPerSquareCentimetre, 0)) per cm²"),
                ("Hair width", "mean \(number(scalp.meanWidthMicrometres, 0)) µm  thin \(w.thin)  medium \(w.medium)  thick \(w.thick)"),
                ("Hair types", scalp.hairTypes.map { "vellus \($0.vellus) (< 30 µm)  terminal \($0.terminal)" } ?? "not reported"),
                ("Follicular units", "\(units.count): 1 hair \(units.oneHair), 2 hairs \(units.twoHairs), 3+ hairs \(units.threeOrMoreHairs) (mean \(number(units.meanHairsPerUnit, 2)))"),
                ("Flakes", "\(percent(scalp.flakeAreaFraction)) of the area"),
                ("Scalp redness", "mean a* \(number(scalp.redness.meanAStar))  erythema index \(number(scalp.redness.erythemaIndex))  shine \(percent(scalp.specularFraction))"),
                ("Scores", "density \(scalp.scores.density)  thickness \(scalp.scores.thickness)  flakes \(scalp.scores.flakes)  redness \(scalp.scores.redness)  overall \(scalp.scores.overall)  (0–100, higher = healthier)"),
                ("Scale", "\(number(scalp.millimetresPerPixel, 4)) mm/pixel (\(scalp.scaleSource))"),
            ]
        }
        for photo in response.photos ?? [] {
            var summary = "\(photo.image.width)×\(photo.image.height) \(photo.image.format)"
            if let box = photo.face?.box { summary += "  face \(box.width)×\(box.height) at \(box.x),\(box.y)" }
            if let measures = photo.measures {
                summary += "  ITA \(number(measures.skinTone.itaDegrees))°  overall score \(measures.concerns?.scores.overall ?? 0)"
            }
            if let scalp = photo.scalp { summary += "  \(scalp.hairCount) hairs, \(number(scalp.meanWidthMicrometres, 0)) µm" }
            if let uv = photo.ultraviolet { summary += "  \(uv.uvSpots.count) UV spots, \(uv.porphyrins.count) porphyrin dots" }
            if let light = photo.light { summary += "  (\(light.replacingOccurrences(of: "_", with: "-")) light)" }
            rows.append(("Photo " + photo.name, summary))
        }
        if let light = response.light { rows.append(("Light", light.replacingOccurrences(of: "_", with: "-"))) }
        if let sources = response.measureSources {
            // One line per set of photos: "shine ← standard", "spots, evenness, … ← cross".
            let grouped = Dictionary(grouping: sources.keys.sorted()) { sources[$0]!.joined(separator: ", ") }
            for (photos, measures) in grouped.sorted(by: { $0.key < $1.key }) {
                rows.append(("From " + photos, measures.map { $0.replacingOccurrences(of: "_", with: " ") }.joined(separator: ", ")))
            }
        }
        let width = rows.map(\.0.count).max() ?? 0
        let header = "Lethe \(response.kind) analysis — \(response.image.width)×\(response.image.height) \(response.image.format), request \(response.requestID)"
        text = ([header] + rows.map { "  " + $0.0.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + $0.1 }).joined(separator: "\n")
    }

    /// "46.1°  light" when calibrated or certain; "46.1° (38.0–53.2°)  light or intermediate, not
    /// determinable uncalibrated" when the interval spans categories.
    static func itaSummary(_ tone: SkinAnalysisResult.SkinTone, number: (Double, Int) -> String) -> String {
        func name(_ category: String) -> String { category.replacingOccurrences(of: "_", with: " ") }
        var text = "\(number(tone.itaDegrees, 1))°"
        if let range = tone.uncertainty { text += " (\(number(range.itaDegreesLow, 1))–\(number(range.itaDegreesHigh, 1))°)" }
        if let category = tone.category { return text + "  " + name(category) }
        let spanned = (tone.spannedCategories ?? []).map(name).joined(separator: " or ")
        return text + "  \(spanned): no category while uncalibrated"
    }

    static func calibrationSummary(_ tone: SkinAnalysisResult.SkinTone, _ calibration: ColourCalibration?) -> String {
        if tone.calibration == "calibrated" {
            return "calibrated (\((tone.calibrationMethod ?? "").replacingOccurrences(of: "_", with: " ")))"
        }
        var text = "uncalibrated"
        if let model = calibration?.uncertaintyModel {
            text += ": ITA°, L*, a* ranges for exposure ±\(String(format: "%.2f", model.exposureStops)) EV, white balance ±\(String(format: "%.0f", model.whiteBalanceShift * 100)) %"
        }
        if let problem = calibration?.greyReferenceProblem { text += "  (\(problem.replacingOccurrences(of: "_", with: " ")))" }
        return text
    }

    private static func concernRows(
        _ concerns: SkinConcerns, number: (Double, Int) -> String, percent: (Double) -> String
    ) -> [(String, String)] {
        let s = concerns.scores
        return [
            ("Spots", spotRow(concerns.spots, number: number, percent: percent)),
            ("Pores", poreRow(concerns.pores, number: number)),
            ("Red area", percent(concerns.redAreaFraction)),
            ("Lines", concerns.wrinkles.isMeasured
                ? "\(concerns.wrinkles.lineCount ?? 0)  length \(concerns.wrinkles.lineLengthMillimetres.map { number($0, 1) + " mm" } ?? number(concerns.wrinkles.lineLengthPixels ?? 0, 0) + " px")\(concerns.wrinkles.lineLengthMillimetresPerSquareCentimetre.map { "  " + number($0, 2) + " mm/cm²" } ?? "")  ridge fraction \(percent(concerns.wrinkles.ridgeFraction ?? 0)) (not scored)"
                : notMeasurable(needing: concerns.wrinkles.requiredMillimetresPerPixel, number: number)),
            ("Blemishes", concerns.blemishes.map { blemishes in
                blemishes.isMeasured
                    ? "\(blemishes.count ?? 0) red papules\(blemishes.densityPerSquareCentimetre.map { "  " + number($0, 2) + " per cm²" } ?? "")  mean ⌀ \(blemishes.meanDiameterMillimetres.map { number($0, 1) + " mm" } ?? number(blemishes.meanDiameterPixels ?? 0, 1) + " px")  Δa* \(number(blemishes.meanContrastDeltaAStar ?? 0, 1))"
                    : notMeasurable(needing: blemishes.requiredMillimetresPerPixel, number: number)
            } ?? "–"),
            ("Texture", concerns.texture.map { texture in
                texture.roughnessLStar.map { "roughness ΔL* " + number($0, 2) + " (0.5–2 mm band)" }
                    ?? notMeasurable(needing: texture.requiredMillimetresPerPixel, number: number)
            } ?? "–"),
            ("Radiance", concerns.radiance.map { "luminance Y \(number($0.luminance, 3))  uniformity \(number($0.uniformity, 3))" } ?? "–"),
            ("Shine", concerns.shine.specularFraction.map { "specular \(percent($0)) of the skin  highlights' light \(percent(concerns.shine.specularShare ?? 0)) of the skin's" }
                ?? "not measurable: \(concerns.shine.reason ?? "")"),
            ("Evenness", "L* s.d. (2–12 mm band) \(concerns.evenness.lStarStandardDeviation.map { number($0, 2) } ?? notMeasurable(needing: concerns.evenness.requiredMillimetresPerPixel, number: number))  mean ΔE \(number(concerns.evenness.meanDeltaE, 2))"),
            ("Scores", "spots \(s.spots.map(String.init) ?? "–")  pores \(s.pores.map(String.init) ?? "–")  redness \(s.redness)  wrinkles \(s.wrinkles.map(String.init) ?? "–")  shine \(s.shine.map(String.init) ?? "–")  evenness \(s.evenness.map(String.init) ?? "–")  overall \(s.overall)  (0–100, higher = healthier)"),
        ]
    }

    private static func spotRow(_ spots: SkinConcerns.Spots, number: (Double, Int) -> String, percent: (Double) -> String) -> String {
        guard let count = spots.count, let area = spots.areaFraction, let contrast = spots.meanContrastDeltaLStar else {
            return notMeasurable(needing: spots.requiredMillimetresPerPixel, number: number)
        }
        let groups = [spots.brown.map { "brown \($0.count)" }, spots.red.map { "red \($0.count)" }].compactMap { $0 }
        let pigments = groups.isEmpty ? "" : " (" + groups.joined(separator: ", ") + ")"
        return "\(count)\(pigments)  area \(percent(area))  contrast ΔL* \(number(contrast, 1))"
    }

    /// A concern the photo's resolution cannot show, and the scale that would.
    private static func notMeasurable(needing required: Double?, number: (Double, Int) -> String) -> String {
        "not measurable at this resolution" + (required.map { " (needs ≤ \(number($0, 3)) mm/pixel)" } ?? "")
    }

    private static func poreRow(_ pores: SkinConcerns.Pores, number: (Double, Int) -> String) -> String {
        guard let count = pores.count, let per10k = pores.densityPer10kPixels else {
            return notMeasurable(needing: pores.requiredMillimetresPerPixel, number: number)
        }
        return "\(count)  \(pores.densityPerSquareCentimetre.map { number($0, 0) + " per cm²" } ?? number(per10k, 1) + " per 10k px")"
    }

    /// UV spots and porphyrin dots of a UV photo.
    private static func ultravioletRows(
        _ uv: UltravioletAnalysisResult, number: (Double, Int) -> String, percent: (Double) -> String
    ) -> [(String, String)] {
        func density(_ value: Double?) -> String { value.map { "  " + number($0, 1) + " per cm²" } ?? "" }
        func diameter(_ millimetres: Double?, _ pixels: Double) -> String { millimetres.map { number($0, 2) + " mm" } ?? number(pixels, 1) + " px" }
        return [
            ("UV spots", "\(uv.uvSpots.count)  area \(percent(uv.uvSpots.areaFraction))\(density(uv.uvSpots.densityPerSquareCentimetre))  mean ⌀ \(diameter(uv.uvSpots.meanDiameterMillimetres, uv.uvSpots.meanDiameterPixels))  \(number((uv.uvSpots.meanDarkening ?? 0) * 100, 0)) % darker"),
            ("Porphyrins", "\(uv.porphyrins.count) fluorescent dots  area \(percent(uv.porphyrins.areaFraction))\(density(uv.porphyrins.densityPerSquareCentimetre))  mean ⌀ \(diameter(uv.porphyrins.meanDiameterMillimetres, uv.porphyrins.meanDiameterPixels))"),
            ("UV field", "\(percent(uv.analysedPixelFraction)) of the photo (\(uv.analysedPixelCount) pixels)"),
        ]
    }
}
