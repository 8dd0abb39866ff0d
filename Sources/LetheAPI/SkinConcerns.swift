/// Skin concerns of one region (or a whole close-up): redness area, pigmented spots, pores,
/// wrinkles, shine, evenness and 0–100 scores. Pixel figures are in input pixels; millimetre
/// figures appear when the scale is known (device profile, `mm_per_pixel`, or for faces an
/// estimate from the face width — see `scale_source`).
public struct SkinConcerns: Sendable, Codable, Equatable {
    /// Dark marks larger than pores: lentigines, melasma patches, naevi. Measured only where the
    /// resolution shows the smallest spot looked for (with a scale: a mark just larger than a pore,
    /// 0.5 mm, at least 2 working pixels across): otherwise `status` is `not_measurable`, the
    /// figures are absent (never a count of whichever marks the pixels happen to show) and
    /// `required_mm_per_pixel` says what scale would do, as for pores and lines.
    public struct Spots: Sendable, Codable, Equatable {
        /// `measured` or `not_measurable` (the photo's pixels are too coarse for the smallest spots).
        public var status: String
        /// Absent when not measurable (so are the other figures).
        public var count: Int?
        /// Spot pixels / region skin pixels.
        public var areaFraction: Double?
        /// Mean L* of the background minus mean L* of the spots (positive = darker).
        public var meanContrastDeltaLStar: Double?
        /// Mean equivalent-disc diameter in input pixels (0 without spots).
        public var meanDiameterPixels: Double?
        public var meanDiameterMillimetres: Double?
        /// The spots split by pigment (Diffey, Oliver & Farr 1984's melanin and erythema indices,
        /// the decomposition of the brown and red unevenness): brown (melanin: lentigines,
        /// melasma) and red (haemoglobin: vascular marks, post-inflammatory erythema).
        public var brown: PigmentGroup?
        public var red: PigmentGroup?
        /// With a scale: the coarsest scale (mm per input pixel, at this photo's working
        /// resolution) at which spots are measured.
        public var requiredMillimetresPerPixel: Double?

        public static let measured = "measured"
        public static let notMeasurable = "not_measurable"

        /// The spots of one pigment.
        public struct PigmentGroup: Sendable, Codable, Equatable {
            public var count: Int
            /// Their pixels / region skin pixels.
            public var areaFraction: Double

            public init(count: Int, areaFraction: Double) {
                self.count = count
                self.areaFraction = areaFraction
            }

            enum CodingKeys: String, CodingKey { case count, areaFraction = "area_fraction" }
        }

        public init(
            count: Int, areaFraction: Double, meanContrastDeltaLStar: Double, meanDiameterPixels: Double, meanDiameterMillimetres: Double?,
            requiredMillimetresPerPixel: Double? = nil
        ) {
            self.status = Self.measured
            self.count = count
            self.areaFraction = areaFraction
            self.meanContrastDeltaLStar = meanContrastDeltaLStar
            self.meanDiameterPixels = meanDiameterPixels
            self.meanDiameterMillimetres = meanDiameterMillimetres
            self.requiredMillimetresPerPixel = requiredMillimetresPerPixel
        }

        /// Spots the resolution cannot show: no figures, only the scale that would.
        public static func notMeasurable(requiredMillimetresPerPixel: Double?) -> Spots {
            var spots = Spots(count: 0, areaFraction: 0, meanContrastDeltaLStar: 0, meanDiameterPixels: 0, meanDiameterMillimetres: nil)
            spots.status = Self.notMeasurable
            (spots.count, spots.areaFraction, spots.meanContrastDeltaLStar, spots.meanDiameterPixels) = (nil, nil, nil, nil)
            spots.requiredMillimetresPerPixel = requiredMillimetresPerPixel
            return spots
        }

        public var isMeasured: Bool { status == Self.measured }

        enum CodingKeys: String, CodingKey {
            case status, count, areaFraction = "area_fraction", meanContrastDeltaLStar = "mean_contrast_delta_l_star"
            case meanDiameterPixels = "mean_diameter_pixels", meanDiameterMillimetres = "mean_diameter_mm", brown, red
            case requiredMillimetresPerPixel = "required_mm_per_pixel"
        }
    }

