/// Oiliness by face area: the shine (specular fraction, highlights brighter than the local skin)
/// of the T-zone — forehead, glabella, nose, chin, where sebaceous glands are densest — against
/// the U-zone — the cheeks. Combination skin shows a T-zone much shinier than the U-zone.
public struct Oiliness: Sendable, Codable, Equatable {
    /// Specular fraction of the T-zone's skin surface (skin-pixel-weighted over its zones).
    public var tZoneSpecularFraction: Double
    /// The same for the U-zone (both cheeks).
    public var uZoneSpecularFraction: Double
    /// T-zone minus U-zone.
    public var tMinusU: Double

    public init(tZoneSpecularFraction: Double, uZoneSpecularFraction: Double) {
        self.tZoneSpecularFraction = tZoneSpecularFraction
        self.uZoneSpecularFraction = uZoneSpecularFraction
        tMinusU = tZoneSpecularFraction - uZoneSpecularFraction
    }

    enum CodingKeys: String, CodingKey {
        case tZoneSpecularFraction = "t_zone_specular_fraction", uZoneSpecularFraction = "u_zone_specular_fraction", tMinusU = "t_minus_u"
    }
}
