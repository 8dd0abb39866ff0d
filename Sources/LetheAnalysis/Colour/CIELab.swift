import Foundation

/// A CIE 1976 L*a*b* colour relative to the D65 white point.
public struct CIELab: Sendable, Equatable, Codable {
    /// Lightness L*, 0 (black) to 100 (diffuse white).
    public var l: Double
    /// Green (−) to red (+) a*.
    public var a: Double
    /// Blue (−) to yellow (+) b*.
    public var b: Double

    /// Creates a colour from its coordinates.
    public init(l: Double, a: Double, b: Double) {
        self.l = l
        self.a = a
        self.b = b
    }

    /// Converts an 8-bit sRGB colour: IEC 61966-2-1 decoding to linear RGB, the sRGB → XYZ (D65)
    /// matrix, then CIE 15:2004 §8.2.1 (CIELAB).
    public init(sRGBRed red: UInt8, green: UInt8, blue: UInt8) {
        let table = SRGB.linearTable
        self = CIELab.fromLinear(red: table[Int(red)], green: table[Int(green)], blue: table[Int(blue)])
    }

    /// CIE76 colour difference ΔE*ab: the Euclidean distance in CIELAB (CIE 15:2004).
    public static func deltaE76(_ first: CIELab, _ second: CIELab) -> Double {
        let dl = first.l - second.l, da = first.a - second.a, db = first.b - second.b
        return (dl * dl + da * da + db * db).squareRoot()
    }

    /// CIELAB of linear-light sRGB components (0–1).
    @inline(__always)
    static func fromLinear(red: Double, green: Double, blue: Double) -> CIELab {
        let m = SRGB.toXYZ
        let x = (m.0 * red + m.1 * green + m.2 * blue) / SRGB.whiteX
        let y = m.3 * red + m.4 * green + m.5 * blue
        let z = (m.6 * red + m.7 * green + m.8 * blue) / SRGB.whiteZ
        let fx = labF(x), fy = labF(y), fz = labF(z)
        return CIELab(l: 116 * fy - 16, a: 500 * (fx - fy), b: 200 * (fy - fz))
    }

    /// CIE 15:2004 §8.2.1: f(t) = t^(1/3) above (6/29)³, else t/(3·(6/29)²) + 4/29.
    @inline(__always)
    static func labF(_ t: Double) -> Double {
        t > 216.0 / 24_389.0 ? cbrt(t) : t * (24_389.0 / 27.0 / 116.0) + 16.0 / 116.0
    }

    /// The inverse of `labF`: t³ above 6/29, else 3·(6/29)²·(t − 4/29).
    @inline(__always)
    static func labFInverse(_ t: Double) -> Double {
        let delta = 6.0 / 29.0
        return t > delta ? t * t * t : 3 * delta * delta * (t - 4.0 / 29.0)
    }

    /// Relative luminance Y (0–1, D65 white = 1) of a lightness L*.
    @inline(__always)
    static func relativeLuminance(lStar: Double) -> Double { labFInverse((lStar + 16) / 116) }

    /// Linear-light sRGB components (0–1 inside the gamut, not clipped): CIE 15:2004 §8.2.1
    /// inverted, then XYZ → linear sRGB with the inverse of IEC 61966-2-1's matrix.
    @inline(__always)
    func linearSRGB() -> (red: Double, green: Double, blue: Double) {
        let fy = (l + 16) / 116, fx = fy + a / 500, fz = fy - b / 200
        let x = SRGB.whiteX * CIELab.labFInverse(fx), y = CIELab.labFInverse(fy), z = SRGB.whiteZ * CIELab.labFInverse(fz)
        return (
            3.240_454_2 * x - 1.537_138_5 * y - 0.498_531_4 * z,
            -0.969_266_0 * x + 1.876_010_8 * y + 0.041_556_0 * z,
            0.055_643_4 * x - 0.204_025_9 * y + 1.057_225_2 * z)
    }