    /// Small round dark marks, measured only where the resolution shows them: otherwise
    /// `status` is `not_measurable`, the figures are absent (never a 0 that would score 100) and
    /// `required_mm_per_pixel` says what scale would do.
    public struct Pores: Sendable, Codable, Equatable {
        /// `measured` or `not_measurable` (the photo's pixels are too coarse for pores).
        public var status: String
        /// Absent when not measurable (so are the other figures).
        public var count: Int?
        /// Pores per cm² of region skin (with a known scale).
        public var densityPerSquareCentimetre: Double?
        /// Pores per 10,000 input pixels of region skin.
        public var densityPer10kPixels: Double?
        /// Pore pixels / region skin pixels.
        public var areaFraction: Double?
        public var meanDiameterPixels: Double?
        public var meanDiameterMillimetres: Double?
        /// With a scale: the coarsest scale (mm per input pixel, at this photo's working
        /// resolution) at which pores are measured.
        public var requiredMillimetresPerPixel: Double?

        public static let measured = "measured"
        public static let notMeasurable = "not_measurable"

        public init(
            count: Int, densityPerSquareCentimetre: Double?, densityPer10kPixels: Double, areaFraction: Double, meanDiameterPixels: Double,
            meanDiameterMillimetres: Double?, requiredMillimetresPerPixel: Double? = nil
        ) {
            self.status = Self.measured
            self.count = count
            self.densityPerSquareCentimetre = densityPerSquareCentimetre
            self.densityPer10kPixels = densityPer10kPixels
            self.areaFraction = areaFraction
            self.meanDiameterPixels = meanDiameterPixels
            self.meanDiameterMillimetres = meanDiameterMillimetres
            self.requiredMillimetresPerPixel = requiredMillimetresPerPixel
        }

        /// Pores the resolution cannot show: no figures, only the scale that would.
        public static func notMeasurable(requiredMillimetresPerPixel: Double?) -> Pores {
            var pores = Pores(count: 0, densityPerSquareCentimetre: nil, densityPer10kPixels: 0, areaFraction: 0, meanDiameterPixels: 0, meanDiameterMillimetres: nil)
            pores.status = Self.notMeasurable
            (pores.count, pores.densityPer10kPixels, pores.areaFraction, pores.meanDiameterPixels) = (nil, nil, nil, nil)
            pores.requiredMillimetresPerPixel = requiredMillimetresPerPixel
            return pores
        }

        public var isMeasured: Bool { status == Self.measured }

        enum CodingKeys: String, CodingKey {
            case status, count, densityPerSquareCentimetre = "density_per_cm2", densityPer10kPixels = "density_per_10k_pixels"
            case areaFraction = "area_fraction", meanDiameterPixels = "mean_diameter_pixels", meanDiameterMillimetres = "mean_diameter_mm"
            case requiredMillimetresPerPixel = "required_mm_per_pixel"
        }
    }

    /// Lines and wrinkles: the lines of the multi-scale detector (Frangi vesselness at the scale of
    /// 0.3–3 mm lines, step edges suppressed) — how many, how long, how dense (the score's measure)
    /// — and the former single-scale ridge fraction. Measured only where the pixels resolve the
    /// finest lines looked for (with a scale): otherwise `status` is `not_measurable`, the figures
    /// are absent (never a count of whichever lines the pixels happen to show) and
    /// `required_mm_per_pixel` says what scale would do, as for pores.
    public struct Wrinkles: Sendable, Codable, Equatable {
        /// `measured` or `not_measurable` (the photo's pixels are too coarse for the finest lines).
        public var status: String
        /// Ridge pixels / region skin pixels (single-scale Hessian; step edges count too). No longer
        /// scored: kept for comparison with earlier results.
        public var ridgeFraction: Double?
        /// Lines of at least the minimum length (3 mm, or 15 px without a scale); a line crossing
        /// zones counts in the zone that holds most of it.
        public var lineCount: Int?
        /// Total centreline length of the lines in the region, input pixels…
        public var lineLengthPixels: Double?
        /// …and millimetres (with a scale).
        public var lineLengthMillimetres: Double?
        /// Line length per skin area, mm per cm² (with a scale): the wrinkles score's measure.
        public var lineLengthMillimetresPerSquareCentimetre: Double?
        /// Line length in input pixels per 10,000 input pixels of skin (scale-free; the score's
        /// measure without a scale).
        public var lineLengthPer10kPixels: Double?
        /// With a scale: the coarsest scale (mm per input pixel, at this photo's working
        /// resolution) at which lines are measured.
        public var requiredMillimetresPerPixel: Double?

