import Foundation
import LetheImaging
import LetheMemory
import LetheTestSupport

/// Synthetic trichoscopy images with known truth (deterministic from the seed), modelled on a
/// phototrichogram: clipped hairs as short dark shafts leaving follicular units of 1–3 hairs,
/// scalp background with noise, white flakes; the scale (mm per pixel) is part of the truth.
struct TrichoscopyImage {
    struct Hair { var x0, y0, x1, y1: Double; var widthPixels: Double; var widthMicrometres: Double }
    struct Flake { var x, y, semiMajor, semiMinor, angle: Double }

    let width: Int, height: Int
    let millimetresPerPixel: Double
    var hairs: [Hair] = []
    var unitSizes: [Int] = []
    var flakes: [Flake] = []
    var scalpL: Double, scalpA: Double, scalpB: Double
    /// Σ rendered flake coverage / pixels (set by `render`).
    var flakeAreaFraction = 0.0

    var hairCount: Int { hairs.count }
    var meanWidthMicrometres: Double { hairs.map(\.widthMicrometres).reduce(0, +) / Double(max(1, hairs.count)) }

    init(seed: UInt64, width: Int = 720, height: Int = 540) {
        var random = SeededGenerator(seed: seed)
        self.width = width
        self.height = height
        millimetresPerPixel = Double.random(in: 0.006...0.008, using: &random)
        scalpL = Double.random(in: 60...72, using: &random)
        scalpA = Double.random(in: 8...16, using: &random)
        scalpB = Double.random(in: 10...18, using: &random)
        let unitTarget = Int.random(in: 10...24, using: &random)
        let hairLengthMillimetres = Double.random(in: 0.6...0.8, using: &random)
        func distance(_ px: Double, _ py: Double, _ h: Hair) -> Double {
            let dx = h.x1 - h.x0, dy = h.y1 - h.y0
            let t = max(0, min(1, ((px - h.x0) * dx + (py - h.y0) * dy) / (dx * dx + dy * dy)))
            return hypot(px - h.x0 - t * dx, py - h.y0 - t * dy)
        }
        func segmentGap(_ a: Hair, _ b: Hair) -> Double {
            var best = Double.infinity
            for i in 0...20 {
                let t = Double(i) / 20
                best = min(best, distance(a.x0 + t * (a.x1 - a.x0), a.y0 + t * (a.y1 - a.y0), b))
                best = min(best, distance(b.x0 + t * (b.x1 - b.x0), b.y0 + t * (b.y1 - b.y0), a))
            }
            return best - (a.widthPixels + b.widthPixels) / 2
        }
        var attempts = 0
        while unitSizes.count < unitTarget, attempts < 2000 {
            attempts += 1
            let roll = Double.random(in: 0..<1, using: &random)
            let k = roll < 0.5 ? 1 : (roll < 0.82 ? 2 : 3)
            let fx = Double.random(in: 30...(Double(width) - 30), using: &random)
            let fy = Double.random(in: 30...(Double(height) - 30), using: &random)
            let direction = Double.random(in: 0..<(2 * .pi), using: &random)
            var unit: [Hair] = []
            for index in 0..<k {
                let angle = direction + (Double(index) - Double(k - 1) / 2) * Double.random(in: 0.35...0.55, using: &random)
                let length = hairLengthMillimetres * Double.random(in: 0.85...1.15, using: &random) / millimetresPerPixel
                let micrometres = Double.random(in: 40...110, using: &random)
                unit.append(Hair(
                    x0: fx, y0: fy, x1: fx + cos(angle) * length, y1: fy + sin(angle) * length,
                    widthPixels: micrometres / 1000 / millimetresPerPixel, widthMicrometres: micrometres))
            }
            let inside = unit.allSatisfy { $0.x1 > 8 && $0.x1 < Double(width) - 8 && $0.y1 > 8 && $0.y1 < Double(height) - 8 }
            let apart = unit.allSatisfy { hair in hairs.allSatisfy { segmentGap(hair, $0) > 8 } }
            if inside, apart {
                hairs += unit
                unitSizes.append(k)
            }
        }
        for _ in 0..<Int.random(in: 0...7, using: &random) {
            for _ in 0..<200 {
                let flake = Flake(
                    x: Double.random(in: 40...(Double(width) - 40), using: &random), y: Double.random(in: 40...(Double(height) - 40), using: &random),
                    semiMajor: Double.random(in: 0.04...0.12, using: &random) / millimetresPerPixel,
                    semiMinor: Double.random(in: 0.03...0.06, using: &random) / millimetresPerPixel,
                    angle: Double.random(in: 0..<(.pi), using: &random))
                let clear = hairs.allSatisfy { distance(flake.x, flake.y, $0) > flake.semiMajor + $0.widthPixels + 8 }
                    && flakes.allSatisfy { hypot($0.x - flake.x, $0.y - flake.y) > $0.semiMajor + flake.semiMajor + 8 }
                if clear { flakes.append(flake); break }
            }
        }
    }