    /// Individual Typology Angle in degrees: atan2(L* − 50, b*) · 180/π (Chardon, Cretois &
    /// Hourseau 1991, Int J Cosmet Sci 13:191).
    public var itaDegrees: Double {
        atan2(l - 50, b) * 180 / .pi
    }
}

/// sRGB constants (IEC 61966-2-1:1999).
enum SRGB {
    /// 8-bit code value → linear light, IEC 61966-2-1 §5.2: v/12.92 for v ≤ 0.04045, else
    /// ((v + 0.055)/1.055)^2.4. 256 entries: per-pixel work is a table read.
    static let linearTable: [Double] = (0..<256).map { code in
        let v = Double(code) / 255
        return v <= 0.04045 ? v / 12.92 : pow((v + 0.055) / 1.055, 2.4)
    }

    /// Linear light → gamma-encoded value (0–1 for 0–1; negatives as 0, not clipped above),
    /// IEC 61966-2-1 §5.3: 12.92·c up to 0.0031308, else 1.055·c^(1/2.4) − 0.055.
    static func encode(_ linear: Double) -> Double {
        let c = max(0, linear)
        return c <= 0.003_130_8 ? 12.92 * c : 1.055 * pow(c, 1 / 2.4) - 0.055
    }

    /// Linear RGB → XYZ (D65), row-major, at the precision of Lindbloom's derivation from the
    /// sRGB primaries; rows sum to the D65 white below, so sRGB white maps to a* = b* = 0.
    static let toXYZ: (Double, Double, Double, Double, Double, Double, Double, Double, Double) = (
        0.412_456_4, 0.357_576_1, 0.180_437_5,
        0.212_672_9, 0.715_152_2, 0.072_175_0,
        0.019_333_9, 0.119_192_0, 0.950_304_1
    )

    /// D65 reference white, Y = 1 (CIE 15:2004 Table T.3: X 95.047, Z 108.883).
    static let whiteX = 0.950_47
    static let whiteZ = 1.088_83

    /// CIELAB f(t) sampled at t = i/4096, i = 0…4096, for the per-pixel path: linear
    /// interpolation between samples is within 5·10⁻⁶ of f (worst case just above the knee at
    /// (6/29)³, where the cube root bends most), i.e. < 0.003 in a* — far below what 8-bit input
    /// resolves — and several times faster than `cbrt`.
    static let labFTable: [Double] = (0...labFTableSteps).map { CIELab.labF(Double($0) / Double(labFTableSteps)) }
    static let labFTableSteps = 4096

    /// log10 of 1 + i/4096, i = 0…4096, for `log10(_:table:)`.
    static let log10MantissaTable: [Float] = (0...log10MantissaSteps).map { Float(Foundation.log10(1 + Double($0) / Double(log10MantissaSteps))) }
    static let log10MantissaSteps = 4096

    /// log10 of a positive, finite, normal `x` for the per-pixel path: its binary exponent times
    /// log10 2 plus its mantissa's log10 interpolated linearly in `table` (`log10MantissaTable`).
    /// The interpolation is within 3·10⁻⁹ of log10 (h²/8 · log10 e, h = 1/4096), below a
    /// `Float`'s resolution of the indices it serves; a working pixel's `log10f` call was ~1.5 % of
    /// a face request's CPU.
    @inline(__always)
    static func log10(_ x: Float, table: UnsafeBufferPointer<Float>) -> Float {
        let bits = x.bitPattern
        let exponent = Float(Int32(bitPattern: bits >> 23) - 127)
        let mantissa = bits & 0x7F_FFFF
        let index = Int(mantissa >> 11)
        let fraction = Float(mantissa & 0x7FF) * (1 / 2048)
        return exponent * log10Of2 + table[index] + fraction * (table[index + 1] - table[index])
    }
    /// log10 2 as a `Float`, `Float(Foundation.log10(2.0))`, written as its bits (the same:
    /// `ColourScienceTests`). A constant computed at start-up is initialised lazily, and its
    /// `swift_once` check in the per-pixel loops that inline `log10` was a call: every register
    /// spilled around it, twice per clear skin pixel of the regions' statistics.
    static let log10Of2: Float = 0x1.344136p-2
}
