import Foundation

/// One simulated re-capture of a photo: the same subject photographed again a little nearer or
/// farther, off-centre, tilted, brighter or darker, under slightly warmer or cooler light, saved
/// by the camera at another JPEG quality. `lethe bench --repeatability` measures how much the
/// analysis moves between such captures.
public struct Recapture: Sendable, Codable, Equatable {
    /// Magnification about the frame's centre (1.2 = the subject 20 % larger).
    public var scale: Double
    /// Rotation about the frame's centre in degrees, positive from +x towards +y (image axes, y down).
    public var rotationDegrees: Double
    /// Shift of the subject as a fraction of the frame's width (+ = right).
    public var shiftXFraction: Double
    /// Shift of the subject as a fraction of the frame's height (+ = down).
    public var shiftYFraction: Double
    /// Exposure change in stops: linear light × 2^EV.
    public var exposureEV: Double
    /// White-balance shift t: linear red × (1 + t), blue × (1 − t) (+ = warmer light).
    public var whiteBalanceShift: Double
    /// Quality of the camera's JPEG (1–100).
    public var jpegQuality: Int

    /// The photo as it was: no change but one JPEG save at `jpegQuality`.
    public static func unchanged(jpegQuality: Int = 95) -> Recapture {
        Recapture(scale: 1, rotationDegrees: 0, shiftXFraction: 0, shiftYFraction: 0, exposureEV: 0, whiteBalanceShift: 0, jpegQuality: jpegQuality)
    }

    public init(
        scale: Double, rotationDegrees: Double, shiftXFraction: Double, shiftYFraction: Double, exposureEV: Double,
        whiteBalanceShift: Double, jpegQuality: Int
    ) {
        self.scale = scale
        self.rotationDegrees = rotationDegrees
        self.shiftXFraction = shiftXFraction
        self.shiftYFraction = shiftYFraction
        self.exposureEV = exposureEV
        self.whiteBalanceShift = whiteBalanceShift
        self.jpegQuality = jpegQuality
    }

    /// What a re-capture changes; `keeping(only:)` holds the others at no change, to find which of
    /// them moves a measure.
    public enum Perturbation: String, Sendable, Codable, CaseIterable {
        case scale, rotation, shift, exposure, whiteBalance = "white-balance", jpeg
    }

    /// This re-capture with every perturbation not in `perturbations` undone; JPEG quality then
    /// `unchangedJPEGQuality` (every capture is still saved once, as a camera would).
    public func keeping(only perturbations: Set<Perturbation>, unchangedJPEGQuality: Int = 95) -> Recapture {
        var kept = self
        if !perturbations.contains(.scale) { kept.scale = 1 }
        if !perturbations.contains(.rotation) { kept.rotationDegrees = 0 }
        if !perturbations.contains(.shift) { (kept.shiftXFraction, kept.shiftYFraction) = (0, 0) }
        if !perturbations.contains(.exposure) { kept.exposureEV = 0 }
        if !perturbations.contains(.whiteBalance) { kept.whiteBalanceShift = 0 }
        if !perturbations.contains(.jpeg) { kept.jpegQuality = unchangedJPEGQuality }
        return kept
    }

    /// Where a point of the original (pixel centres, input pixels) lands in a `width × height`
    /// re-capture: centre + shift + scale · rotation · (point − centre).
    public func map(x: Double, y: Double, width: Int, height: Int) -> (x: Double, y: Double) {
        let affine = self.affine(width: width, height: height)
        let (u, v) = (x + affine.inputOffsetX, y + affine.inputOffsetY)
        return (affine.a * u + affine.b * v + affine.outputOffsetX, affine.c * u + affine.d * v + affine.outputOffsetY)
    }

    /// The transform in libvips' `vips_affine` form: out = [a b; c d] · (in + inputOffset) + outputOffset.
    struct Affine {
        var a, b, c, d: Double
        var inputOffsetX, inputOffsetY, outputOffsetX, outputOffsetY: Double
    }

