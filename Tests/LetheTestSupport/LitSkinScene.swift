import Foundation

/// One generated skin close-up as a multi-light device photographs it: under normal light, under
/// cross-polarised light and under UV-A. The ground truth of the light-routing tests. The skin is
/// linear reflectance with Beer–Lambert pigment (melanin and haemoglobin optical densities with
/// textbook spectral shapes), written here rather than taken from the analyser:
///
/// - **normal**: diffuse skin plus the surface's reflection — a uniform 4 % veil (Fresnel
///   reflection of the stratum corneum) and glossy highlights where the skin is oily;
/// - **cross-polarised**: the polariser in front of the lens blocks the surface reflection, which
///   keeps the light's polarisation: no veil, no highlights, so pigment shows with more contrast;
/// - **UV**: the skin remits the lamp's blue-violet; melanin absorbs UV about six times more
///   than red light (∝ λ^−3.46, 365 nm against 610 nm), so brown spots and pigment still below
///   the surface (`hiddenSpots`, faint in visible light) are dark; porphyrin dots fluoresce
///   orange-red. Haemoglobin is given a small UV weight (0.1) so that red spots stay below the UV
///   spot threshold — a simplification (its Soret band lies at 415 nm).
///
/// Deterministic from the seed; marks do not overlap; per-channel noise of ±1 code.
public struct LitSkinScene: Sendable {
    public enum Light: String, Sendable, CaseIterable { case normal, crossPolarised = "cross_polarised", uv }
    /// A round mark: centre, radius (pixels) and its strength (optical density, gloss or emission).
    public struct Disc: Sendable {
        public var x, y, radius, strength: Double
        public init(x: Double, y: Double, radius: Double, strength: Double) {
            self.x = x
            self.y = y
            self.radius = radius
            self.strength = strength
        }
    }

    public let size: Int
    public var brownSpots: [Disc] = []
    public var redSpots: [Disc] = []
    public var hiddenSpots: [Disc] = []
    public var shinePatches: [Disc] = []
    public var porphyrins: [Disc] = []
    private let seed: UInt64

    /// Linear sRGB reflectance of the clear skin (light-intermediate), and the pigments' optical
    /// density per unit in red, green, blue (melanin ∝ λ^−3.46 at 610, 545, 465 nm; oxyhaemoglobin
    /// absorbing mostly in green) and in UV-A.
    public static let skin = (0.45, 0.30, 0.22)
    static let melanin = (1.0, 1.48, 2.56, uv: 5.9)
    static let haemoglobin = (0.1, 1.0, 0.6, uv: 0.1)
    /// What the camera sees of the UV lamp's remission (blue-violet), and of porphyrin emission (orange-red).
    static let uvRemission = (0.20, 0.12, 0.55)
    static let porphyrinEmission = (0.55, 0.12, 0.02)
    static let veil = 0.04

    /// A random scene: brown spots 1.5–3.75 mm (radius 10–25 px at the tests' 0.075 mm/px),
    /// red spots, hidden pigment, glossy patches and porphyrin dots of radius 1.5–3 px.
    public init(seed: UInt64, size: Int = 400, brown: Int, red: Int, hidden: Int, shine: Int, porphyrins dots: Int) {
        self.size = size
        self.seed = seed
        var random = SeededGenerator(seed: seed)
        var placed: [Disc] = []
        func place(_ radius: ClosedRange<Double>, _ strength: ClosedRange<Double>, gap: Double) -> Disc? {
            for _ in 0..<2000 {
                let r = Double.random(in: radius, using: &random)
                let margin = r + 12
                let disc = Disc(
                    x: Double.random(in: margin...(Double(size) - margin), using: &random),
                    y: Double.random(in: margin...(Double(size) - margin), using: &random), radius: r,
                    strength: Double.random(in: strength, using: &random))
                if placed.allSatisfy({ hypot($0.x - disc.x, $0.y - disc.y) >= $0.radius + disc.radius + gap }) {
                    placed.append(disc)
                    return disc
                }
            }
            return nil
        }
        brownSpots = (0..<brown).compactMap { _ in place(10...25, 0.12...0.3, gap: 20) }
        redSpots = (0..<red).compactMap { _ in place(10...25, 0.2...0.4, gap: 20) }
        // Faint in visible light (ΔL* ≈ 2, under the spot detector's 5), 26 % darker under UV.
        hiddenSpots = (0..<hidden).compactMap { _ in place(10...20, 0.0225...0.0225, gap: 20) }
        shinePatches = (0..<shine).compactMap { _ in place(8...15, 0.6...0.6, gap: 12) }
        porphyrins = (0..<dots).compactMap { _ in place(1.5...3, 0.6...1.2, gap: 8) }
    }

    /// A scene of exactly the marks given.
    public init(size: Int = 400, brownSpots: [Disc] = [], redSpots: [Disc] = [], hiddenSpots: [Disc] = [], shinePatches: [Disc] = [], porphyrins: [Disc] = []) {
        self.size = size
        self.seed = UInt64(size)
        self.brownSpots = brownSpots
        self.redSpots = redSpots
        self.hiddenSpots = hiddenSpots
        self.shinePatches = shinePatches
        self.porphyrins = porphyrins
    }

    /// Soft shading across the frame (the light falls off by 10 % to the right).
    public func shading(x: Double) -> Double { 1 - 0.1 * x / Double(size) }

    /// Melanin optical density that makes a spot `darkening` (0–1) darker than the skin under UV.
    public static func melaninDensity(uvDarkening darkening: Double) -> Double { -log10(1 - darkening) / melanin.uv }

