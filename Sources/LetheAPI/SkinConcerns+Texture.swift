extension SkinConcerns {
    /// Skin texture as roughness: the standard deviation over the skin of L* band-passed to the
    /// 0.5–2 mm scale of skin relief (a difference of Gaussians, σ 0.25 and 1 mm), highlights left
    /// out (docs/analysis/skin.md "Texture"). Measured only where the pixels resolve the finer scale;
    /// otherwise `not_measurable` with the scale that would do. A measure, not scored.
    public struct Texture: Sendable, Codable, Equatable {
        /// `measured` or `not_measurable`.
        public var status: String
        /// ΔL* (standard deviation of the band-passed L*); absent when not measurable.
        public var roughnessLStar: Double?
        /// The coarsest scale (mm per input pixel, at this photo's working resolution) at which texture is measured.
        public var requiredMillimetresPerPixel: Double?

        public init(roughnessLStar: Double?, requiredMillimetresPerPixel: Double?) {
            status = roughnessLStar == nil ? Pores.notMeasurable : Pores.measured
            self.roughnessLStar = roughnessLStar
            self.requiredMillimetresPerPixel = requiredMillimetresPerPixel
        }

        public var isMeasured: Bool { roughnessLStar != nil }

        enum CodingKeys: String, CodingKey {
            case status, roughnessLStar = "roughness_l_star", requiredMillimetresPerPixel = "required_mm_per_pixel"
        }
    }
}
