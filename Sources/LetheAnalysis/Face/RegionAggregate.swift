import Foundation
import LetheAPI

/// Whole-face measures as the skin-pixel-weighted combination of the face regions, so that eyes,
/// brows and lips inside the detector's box do not count as skin texture.
enum RegionAggregate {
    /// - Parameters:
    ///   - calibration: how the combined colour is reported (the regions' calibration).
    ///   - millimetresPerPixel: the input scale, for the whole face's densities per cm².
    static func combine(_ regions: [RegionMeasures], calibration: ToneCalibration, millimetresPerPixel: Double? = nil) -> (skinTone: SkinAnalysisResult.SkinTone, redness: SkinAnalysisResult.Redness, skinPixelCount: Int, concerns: SkinConcerns) {
        let total = Double(max(1, regions.reduce(0) { $0 + $1.skinPixelCount }))
        func weighted(_ value: (RegionMeasures) -> Double) -> Double {
            regions.reduce(0) { $0 + value($1) * Double($1.skinPixelCount) } / total
        }
        func countWeighted(_ count: (RegionMeasures) -> Int, _ value: (RegionMeasures) -> Double) -> Double {
            let n = regions.reduce(0) { $0 + count($1) }
            return n == 0 ? 0 : regions.reduce(0) { $0 + value($1) * Double(count($1)) } / Double(n)
        }
        let l = weighted(\.skinTone.lStar), a = weighted(\.skinTone.aStar), b = weighted(\.skinTone.bStar)
        let lab = CIELab(l: l, a: a, b: b)
        // Pooled standard deviation of the local deviations (each region's are centred on its
        // background), over the regions that measured it: a face's zones share one scale, and a
        // session's photo too coarse for the band leaves it to the others.
        let evenLightness = regions.filter(\.concerns.evenness.isMeasured)
        let evenLightnessPixels = Double(evenLightness.reduce(0) { $0 + $1.skinPixelCount })
        let pooledLightnessSD = evenLightness.isEmpty ? nil : (evenLightness.reduce(0.0) { total, region in
            let sd = region.concerns.evenness.lStarStandardDeviation ?? 0
            return total + sd * sd * Double(region.skinPixelCount)
        } / max(1, evenLightnessPixels)).squareRoot()
        // Brown: pooled like L* (each region's melanin deviations are centred on its background).
        // Red: the whole face's spread, within the regions and between their mean erythema indices.
        let pooledMelaninVariance = weighted { region in
            let sd = region.concerns.evenness.melaninIndexStandardDeviation
            return sd * sd
        }
        let meanErythema = weighted(\.redness.erythemaIndex)
        let pooledErythemaVariance = weighted { region in
            let sd = region.concerns.evenness.erythemaIndexStandardDeviation, between = region.redness.erythemaIndex - meanErythema
            return sd * sd + between * between
        }
        let poreCount = regions.reduce(0) { $0 + ($1.concerns.pores.count ?? 0) }
        let poreDensities = regions.compactMap(\.concerns.pores.densityPerSquareCentimetre)
        let poreRequirement = regions.compactMap(\.concerns.pores.requiredMillimetresPerPixel).min()
        let poreCountOf: (RegionMeasures) -> Int = { $0.concerns.pores.count ?? 0 }
        // Pores of the whole only when every part measured them (the same scale gives the same answer).
        let pores: SkinConcerns.Pores = regions.allSatisfy(\.concerns.pores.isMeasured)
            ? .init(
                count: poreCount,
                densityPerSquareCentimetre: poreDensities.count == regions.count ? weighted { $0.concerns.pores.densityPerSquareCentimetre ?? 0 } : nil,
                densityPer10kPixels: Double(poreCount) / total * 10_000, areaFraction: weighted { $0.concerns.pores.areaFraction ?? 0 },
                meanDiameterPixels: countWeighted(poreCountOf) { $0.concerns.pores.meanDiameterPixels ?? 0 },
                meanDiameterMillimetres: regions.allSatisfy { $0.concerns.pores.meanDiameterMillimetres != nil }
                    ? countWeighted(poreCountOf) { $0.concerns.pores.meanDiameterMillimetres ?? 0 } : nil,
                requiredMillimetresPerPixel: poreRequirement)
            : .notMeasurable(requiredMillimetresPerPixel: poreRequirement)
        var concerns = SkinConcerns(
            redAreaFraction: weighted(\.concerns.redAreaFraction),
            spots: combinedSpots(regions, weighted: weighted, countWeighted: countWeighted),
            pores: pores,
            wrinkles: combinedWrinkles(regions, skinPixels: total, weighted: weighted),
            shine: combinedShine(regions),
            evenness: .init(
                lStarStandardDeviation: pooledLightnessSD, meanDeltaE: weighted(\.concerns.evenness.meanDeltaE),
                melaninIndexStandardDeviation: pooledMelaninVariance.squareRoot(),
                erythemaIndexStandardDeviation: pooledErythemaVariance.squareRoot(),
                zoneDeltaE: combinedZoneDeltaE(regions),
                requiredMillimetresPerPixel: regions.compactMap(\.concerns.evenness.requiredMillimetresPerPixel).min()),
            blemishes: combinedBlemishes(regions, skinPixels: total, millimetresPerPixel: millimetresPerPixel),
            texture: combinedTexture(regions, weighted: weighted),
            radiance: combinedRadiance(regions, weighted: weighted),
            scores: .init(spots: nil, pores: nil, redness: 0, wrinkles: nil, shine: nil, evenness: nil, overall: 0))
        concerns.scores = ConcernScores.scores(for: concerns)
        return (
            .assessed(lab, calibration: calibration),
            .init(meanAStar: a, erythemaIndex: meanErythema),
            Int(total), concerns)
    }

