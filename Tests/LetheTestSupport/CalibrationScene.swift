import Foundation

/// Skin of a CIELAB the test chooses beside a grey card of known L*, as a camera records it with
/// an exposure, a white balance and a channel crosstalk the test also chooses: the ground truth of
/// the colour-calibration tests. Formulas are the textbook ones (CIE 15:2004, IEC 61966-2-1),
/// written here rather than taken from the analyser.
public enum CalibrationScene {
    /// How the scene reaches the 8-bit sRGB file: light × 2^stops, red × (1 + shift), blue × (1 − shift)
    /// (the repeatability bench's re-capture model), then the device's matrix on linear RGB.
    public struct Capture: Sendable, CustomStringConvertible {
        public var exposureStops: Double
        public var whiteBalanceShift: Double
        public var device: [[Double]]?

        public init(exposureStops: Double = 0, whiteBalanceShift: Double = 0, device: [[Double]]? = nil) {
            self.exposureStops = exposureStops
            self.whiteBalanceShift = whiteBalanceShift
            self.device = device
        }

        public func apply(_ rgb: (Double, Double, Double)) -> (Double, Double, Double) {
            let gain = pow(2, exposureStops)
            var (r, g, b) = (rgb.0 * gain * (1 + whiteBalanceShift), rgb.1 * gain, rgb.2 * gain * (1 - whiteBalanceShift))
            if let m = device {
                (r, g, b) = (m[0][0] * r + m[0][1] * g + m[0][2] * b, m[1][0] * r + m[1][1] * g + m[1][2] * b, m[2][0] * r + m[2][1] * g + m[2][2] * b)
            }
            return (r, g, b)
        }

        public var description: String { "\(exposureStops) EV, white balance \(whiteBalanceShift), device \(device == nil ? "sRGB" : "crosstalk")" }
    }

    /// The grey card's place as fractions of the frame: the top-right corner, 15 % each way.
    public static let greyRegion = (x: 0.85, y: 0.0, width: 0.15, height: 0.15)

    /// CIELAB → linear sRGB: CIE 15:2004 inverted, then IEC 61966-2-1's inverse matrix.
    public static func linear(l: Double, a: Double, b: Double) -> (Double, Double, Double) {
        let fy = (l + 16) / 116, fx = fy + a / 500, fz = fy - b / 200
        func inverse(_ t: Double) -> Double { t > 6.0 / 29.0 ? t * t * t : 3 * (6.0 / 29.0) * (6.0 / 29.0) * (t - 4.0 / 29.0) }
        let x = 0.95047 * inverse(fx), y = inverse(fy), z = 1.08883 * inverse(fz)
        return (
            3.2404542 * x - 1.5371385 * y - 0.4985314 * z, -0.9692660 * x + 1.8760108 * y + 0.0415560 * z,
            0.0556434 * x - 0.2040259 * y + 1.0572252 * z)
    }

    /// Linear light → 8-bit sRGB code (IEC 61966-2-1), clipped.
    public static func encode(_ value: Double) -> UInt8 {
        let v = min(max(value, 0), 1)
        let code = v <= 0.0031308 ? 12.92 * v : 1.055 * pow(v, 1 / 2.4) - 0.055
        return UInt8((code * 255).rounded())
    }

    public static func ita(_ lab: (l: Double, a: Double, b: Double)) -> Double { atan2(lab.l - 50, lab.b) * 180 / .pi }

    /// `size × size` RGB bytes: skin with ±2 % luminance texture (one factor on all three
    /// channels, so the chromaticity stays the truth's), the grey card in `greyRegion` (its left
    /// half covered by skin when `occludeGrey`), all through `capture`.
    public static func pixels(
        size: Int = 240, skin: (l: Double, a: Double, b: Double), greyL: Double = 50, capture: Capture, occludeGrey: Bool = false
    ) -> [UInt8] {
        let skinLinear = linear(l: skin.l, a: skin.a, b: skin.b), greyLinear = linear(l: greyL, a: 0, b: 0)
        var generator = SeededGenerator(seed: 16)
        var bytes = [UInt8](repeating: 0, count: size * size * 3)
        let greyLeft = Int((greyRegion.x * Double(size)).rounded()), greyBottom = Int((greyRegion.height * Double(size)).rounded())
        let greyMiddle = (greyLeft + size) / 2
        for y in 0..<size {
            for x in 0..<size {
                let inGrey = x >= greyLeft && y < greyBottom
                let covered = occludeGrey && inGrey && x < greyMiddle
                let texture = 1 + Double.random(in: -0.02...0.02, using: &generator)
                let scene = inGrey && !covered ? greyLinear : (skinLinear.0 * texture, skinLinear.1 * texture, skinLinear.2 * texture)
                let captured = capture.apply(scene)
                let offset = (y * size + x) * 3
                bytes[offset] = encode(captured.0)
                bytes[offset + 1] = encode(captured.1)
                bytes[offset + 2] = encode(captured.2)
            }
        }
        return bytes
    }
}
