import Foundation

extension CIELab {
    /// Gamma-encoded sRGB components (0–1, not clipped) of this colour: the inverse of
    /// `init(sRGBRed:green:blue:)` (`linearSRGB()`, then the sRGB transfer function).
    func sRGBComponents() -> (red: Double, green: Double, blue: Double) {
        let (r, g, bl) = linearSRGB()
        @inline(__always) func encode(_ v: Double) -> Double {
            let c = max(0, v)
            return c <= 0.003_130_8 ? 12.92 * c : 1.055 * pow(c, 1 / 2.4) - 0.055
        }
        return (encode(r), encode(g), encode(bl))
    }
}