        public static let measured = "measured"
        public static let notMeasurable = "not_measurable"

        public init(
            ridgeFraction: Double, lineCount: Int, lineLengthPixels: Double, lineLengthMillimetres: Double?,
            lineLengthMillimetresPerSquareCentimetre: Double?, lineLengthPer10kPixels: Double, requiredMillimetresPerPixel: Double? = nil
        ) {
            self.status = Self.measured
            self.requiredMillimetresPerPixel = requiredMillimetresPerPixel
            self.lineLengthPer10kPixels = lineLengthPer10kPixels
            self.ridgeFraction = ridgeFraction
            self.lineCount = lineCount
            self.lineLengthPixels = lineLengthPixels
            self.lineLengthMillimetres = lineLengthMillimetres
            self.lineLengthMillimetresPerSquareCentimetre = lineLengthMillimetresPerSquareCentimetre
        }

        /// Lines the resolution cannot show: no figures, only the scale that would.
        public static func notMeasurable(requiredMillimetresPerPixel: Double?) -> Wrinkles {
            var wrinkles = Wrinkles(
                ridgeFraction: 0, lineCount: 0, lineLengthPixels: 0, lineLengthMillimetres: nil, lineLengthMillimetresPerSquareCentimetre: nil,
                lineLengthPer10kPixels: 0, requiredMillimetresPerPixel: requiredMillimetresPerPixel)
            wrinkles.status = Self.notMeasurable
            (wrinkles.ridgeFraction, wrinkles.lineCount, wrinkles.lineLengthPixels, wrinkles.lineLengthPer10kPixels) = (nil, nil, nil, nil)
            return wrinkles
        }

        public var isMeasured: Bool { status == Self.measured }

        enum CodingKeys: String, CodingKey {
            case status, requiredMillimetresPerPixel = "required_mm_per_pixel"
            case ridgeFraction = "ridge_fraction", lineCount = "line_count", lineLengthPixels = "line_length_pixels"
            case lineLengthMillimetres = "line_length_mm", lineLengthMillimetresPerSquareCentimetre = "line_length_mm_per_cm2"
            case lineLengthPer10kPixels = "line_length_per_10k_pixels"
        }
    }

    /// Oiliness seen as specular highlights: measured only where the photo shows the surface's
    /// reflection (normal or parallel-polarised light); under cross-polarised light `status` is
    /// `not_measurable`, with the reason, and there is no fraction and no score.
    public struct Shine: Sendable, Codable, Equatable {
        /// `measured` or `not_measurable`.
        public var status: String
        /// Where the highlights are: specular pixels / (skin + specular pixels) of the region
        /// (a pixel is specular when 12 L* above the skin around it and nearly colourless);
        /// absent when not measurable.
        public var specularFraction: Double?
        /// How much light the highlights return, the shine score's measure: the luminance above
        /// 1.3 × the skin around it (the local background of the skin-coloured pixels), summed
        /// over the region's skin surface, / that background's luminance summed over the same
        /// pixels. Colour-blind and a sum, not a count past a threshold: a white balance, an
        /// exposure or the onset of clipping moves it a little, not a flank's worth of pixels.
        /// Absent when not measurable.
        public var specularShare: Double?
        /// Why shine is not measurable (absent when it is).
        public var reason: String?

        public static let measured = "measured"
        public static let notMeasurable = "not_measurable"

        public init(specularFraction: Double, specularShare: Double) {
            self.status = Self.measured
            self.specularFraction = specularFraction
            self.specularShare = specularShare
        }

        /// Shine the photo cannot show, and why.
        public static func notMeasurable(reason: String) -> Shine {
            var shine = Shine(specularFraction: 0, specularShare: 0)
            (shine.status, shine.specularFraction, shine.specularShare, shine.reason) = (Self.notMeasurable, nil, nil, reason)
            return shine
        }

