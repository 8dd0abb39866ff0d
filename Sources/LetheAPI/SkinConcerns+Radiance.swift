extension SkinConcerns {
    /// Radiance: how bright and how uniformly bright the clear skin is, in luminance (docs/analysis/skin.md
    /// "Radiance"). A measure, not scored.
    public struct Radiance: Sendable, Codable, Equatable {
        /// Mean relative luminance Y (CIE 1931, D65, 0–1) of the clear skin (no marks, no highlights).
        public var luminance: Double
        /// 1 − the coefficient of variation of Y about the local background's Y (shading taken out):
        /// 1 for a perfectly uniform skin.
        public var uniformity: Double

        public init(luminance: Double, uniformity: Double) {
            self.luminance = luminance
            self.uniformity = uniformity
        }
    }
}