    func affine(width: Int, height: Int) -> Affine {
        let radians = rotationDegrees * .pi / 180
        let (cosine, sine) = (scale * cos(radians), scale * sin(radians))
        let centreX = Double(width - 1) / 2, centreY = Double(height - 1) / 2
        return Affine(
            a: cosine, b: -sine, c: sine, d: cosine, inputOffsetX: -centreX, inputOffsetY: -centreY,
            outputOffsetX: centreX + shiftXFraction * Double(width), outputOffsetY: centreY + shiftYFraction * Double(height))
    }

    /// Per-channel gains on linear light (R, G, B): exposure and white balance together.
    public var linearGains: [Double] {
        let exposure = pow(2, exposureEV)
        return [exposure * (1 + whiteBalanceShift), exposure, exposure * (1 - whiteBalanceShift)]
    }
}

/// A patch fixed in the camera's frame, such as a device's grey card: a re-capture moves the
/// subject (scale, rotation, shift) but not the patch, which is drawn after the optics and before
/// the camera's JPEG, in codes its caller has already lit with the capture's light
/// (`Recapture.linearGains`), since the card stands in the same light as the face.
public struct FramePatch: Sendable, Equatable {
    /// Input pixels, `x0..<x1` × `y0..<y1` (clipped to the frame when drawn).
    public var x0: Int, y0: Int, x1: Int, y1: Int
    /// sRGB codes (red, green, blue).
    public var codes: [UInt8]

    public init(x0: Int, y0: Int, x1: Int, y1: Int, codes: [UInt8]) {
        precondition(codes.count == 3, "a patch has one code per channel")
        (self.x0, self.y0, self.x1, self.y1, self.codes) = (x0, y0, x1, y1, codes)
    }
}

/// The ranges re-captures are drawn from, uniformly. The defaults are issue 16's: scale ±20 %,
/// rotation ±5°, JPEG quality 75–95, exposure ±⅓ EV, a small white-balance shift; plus a shift
/// of up to 5 % of the frame each way.
public struct RecaptureRanges: Sendable, Codable, Equatable {
    public var scale: ClosedRange<Double> = 0.8...1.2
    public var rotationDegrees: ClosedRange<Double> = -5...5
    public var shiftFraction: ClosedRange<Double> = -0.05...0.05
    public var exposureEV: ClosedRange<Double> = (-1.0 / 3)...(1.0 / 3)
    /// ±4 % on red against blue in linear light: about ±250 K around 5500 K.
    public var whiteBalanceShift: ClosedRange<Double> = -0.04...0.04
    public var jpegQuality: ClosedRange<Int> = 75...95

    public init() {}

    /// `count` re-captures drawn from the ranges; the same `seed` gives the same list.
    /// - Parameter perturbations: the ones that vary; the others are held at no change (JPEG at
    ///   the range's best quality). Each kept one has the values the full draw gives it.
    public func draw(count: Int, seed: UInt64, varying perturbations: Set<Recapture.Perturbation>) -> [Recapture] {
        draw(count: count, seed: seed).map { $0.keeping(only: perturbations, unchangedJPEGQuality: jpegQuality.upperBound) }
    }

    /// `count` re-captures drawn from the ranges; the same `seed` gives the same list.
    public func draw(count: Int, seed: UInt64) -> [Recapture] {
        var random = RecaptureRandom(seed: seed)
        return (0..<count).map { _ in
            Recapture(
                scale: Double.random(in: scale, using: &random),
                rotationDegrees: Double.random(in: rotationDegrees, using: &random),
                shiftXFraction: Double.random(in: shiftFraction, using: &random),
                shiftYFraction: Double.random(in: shiftFraction, using: &random),
                exposureEV: Double.random(in: exposureEV, using: &random),
                whiteBalanceShift: Double.random(in: whiteBalanceShift, using: &random),
                jpegQuality: Int.random(in: jpegQuality, using: &random))
        }
    }
}

/// xorshift64* (Vigna 2016): a reproducible stream for re-capture draws; Swift's own generator
/// is seeded per process and cannot be replayed.
struct RecaptureRandom: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed == 0 ? 0x2545_F491_4F6C_DD1D : seed }

    mutating func next() -> UInt64 {
        state ^= state >> 12
        state ^= state << 25
        state ^= state >> 27
        return state &* 0x2545_F491_4F6C_DD1D
    }
}
