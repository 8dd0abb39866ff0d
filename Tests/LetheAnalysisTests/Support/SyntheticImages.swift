import Foundation
import LetheImaging
import LetheMemory
import LetheTestSupport

struct RGB: Sendable, Equatable, CustomStringConvertible {
    var r: UInt8, g: UInt8, b: UInt8
    init(_ r: UInt8, _ g: UInt8, _ b: UInt8) { self.r = r; self.g = g; self.b = b }
    var description: String { "(\(r), \(g), \(b))" }
}

/// Test images written straight into arena buffers, like decoded photos.
enum SyntheticImages {
    static func clamp(_ value: Int) -> UInt8 { UInt8(min(255, max(0, value))) }

    /// An image whose pixel at (x, y) is `colour(x, y)`.
    static func make(width: Int, height: Int, arena: PlaintextArena, _ colour: (Int, Int) -> RGB) throws -> DecodedImage {
        let buffer = try arena.allocate(count: width * height * 3, bufferClass: .pixels)
        buffer.withUnsafeMutableBytes { bytes in
            for y in 0..<height {
                for x in 0..<width {
                    let pixel = colour(x, y)
                    let offset = (y * width + x) * 3
                    bytes[offset] = pixel.r
                    bytes[offset + 1] = pixel.g
                    bytes[offset + 2] = pixel.b
                }
            }
        }
        return DecodedImage(width: width, height: height, format: .png, pixels: buffer)
    }

    static func uniform(_ colour: RGB, width: Int = 160, height: Int = 160, arena: PlaintextArena) throws -> DecodedImage {
        try make(width: width, height: height, arena: arena) { _, _ in colour }
    }

    /// `base` plus per-pixel luminance noise in ±`amplitude`, the same offset on all three channels:
    /// YCbCr chroma coefficients sum to zero, so Cb and Cr — and hence the skin mask — are unchanged
    /// while the Laplacian sees strong texture.
    static func texture(
        _ base: RGB, amplitude: Int = 20, width: Int = 200, height: Int = 200, seed: UInt64 = 42,
        arena: PlaintextArena, region: ((Int, Int) -> RGB?)? = nil
    ) throws -> DecodedImage {
        var generator = SeededGenerator(seed: seed)
        return try make(width: width, height: height, arena: arena) { x, y in
            let colour = region?(x, y) ?? base
            let offset = Int.random(in: -amplitude...amplitude, using: &generator)
            return RGB(clamp(Int(colour.r) + offset), clamp(Int(colour.g) + offset), clamp(Int(colour.b) + offset))
        }
    }

    /// Separable Gaussian blur (edges clamped) into a new arena image.
    static func gaussianBlur(_ image: DecodedImage, sigma: Double, arena: PlaintextArena) throws -> DecodedImage {
        let radius = Int((3 * sigma).rounded(.up))
        let weights = (-radius...radius).map { exp(-Double($0 * $0) / (2 * sigma * sigma)) }
        let total = weights.reduce(0, +)
        let kernel = weights.map { $0 / total }
        let width = image.width, height = image.height
        let temporary = try arena.allocate(count: width * height * 3 * MemoryLayout<Double>.stride, bufferClass: .intermediate)
        defer { arena.release(temporary) }
        let output = try arena.allocate(count: width * height * 3, bufferClass: .pixels)
        image.pixels.withUnsafeBytes { source in
            temporary.withUnsafeMutableBytes { rawTemporary in
                let horizontal = rawTemporary.bindMemory(to: Double.self)
                for y in 0..<height {
                    for x in 0..<width {
                        for channel in 0..<3 {
                            var sum = 0.0
                            for k in -radius...radius {
                                let sx = min(width - 1, max(0, x + k))
                                sum += kernel[k + radius] * Double(source[(y * width + sx) * 3 + channel])
                            }
                            horizontal[(y * width + x) * 3 + channel] = sum
                        }
                    }
                }
                output.withUnsafeMutableBytes { target in
                    for y in 0..<height {
                        for x in 0..<width {
                            for channel in 0..<3 {
                                var sum = 0.0
                                for k in -radius...radius {
                                    let sy = min(height - 1, max(0, y + k))
                                    sum += kernel[k + radius] * horizontal[(sy * width + x) * 3 + channel]
                                }
                                target[(y * width + x) * 3 + channel] = clamp(Int(sum.rounded()))
                            }
                        }
                    }
                }
            }
        }
        return DecodedImage(width: width, height: height, format: image.format, pixels: output)
    }

    /// `image` exposed `stops` brighter (negative: darker): each channel's linear light × 2^stops,
    /// encoded back to 8-bit sRGB, clipping at 255 as a camera does.
    static func exposed(_ image: DecodedImage, stops: Double, arena: PlaintextArena) throws -> DecodedImage {
        let pixels = image.pixels.withUnsafeBytes { Array($0) }
        let gain = pow(2, stops)
        func exposed(_ code: UInt8) -> UInt8 { ReferenceColour.code(ReferenceColour.linear(code) * gain) }
        return try make(width: image.width, height: image.height, arena: arena) { x, y in
            let offset = (y * image.width + x) * 3
            return RGB(exposed(pixels[offset]), exposed(pixels[offset + 1]), exposed(pixels[offset + 2]))
        }
    }

    /// `Fixtures/<name>`, decoded.
    static func decodeFixture(_ name: String, arena: PlaintextArena) throws -> DecodedImage {
        let data = try Data(contentsOf: Repository.fixture(name))
        return try data.withUnsafeBytes { try ImageDecoder.decode($0, limits: DecodeLimits(), arena: arena) }
    }
}

/// An independent, textbook implementation of sRGB → CIELAB used as ground truth
/// (IEC 61966-2-1 decoding, sRGB → XYZ D65 matrix, CIE 15:2004 CIELAB), written with `pow`
/// rather than the analyser's tables.
enum ReferenceColour {
    static func linear(_ code: UInt8) -> Double {
        let v = Double(code) / 255
        return v <= 0.04045 ? v / 12.92 : pow((v + 0.055) / 1.055, 2.4)
    }

    /// The 8-bit sRGB code of a linear value (IEC 61966-2-1 encoding), rounded, clipped to 0…255.
    static func code(_ linear: Double) -> UInt8 {
        let v = linear <= 0.0031308 ? 12.92 * linear : 1.055 * pow(linear, 1 / 2.4) - 0.055
        return UInt8(max(0, min(255, (v * 255).rounded())))
    }

    static func lab(_ colour: RGB) -> (l: Double, a: Double, b: Double) {
        let r = linear(colour.r), g = linear(colour.g), b = linear(colour.b)
        let x = 0.4124564 * r + 0.3575761 * g + 0.1804375 * b
        let y = 0.2126729 * r + 0.7151522 * g + 0.0721750 * b
        let z = 0.0193339 * r + 0.1191920 * g + 0.9503041 * b
        func f(_ t: Double) -> Double {
            let delta = 6.0 / 29.0
            return t > delta * delta * delta ? pow(t, 1.0 / 3.0) : t / (3 * delta * delta) + 4.0 / 29.0
        }
        let fx = f(x / 0.95047), fy = f(y / 1.0), fz = f(z / 1.08883)
        return (116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz))
    }

    static func ita(_ lab: (l: Double, a: Double, b: Double)) -> Double {
        atan2(lab.l - 50, lab.b) * 180 / .pi
    }

    /// Erythema index of one colour: 100 · log10(R_lin / G_lin).
    static func erythemaIndex(_ colour: RGB) -> Double {
        100 * (log10(linear(colour.r)) - log10(linear(colour.g)))
    }
}