        public var isMeasured: Bool { status == Self.measured }

        enum CodingKeys: String, CodingKey { case status, specularFraction = "specular_fraction", specularShare = "specular_share", reason }
    }

    /// Uniformity of colour over the clear skin of the region. The lightness unevenness (and with
    /// it the evenness score) is measured only where the pixels resolve its band (with a scale: at
    /// most `EvennessBand`'s 0.8 mm per working pixel, σ 2 mm over 2.5 pixels); coarser, `status`
    /// is `not_measurable`, `l_star_standard_deviation` is absent and `required_mm_per_pixel` says
    /// what scale would do. The colour figures (mean ΔE, brown and red unevenness, zone ΔE) are
    /// means and spreads of colour, given at any scale.
    public struct Evenness: Sendable, Codable, Equatable {
        /// `measured` or `not_measurable` (the photo's pixels are too coarse for the 2–12 mm band).
        public var status: String
        /// Lightness unevenness: standard deviation over the clear skin of the green channel's
        /// lightness (116·G^⅓ − 16, L* on a grey: skin's red clips first) band-passed to 2–12 mm,
        /// so that neither the face's shading nor noise, JPEG or the pixel grid counts
        /// (docs/analysis/skin.md, "Evenness band"). Absent when not measurable.
        public var lStarStandardDeviation: Double?
        /// Mean CIE76 ΔE*ab of each pixel to the region's mean colour.
        public var meanDeltaE: Double
        /// Brown (melanin) unevenness: standard deviation over the clear skin of the melanin index
        /// 100·log10(1/R) (Diffey, Oliver & Farr 1984, on linear red reflectance) about the index of
        /// the local background, so that shading does not count. Index units; ≈ 1 on even skin.
        public var melaninIndexStandardDeviation: Double
        /// Red (haemoglobin) unevenness: standard deviation over the clear skin of the erythema index
        /// 100·log10(R/G) (the same paper), about the region's mean. Index units.
        public var erythemaIndexStandardDeviation: Double
        /// Faces: CIE76 ΔE*ab of the zone's median clear-skin colour from the median colour of the
        /// face's clear skin, a clipped pixel counted in L* alone in both (the whole face: the
        /// skin-pixel-weighted mean over the zones that have one; a zone without unclipped clear
        /// skin has none).
        public var zoneDeltaE: Double?
        /// With a scale: the coarsest scale (mm per input pixel, at this photo's working
        /// resolution) at which the lightness unevenness is measured.
        public var requiredMillimetresPerPixel: Double?

        public init(
            lStarStandardDeviation: Double?, meanDeltaE: Double, melaninIndexStandardDeviation: Double,
            erythemaIndexStandardDeviation: Double, zoneDeltaE: Double? = nil, requiredMillimetresPerPixel: Double? = nil
        ) {
            status = lStarStandardDeviation == nil ? Spots.notMeasurable : Spots.measured
            self.lStarStandardDeviation = lStarStandardDeviation
            self.meanDeltaE = meanDeltaE
            self.melaninIndexStandardDeviation = melaninIndexStandardDeviation
            self.erythemaIndexStandardDeviation = erythemaIndexStandardDeviation
            self.zoneDeltaE = zoneDeltaE
            self.requiredMillimetresPerPixel = requiredMillimetresPerPixel
        }

        public var isMeasured: Bool { lStarStandardDeviation != nil }

        enum CodingKeys: String, CodingKey {
            case status, lStarStandardDeviation = "l_star_standard_deviation", meanDeltaE = "mean_delta_e"
            case melaninIndexStandardDeviation = "melanin_index_standard_deviation"
            case erythemaIndexStandardDeviation = "erythema_index_standard_deviation"
            case zoneDeltaE = "zone_delta_e", requiredMillimetresPerPixel = "required_mm_per_pixel"
        }
    }