    /// The zones' colour differences from the face's median: skin-pixel-weighted over the zones
    /// that have one (a zone without unclipped clear skin has no colour to compare); nil when none has.
    static func combinedZoneDeltaE(_ regions: [RegionMeasures]) -> Double? {
        let measured = regions.compactMap { region in region.concerns.evenness.zoneDeltaE.map { ($0, Double(region.skinPixelCount)) } }
        let pixels = measured.reduce(0) { $0 + $1.1 }
        guard !measured.isEmpty, pixels > 0 else { return nil }
        return measured.reduce(0) { $0 + $1.0 * $1.1 } / pixels
    }

    /// The zones' spots together: counts add, areas skin-weighted, contrast and size count-weighted;
    /// brown and red spots likewise. Measured only when every zone measured them (one scale gives
    /// one answer), otherwise not measurable with the finest requirement, as the lines.
    static func combinedSpots(
        _ regions: [RegionMeasures], weighted: ((RegionMeasures) -> Double) -> Double,
        countWeighted: ((RegionMeasures) -> Int, (RegionMeasures) -> Double) -> Double
    ) -> SkinConcerns.Spots {
        let requirement = regions.compactMap(\.concerns.spots.requiredMillimetresPerPixel).min()
        guard regions.allSatisfy(\.concerns.spots.isMeasured) else { return .notMeasurable(requiredMillimetresPerPixel: requirement) }
        let countOf: (RegionMeasures) -> Int = { $0.concerns.spots.count ?? 0 }
        var spots = SkinConcerns.Spots(
            count: regions.reduce(0) { $0 + countOf($1) }, areaFraction: weighted { $0.concerns.spots.areaFraction ?? 0 },
            meanContrastDeltaLStar: countWeighted(countOf) { $0.concerns.spots.meanContrastDeltaLStar ?? 0 },
            meanDiameterPixels: countWeighted(countOf) { $0.concerns.spots.meanDiameterPixels ?? 0 },
            meanDiameterMillimetres: regions.allSatisfy { $0.concerns.spots.meanDiameterMillimetres != nil }
                ? countWeighted(countOf) { $0.concerns.spots.meanDiameterMillimetres ?? 0 } : nil,
            requiredMillimetresPerPixel: requirement)
        // Brown and red spots of the whole: counts add, areas weighted by skin.
        func group(_ pick: KeyPath<SkinConcerns.Spots, SkinConcerns.Spots.PigmentGroup?>) -> SkinConcerns.Spots.PigmentGroup? {
            let parts = regions.compactMap { $0.concerns.spots[keyPath: pick] }
            guard parts.count == regions.count, !parts.isEmpty else { return nil }
            return .init(count: parts.reduce(0) { $0 + $1.count }, areaFraction: weighted { $0.concerns.spots[keyPath: pick]?.areaFraction ?? 0 })
        }
        spots.brown = group(\.brown)
        spots.red = group(\.red)
        return spots
    }

    /// The zones' lines together: counts and lengths add, densities skin-weighted (Σ length / Σ area
    /// when the zones share one scale); measured only when every zone measured them (one scale
    /// gives one answer), otherwise not measurable with the finest requirement.
    static func combinedWrinkles(
        _ regions: [RegionMeasures], skinPixels: Double, weighted: ((RegionMeasures) -> Double) -> Double
    ) -> SkinConcerns.Wrinkles {
        let parts = regions.map(\.concerns.wrinkles)
        let requirement = parts.compactMap(\.requiredMillimetresPerPixel).min()
        guard !parts.isEmpty, parts.allSatisfy(\.isMeasured) else { return .notMeasurable(requiredMillimetresPerPixel: requirement) }
        let lineLengthPixels = parts.reduce(0) { $0 + ($1.lineLengthPixels ?? 0) }
        return .init(
            ridgeFraction: weighted { $0.concerns.wrinkles.ridgeFraction ?? 0 }, lineCount: parts.reduce(0) { $0 + ($1.lineCount ?? 0) },
            lineLengthPixels: lineLengthPixels,
            lineLengthMillimetres: parts.allSatisfy { $0.lineLengthMillimetres != nil } ? parts.reduce(0) { $0 + ($1.lineLengthMillimetres ?? 0) } : nil,
            lineLengthMillimetresPerSquareCentimetre: parts.allSatisfy { $0.lineLengthMillimetresPerSquareCentimetre != nil }
                ? weighted { $0.concerns.wrinkles.lineLengthMillimetresPerSquareCentimetre ?? 0 } : nil,
            lineLengthPer10kPixels: lineLengthPixels / skinPixels * 10_000, requiredMillimetresPerPixel: requirement)
    }

