/// Oiliness by face area: the shine of the T-zone — forehead, glabella, nose, chin, where
/// sebaceous glands are densest — against the U-zone — the cheeks. Combination skin shows a T-zone
/// much shinier than the U-zone. Read, as the shine score is, from the highlights' light (the
/// specular share); the specular fractions say how much of each area the highlights cover.
public struct Oiliness: Sendable, Codable, Equatable {
    /// Specular share of the T-zone's skin surface (`SkinConcerns.Shine.specularShare`,
    /// skin-pixel-weighted over its zones).
    public var tZoneSpecularShare: Double
    /// The same for the U-zone (both cheeks).
    public var uZoneSpecularShare: Double
    /// T-zone's share minus U-zone's.
    public var tMinusU: Double
    /// Specular fraction of the T-zone's skin surface (skin-pixel-weighted over its zones).
    public var tZoneSpecularFraction: Double
    /// The same for the U-zone.
    public var uZoneSpecularFraction: Double

    public init(tZoneSpecularShare: Double, uZoneSpecularShare: Double, tZoneSpecularFraction: Double, uZoneSpecularFraction: Double) {
        self.tZoneSpecularShare = tZoneSpecularShare
        self.uZoneSpecularShare = uZoneSpecularShare
        tMinusU = tZoneSpecularShare - uZoneSpecularShare
        self.tZoneSpecularFraction = tZoneSpecularFraction
        self.uZoneSpecularFraction = uZoneSpecularFraction
    }

    enum CodingKeys: String, CodingKey {
        case tZoneSpecularShare = "t_zone_specular_share", uZoneSpecularShare = "u_zone_specular_share", tMinusU = "t_minus_u"
        case tZoneSpecularFraction = "t_zone_specular_fraction", uZoneSpecularFraction = "u_zone_specular_fraction"
    }
}
