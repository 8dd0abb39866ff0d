import Foundation

extension CIELab {
    /// Gamma-encoded sRGB components (0–1, not clipped) of this colour: the inverse of
    /// `init(sRGBRed:green:blue:)` (`linearSRGB()`, then the sRGB transfer function).
    func sRGBComponents() -> (red: Double, green: Double, blue: Double) {
        let (r, g, bl) = linearSRGB()
        return (SRGB.encode(r), SRGB.encode(g), SRGB.encode(bl))
    }
}