    /// The zones' papules together: counts add, density over the zones' skin (input pixels at the
    /// input scale), diameters weighted by count, contrast by area (as within a zone). Nil when a
    /// zone reports none; not measurable, with the finest requirement, when a zone is not.
    static func combinedBlemishes(_ regions: [RegionMeasures], skinPixels: Double, millimetresPerPixel: Double?) -> SkinConcerns.Blemishes? {
        let parts = regions.compactMap(\.concerns.blemishes)
        guard parts.count == regions.count, !parts.isEmpty else { return nil }
        let requirement = parts.compactMap(\.requiredMillimetresPerPixel).min()
        guard parts.allSatisfy(\.isMeasured) else { return .notMeasurable(requiredMillimetresPerPixel: requirement) }
        let count = parts.reduce(0) { $0 + ($1.count ?? 0) }
        let areas = zip(regions, parts).map { ($0.1.areaFraction ?? 0) * Double($0.0.skinPixelCount) }
        let area = areas.reduce(0, +)
        func countWeighted(_ value: (SkinConcerns.Blemishes) -> Double) -> Double {
            count == 0 ? 0 : parts.reduce(0) { $0 + value($1) * Double($1.count ?? 0) } / Double(count)
        }
        return SkinConcerns.Blemishes(
            count: count, densityPerSquareCentimetre: millimetresPerPixel.map { Double(count) / max(skinPixels * $0 * $0 / 100, 1e-9) },
            areaFraction: area / max(1, skinPixels),
            meanDiameterPixels: countWeighted { $0.meanDiameterPixels ?? 0 },
            meanDiameterMillimetres: parts.allSatisfy { $0.meanDiameterMillimetres != nil } ? countWeighted { $0.meanDiameterMillimetres ?? 0 } : nil,
            meanContrastDeltaAStar: area == 0 ? 0 : zip(parts, areas).reduce(0.0) { $0 + ($1.0.meanContrastDeltaAStar ?? 0) * $1.1 } / area,
            requiredMillimetresPerPixel: requirement)
    }

    /// Pooled roughness (each zone's band is centred on zero: the coarse scale is subtracted) when
    /// every zone measured it; otherwise not measurable, with the finest requirement.
    static func combinedTexture(_ regions: [RegionMeasures], weighted: ((RegionMeasures) -> Double) -> Double) -> SkinConcerns.Texture? {
        let parts = regions.compactMap(\.concerns.texture)
        guard parts.count == regions.count, !parts.isEmpty else { return nil }
        let requirement = parts.compactMap(\.requiredMillimetresPerPixel).min()
        guard parts.allSatisfy(\.isMeasured) else { return .init(roughnessLStar: nil, requiredMillimetresPerPixel: requirement) }
        let variance = weighted { region in
            let sd = region.concerns.texture?.roughnessLStar ?? 0
            return sd * sd
        }
        return .init(roughnessLStar: variance.squareRoot(), requiredMillimetresPerPixel: requirement)
    }

    /// Luminance skin-weighted; uniformity from the pooled deviation (each zone's about its own
    /// background) over that mean.
    static func combinedRadiance(_ regions: [RegionMeasures], weighted: ((RegionMeasures) -> Double) -> Double) -> SkinConcerns.Radiance? {
        guard !regions.isEmpty, regions.allSatisfy({ $0.concerns.radiance != nil }) else { return nil }
        let luminance = weighted { $0.concerns.radiance?.luminance ?? 0 }
        let variance = weighted { region in
            let r = region.concerns.radiance!
            let sd = (1 - r.uniformity) * r.luminance
            return sd * sd
        }
        return .init(luminance: luminance, uniformity: luminance > 0 ? 1 - variance.squareRoot() / luminance : 0)
    }

    /// Skin-weighted over the regions whose shine was measured; not measurable when none was
    /// (cross-polarised photos only), with their reason.
    static func combinedShine(_ regions: [RegionMeasures]) -> SkinConcerns.Shine {
        let measured = regions.filter(\.concerns.shine.isMeasured)
        let skin = measured.reduce(0) { $0 + $1.skinPixelCount }
        guard !measured.isEmpty else {
            return .notMeasurable(reason: regions.compactMap(\.concerns.shine.reason).first ?? DeviceProfile.Light.crossPolarisedShineReason)
        }
        func weighted(_ value: (SkinConcerns.Shine) -> Double?) -> Double {
            measured.reduce(0) { $0 + (value($1.concerns.shine) ?? 0) * Double($1.skinPixelCount) } / Double(max(1, skin))
        }
        return .init(specularFraction: weighted(\.specularFraction), specularShare: weighted(\.specularShare))
    }
}
