import Foundation

extension CIELab {
    /// Gamma-encoded sRGB components (0–1, not clipped) of this colour: the inverse of
    /// `init(sRGBRed:green:blue:)` (CIE 15:2004 §8.2.1 inverted, XYZ → linear sRGB with the
    /// inverse of IEC 61966-2-1's matrix, then the sRGB transfer function).
    func sRGBComponents() -> (red: Double, green: Double, blue: Double) {
        let fy = (l + 16) / 116, fx = fy + a / 500, fz = fy - b / 200
        @inline(__always) func inverse(_ t: Double) -> Double {
            let delta = 6.0 / 29.0
            return t > delta ? t * t * t : 3 * delta * delta * (t - 4.0 / 29.0)
        }
        let x = SRGB.whiteX * inverse(fx), y = inverse(fy), z = SRGB.whiteZ * inverse(fz)
        let r = 3.240_454_2 * x - 1.537_138_5 * y - 0.498_531_4 * z
        let g = -0.969_266_0 * x + 1.876_010_8 * y + 0.041_556_0 * z
        let bl = 0.055_643_4 * x - 0.204_025_9 * y + 1.057_225_2 * z
        @inline(__always) func encode(_ v: Double) -> Double {
            let c = max(0, v)
            return c <= 0.003_130_8 ? 12.92 * c : 1.055 * pow(c, 1 / 2.4) - 0.055
        }
        return (encode(r), encode(g), encode(bl))
    }
}
