/// Dark circles: the under-eye zone's clear-skin colour against the cheek below it, per side, as
/// chromameter studies compare the infraorbital skin with the cheek (Matsui et al. 2015, An Bras
/// Dermatol 90:494 — ΔL* and ΔE* between under-eye and cheek were the instrumental measures that
/// best followed the visual grade; Lim et al. 2021, Ann Dermatol 33:393).
public struct DarkCircles: Sendable, Codable, Equatable {
    /// One side (the subject's): its under-eye zone against its cheek zone.
    public struct Side: Sendable, Codable, Equatable {
        /// Cheek L* − under-eye L* (positive: the under-eye skin is darker).
        public var deltaLStar: Double
        /// CIE76 ΔE*ab between the two median colours.
        public var deltaE: Double

        public init(deltaLStar: Double, deltaE: Double) {
            self.deltaLStar = deltaLStar
            self.deltaE = deltaE
        }

        enum CodingKeys: String, CodingKey { case deltaLStar = "delta_l_star", deltaE = "delta_e" }
    }

    public var right: Side
    public var left: Side
    /// The mean of the two sides.
    public var deltaLStar: Double
    public var deltaE: Double

    public init(right: Side, left: Side) {
        self.right = right
        self.left = left
        deltaLStar = (right.deltaLStar + left.deltaLStar) / 2
        deltaE = (right.deltaE + left.deltaE) / 2
    }

    enum CodingKeys: String, CodingKey { case right, left, deltaLStar = "delta_l_star", deltaE = "delta_e" }
}