    /// Renders into an arena buffer and records the flake coverage truth.
    mutating func render(seed: UInt64, arena: PlaintextArena) throws -> DecodedImage {
        var random = SeededGenerator(seed: seed ^ 0x5A5A)
        let coverage = try arena.allocate(count: width * height * 2 * MemoryLayout<Float>.stride, bufferClass: .intermediate)
        defer { arena.release(coverage) }
        let buffer = try arena.allocate(count: width * height * 3, bufferClass: .pixels)
        var flakeSum = 0.0
        coverage.withUnsafeMutableBytes { raw in
            let planes = raw.bindMemory(to: Float.self)
            let count = width * height
            for hair in hairs {
                let r = hair.widthPixels / 2
                let x0 = max(0, Int(min(hair.x0, hair.x1) - r - 2)), x1 = min(width - 1, Int(max(hair.x0, hair.x1) + r + 2))
                let y0 = max(0, Int(min(hair.y0, hair.y1) - r - 2)), y1 = min(height - 1, Int(max(hair.y0, hair.y1) + r + 2))
                let dx = hair.x1 - hair.x0, dy = hair.y1 - hair.y0
                for y in y0...y1 {
                    for x in x0...x1 {
                        let px = Double(x) + 0.5, py = Double(y) + 0.5
                        let t = max(0, min(1, ((px - hair.x0) * dx + (py - hair.y0) * dy) / (dx * dx + dy * dy)))
                        let c = Float(discCoverage(distance: hypot(px - hair.x0 - t * dx, py - hair.y0 - t * dy), radius: r))
                        planes[y * width + x] = max(planes[y * width + x], c)
                    }
                }
            }
            for flake in flakes {
                let reach = Int(flake.semiMajor + 2)
                let cosA = cos(flake.angle), sinA = sin(flake.angle)
                for y in max(0, Int(flake.y) - reach)...min(height - 1, Int(flake.y) + reach) {
                    for x in max(0, Int(flake.x) - reach)...min(width - 1, Int(flake.x) + reach) {
                        let px = Double(x) + 0.5 - flake.x, py = Double(y) + 0.5 - flake.y
                        let u = (px * cosA + py * sinA) / flake.semiMajor, v = (-px * sinA + py * cosA) / flake.semiMinor
                        // Distance outside the ellipse, approximately in pixels.
                        let rho = (u * u + v * v).squareRoot()
                        let c = discCoverage(distance: (rho - 1) * flake.semiMinor, radius: 0)
                        planes[count + y * width + x] = Float(c)
                    }
                }
            }
            buffer.withUnsafeMutableBytes { bytes in
                for i in 0..<count {
                    let hair = Double(planes[i]), flake = Double(planes[count + i])
                    flakeSum += flake
                    var l = scalpL, a = scalpA, b = scalpB
                    l += (90 - l) * flake; a += (1 - a) * flake; b += (5 - b) * flake
                    l += (24 - l) * hair; a += (3 - a) * hair; b += (6 - b) * hair
                    l += Double.random(in: -1.5...1.5, using: &random)
                    let (r, g, bl) = LabToSRGB.convert(l: l, a: a, b: b)
                    bytes[i * 3] = r; bytes[i * 3 + 1] = g; bytes[i * 3 + 2] = bl
                }
            }
        }
        flakeAreaFraction = flakeSum / Double(width * height)
        return DecodedImage(width: width, height: height, format: .png, pixels: buffer)
    }
}
