import Foundation
import LetheImaging
import LetheMemory
import LetheTestSupport

/// CIELAB (D65) → 8-bit sRGB, the inverse of `ReferenceColour.lab` (CIE 15:2004, IEC 61966-2-1).
enum LabToSRGB {
    static func convert(l: Double, a: Double, b: Double) -> (UInt8, UInt8, UInt8) {
        let fy = (l + 16) / 116, fx = fy + a / 500, fz = fy - b / 200
        func finv(_ t: Double) -> Double {
            let delta = 6.0 / 29.0
            return t > delta ? t * t * t : 3 * delta * delta * (t - 4.0 / 29.0)
        }
        let x = 0.95047 * finv(fx), y = finv(fy), z = 1.08883 * finv(fz)
        let r = 3.2404542 * x - 1.5371385 * y - 0.4985314 * z
        let g = -0.9692660 * x + 1.8760108 * y + 0.0415560 * z
        let bl = 0.0556434 * x - 0.2040259 * y + 1.0572252 * z
        func encode(_ v: Double) -> UInt8 {
            let c = min(1, max(0, v))
            let s = c <= 0.0031308 ? 12.92 * c : 1.055 * pow(c, 1 / 2.4) - 0.055
            return UInt8((s * 255).rounded())
        }
        return (encode(r), encode(g), encode(bl))
    }
}

/// Coverage of a pixel by an anti-aliased disc (1 inside, 0 outside, linear over one pixel).
@inline(__always)
func discCoverage(distance: Double, radius: Double) -> Double { min(1, max(0, radius + 0.5 - distance)) }

/// Synthetic skin close-ups with known truth (deterministic from the seed): a base CIELAB colour
/// (hence ITA°), pigmented spots and pores of known number, size and contrast, red patches and
/// specular (shine) patches, plus per-pixel luminance noise.
struct SkinPatch {
    struct Mark { var x: Double, y: Double, radius: Double, contrast: Double }
    var baseL: Double, baseA: Double, baseB: Double
    var spots: [Mark] = []
    var pores: [Mark] = []
    var redPatches: [Mark] = []
    var shinePatches: [Mark] = []
    /// Per-pixel luminance noise, uniform in ±noise L*.
    var noise = 1.5
    let size: Int

    var itaDegrees: Double { atan2(baseL - 50, baseB) * 180 / .pi }

    init(seed: UInt64, size: Int = 320) {
        var random = SeededGenerator(seed: seed)
        self.size = size
        baseL = Double.random(in: 42...74, using: &random)
        baseA = Double.random(in: 9...16, using: &random)
        baseB = Double.random(in: 13...24, using: &random)
        let spotCount = Int.random(in: 0...10, using: &random)
        let poreCount = Int.random(in: 0...60, using: &random)
        var placed: [Mark] = []
        func place(radius: ClosedRange<Double>, contrast: ClosedRange<Double>, gap: Double) -> Mark? {
            for _ in 0..<200 {
                let r = Double.random(in: radius, using: &random)
                let margin = r + 4
                let mark = Mark(
                    x: Double.random(in: margin...(Double(size) - margin), using: &random),
                    y: Double.random(in: margin...(Double(size) - margin), using: &random),
                    radius: r, contrast: Double.random(in: contrast, using: &random))
                if placed.allSatisfy({ hypot($0.x - mark.x, $0.y - mark.y) > $0.radius + mark.radius + gap }) {
                    placed.append(mark)
                    return mark
                }
            }
            return nil
        }
        for _ in 0..<spotCount { if let m = place(radius: 5...11, contrast: 12...22, gap: 8) { spots.append(m) } }
        for _ in 0..<poreCount { if let m = place(radius: 1.5...2.2, contrast: 11...16, gap: 6) { pores.append(m) } }
        for _ in 0..<Int.random(in: 0...2, using: &random) {
            let r = Double.random(in: 15...30, using: &random)
            redPatches.append(Mark(x: Double.random(in: r...(Double(size) - r), using: &random), y: Double.random(in: r...(Double(size) - r), using: &random), radius: r, contrast: 10))
        }
        for _ in 0..<Int.random(in: 0...2, using: &random) {
            if let m = place(radius: 6...14, contrast: 0...0, gap: 6) { shinePatches.append(m) }
        }
    }

    /// Renders the patch into an arena buffer.
    func render(seed: UInt64, arena: PlaintextArena) throws -> DecodedImage {
        var random = SeededGenerator(seed: seed ^ 0xA5A5)
        let buffer = try arena.allocate(count: size * size * 3, bufferClass: .pixels)
        buffer.withUnsafeMutableBytes { bytes in
            for y in 0..<size {
                for x in 0..<size {
                    let px = Double(x) + 0.5, py = Double(y) + 0.5
                    var l = baseL, a = baseA, b = baseB
                    for patch in redPatches {
                        // Soft-edged erythema: a* raised, L* slightly lowered.
                        let c = discCoverage(distance: hypot(px - patch.x, py - patch.y), radius: patch.radius)
                        a += patch.contrast * c
                        l -= 2 * c
                    }
                    for spot in spots {
                        let c = discCoverage(distance: hypot(px - spot.x, py - spot.y), radius: spot.radius)
                        if c > 0 { l -= spot.contrast * c; b += 4 * c; a += 1 * c }
                    }
                    for pore in pores {
                        let c = discCoverage(distance: hypot(px - pore.x, py - pore.y), radius: pore.radius)
                        if c > 0 { l -= pore.contrast * c }
                    }
                    for shine in shinePatches {
                        let c = discCoverage(distance: hypot(px - shine.x, py - shine.y), radius: shine.radius)
                        if c > 0 { l += (96 - l) * c; a *= 1 - 0.9 * c; b *= 1 - 0.85 * c }
                    }
                    l += Double.random(in: -noise...noise, using: &random)
                    let (r, g, bl) = LabToSRGB.convert(l: l, a: a, b: b)
                    let offset = (y * size + x) * 3
                    bytes[offset] = r; bytes[offset + 1] = g; bytes[offset + 2] = bl
                }
            }
        }
        return DecodedImage(width: size, height: size, format: .png, pixels: buffer)
    }
}

/// Spearman's rank correlation (average ranks for ties).
enum Spearman {
    static func ranks(_ values: [Double]) -> [Double] {
        let order = values.indices.sorted { values[$0] < values[$1] }
        var result = [Double](repeating: 0, count: values.count)
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count, values[order[j + 1]] == values[order[i]] { j += 1 }
            let rank = Double(i + j) / 2 + 1
            for k in i...j { result[order[k]] = rank }
            i = j + 1
        }
        return result
    }

    static func correlation(_ x: [Double], _ y: [Double]) -> Double {
        let rx = ranks(x), ry = ranks(y)
        let mx = rx.reduce(0, +) / Double(rx.count), my = ry.reduce(0, +) / Double(ry.count)
        var sxy = 0.0, sxx = 0.0, syy = 0.0
        for i in rx.indices {
            sxy += (rx[i] - mx) * (ry[i] - my)
            sxx += (rx[i] - mx) * (rx[i] - mx)
            syy += (ry[i] - my) * (ry[i] - my)
        }
        return sxy / (sxx * syy).squareRoot()
    }
}