    /// 0–100 per concern, higher = healthier; mappings in docs/analysis/skin.md.
    public struct Scores: Sendable, Codable, Equatable {
        /// Absent when spots are not measurable.
        public var spots: Int?
        /// Absent when pores are not measurable.
        public var pores: Int?
        public var redness: Int
        /// Absent when wrinkles are not measurable.
        public var wrinkles: Int?
        /// Absent when shine is not measurable (a cross-polarised photo).
        public var shine: Int?
        /// Absent when the lightness unevenness is not measurable (pixels too coarse for its band).
        public var evenness: Int?
        /// Mean of the six, or of those measured when spots, pores, wrinkles, shine or evenness are not measurable.
        public var overall: Int

        public init(spots: Int?, pores: Int?, redness: Int, wrinkles: Int?, shine: Int?, evenness: Int?, overall: Int) {
            self.spots = spots
            self.pores = pores
            self.redness = redness
            self.wrinkles = wrinkles
            self.shine = shine
            self.evenness = evenness
            self.overall = overall
        }
    }

    /// Fraction of region skin pixels whose a* exceeds the region's median a* by the red-area margin.
    public var redAreaFraction: Double
    public var spots: Spots
    public var pores: Pores
    public var wrinkles: Wrinkles
    public var shine: Shine
    public var evenness: Evenness
    /// Red papules (acne blemishes); a measure, not scored.
    public var blemishes: Blemishes?
    /// Roughness of the skin's relief; a measure, not scored.
    public var texture: Texture?
    /// Luminance of the clear skin and its uniformity; a measure, not scored.
    public var radiance: Radiance?
    public var scores: Scores

    public init(
        redAreaFraction: Double, spots: Spots, pores: Pores, wrinkles: Wrinkles, shine: Shine, evenness: Evenness, blemishes: Blemishes? = nil,
        texture: Texture? = nil, radiance: Radiance? = nil, scores: Scores
    ) {
        self.radiance = radiance
        self.texture = texture
        self.blemishes = blemishes
        self.redAreaFraction = redAreaFraction
        self.spots = spots
        self.pores = pores
        self.wrinkles = wrinkles
        self.shine = shine
        self.evenness = evenness
        self.scores = scores
    }

    enum CodingKeys: String, CodingKey {
        case redAreaFraction = "red_area_fraction", spots, pores, wrinkles, shine, evenness, blemishes, texture, radiance, scores
    }
}

/// Everything measured in one region.
public struct RegionMeasures: Sendable, Codable, Equatable {
    /// Faces: a face-mesh zone — `forehead`, `glabella`, `right_crows_feet`, `left_crows_feet`,
    /// `right_under_eye`, `left_under_eye`, `right_cheek`, `left_cheek`, `nose`, `right_nasolabial`,
    /// `left_nasolabial`, `perioral`, `chin` (left/right = the subject's); `image` for close-ups.
    public var region: String
    /// The region's rectangle in input pixels; measures use only its skin pixels.
    public var box: PixelRect
    /// Skin pixels of the region at the working scale, expressed in input pixels.
    public var skinPixelCount: Int
    /// Faces: the share of the zone's surface that something covers — pixels that fail the skin
    /// colour check and are not highlights: darker than its limit (hair, a beard), of a chroma
    /// off the way from the skin's to white (a blue mask), or a grey with too little of the skin's
    /// colour under it to be light on skin (a grey mask, grey hair); the zone is measured on the rest. Past `FaceAnalysisConfiguration.maxZoneCoveredFraction`
    /// the zone is listed in `FaceAnalysisResult.coveredZones` instead. Absent for close-ups.
    public var coveredFraction: Double?
    /// Colour of the clear skin (without spots, pores and highlights).
    public var skinTone: SkinAnalysisResult.SkinTone
    public var redness: SkinAnalysisResult.Redness
    public var concerns: SkinConcerns

    public init(
        region: String, box: PixelRect, skinPixelCount: Int, coveredFraction: Double? = nil, skinTone: SkinAnalysisResult.SkinTone,
        redness: SkinAnalysisResult.Redness, concerns: SkinConcerns
    ) {
        self.region = region
        self.box = box
        self.skinPixelCount = skinPixelCount
        self.coveredFraction = coveredFraction
        self.skinTone = skinTone
        self.redness = redness
        self.concerns = concerns
    }

    enum CodingKeys: String, CodingKey {
        case region, box, skinPixelCount = "skin_pixel_count", coveredFraction = "covered_fraction", skinTone = "skin_tone", redness, concerns
    }
}