    /// Porphyrin emission that gives the centre of a dot at `x` the red chromaticity `r` (linear
    /// R / (R + G + B)) over the blue-violet skin.
    public func porphyrinEmission(redChromaticity r: Double, x: Double) -> Double {
        let level = 0.5 * shading(x: x)
        let a = level * Self.uvRemission.0, b = level * (Self.uvRemission.0 + Self.uvRemission.1 + Self.uvRemission.2)
        let p = Self.porphyrinEmission.0, q = Self.porphyrinEmission.0 + Self.porphyrinEmission.1 + Self.porphyrinEmission.2
        return (r * b - a) / (p - r * q)
    }

    /// Σ coverage / pixels of the glossy patches (the normal photo's true specular fraction).
    public var shineAreaFraction: Double { coverageFraction(shinePatches) }
    /// Σ coverage / pixels of the porphyrin dots.
    public var porphyrinAreaFraction: Double { coverageFraction(porphyrins) }
    /// Σ coverage / pixels of the marks dark under UV (brown and hidden spots).
    public var uvSpotAreaFraction: Double { coverageFraction(brownSpots + hiddenSpots) }

    /// The light the glossy patches return above `knee` × the skin around them, as a share of
    /// that skin's light (`SkinConcerns.Shine.specularShare`'s definition), in the normal photo
    /// taken with per-channel linear `gains` (exposure × white balance): Σ max(0, Y − knee · Y₀)
    /// / Σ Y₀ over every pixel, Y the photo's luminance (each channel clipped at 1, as the camera
    /// clips) and Y₀ that of the clear skin and its veil at the pixel's shading — the rendering's
    /// own terms, noise and marks aside (a mark is darker, never above the knee).
    public func specularShare(knee: Double, gains: (Double, Double, Double) = (1, 1, 1)) -> Double {
        func luminance(_ r: Double, _ g: Double, _ b: Double) -> Double {
            0.2126 * min(1, r * gains.0) + 0.7152 * min(1, g * gains.1) + 0.0722 * min(1, b * gains.2)
        }
        var above = 0.0, surrounding = 0.0
        for y in 0..<size {
            for x in 0..<size {
                let px = Double(x) + 0.5, py = Double(y) + 0.5
                let shade = shading(x: px)
                let veil = Self.veil * shade
                let clear = luminance(Self.skin.0 * shade + veil, Self.skin.1 * shade + veil, Self.skin.2 * shade + veil)
                let gloss = shinePatches.reduce(0) { sum, d in
                    sum + d.strength * min(1, max(0, d.radius + 0.5 - hypot(px - d.x, py - d.y)))
                }
                let lit = luminance(Self.skin.0 * shade + veil + gloss, Self.skin.1 * shade + veil + gloss, Self.skin.2 * shade + veil + gloss)
                above += max(0, lit - knee * clear)
                surrounding += clear
            }
        }
        return above / surrounding
    }

    private func coverageFraction(_ discs: [Disc]) -> Double {
        discs.reduce(0) { $0 + Double.pi * $1.radius * $1.radius } / Double(size * size)
    }

    /// The photo under `light`: `size` × `size` interleaved 8-bit sRGB, the linear light times
    /// `gains` (red, green, blue: a camera's exposure and white balance) before the encoding.
    public func pixels(under light: Light, gains: (Double, Double, Double) = (1, 1, 1)) -> [UInt8] {
        var random = SeededGenerator(seed: seed &* 7919 &+ UInt64(light.rawValue.count))
        var out = [UInt8](repeating: 0, count: size * size * 3)
        func coverage(_ discs: [Disc], _ px: Double, _ py: Double) -> Double {
            discs.reduce(0) { sum, d in
                let distance = hypot(px - d.x, py - d.y)
                return distance > d.radius + 1 ? sum : sum + d.strength * min(1, max(0, d.radius + 0.5 - distance))
            }
        }
        func encode(_ v: Double) -> UInt8 {
            let c = min(1, max(0, v))
            let s = c <= 0.0031308 ? 12.92 * c : 1.055 * pow(c, 1 / 2.4) - 0.055
            return UInt8(min(255, max(0, Int((s * 255).rounded()) + Int.random(in: -1...1, using: &random))))
        }
        for y in 0..<size {
            for x in 0..<size {
                let px = Double(x) + 0.5, py = Double(y) + 0.5
                let shade = shading(x: px)
                let m = coverage(brownSpots + hiddenSpots, px, py), h = coverage(redSpots, px, py)
                var rgb: (Double, Double, Double)
                switch light {
                case .normal, .crossPolarised:
                    func diffuse(_ base: Double, _ em: Double, _ eh: Double) -> Double { base * shade * pow(10, -(m * em + h * eh)) }
                    rgb = (diffuse(Self.skin.0, Self.melanin.0, Self.haemoglobin.0), diffuse(Self.skin.1, Self.melanin.1, Self.haemoglobin.1),
                           diffuse(Self.skin.2, Self.melanin.2, Self.haemoglobin.2))
                    if light == .normal {
                        let surface = Self.veil * shade + coverage(shinePatches, px, py)
                        rgb = (rgb.0 + surface, rgb.1 + surface, rgb.2 + surface)
                    }
                case .uv:
                    let remitted = 0.5 * shade * pow(10, -(m * Self.melanin.uv + h * Self.haemoglobin.uv))
                    let glow = coverage(porphyrins, px, py)
                    rgb = (remitted * Self.uvRemission.0 + glow * Self.porphyrinEmission.0, remitted * Self.uvRemission.1 + glow * Self.porphyrinEmission.1,
                           remitted * Self.uvRemission.2 + glow * Self.porphyrinEmission.2)
                }
                let i = (y * size + x) * 3
                out[i] = encode(rgb.0 * gains.0); out[i + 1] = encode(rgb.1 * gains.1); out[i + 2] = encode(rgb.2 * gains.2)
            }
        }
        return out
    }
}
