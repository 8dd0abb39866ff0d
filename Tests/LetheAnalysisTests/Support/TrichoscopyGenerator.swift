import Foundation
import LetheImaging
import LetheMemory
import LetheTestSupport

/// Synthetic trichoscopy images with known truth (deterministic from the seed), modelled on a
/// phototrichogram: clipped hairs as short dark shafts leaving follicular units of 1–3 hairs,
/// scalp background with noise, white flakes; the scale (mm per pixel) is part of the truth.
/// `Variation` moves a set towards the analyser's limits; its default draws the tuning images.
struct TrichoscopyImage {
    struct Hair {
        var x0, y0, x1, y1: Double; var widthPixels: Double; var widthMicrometres: Double
        /// Shaft L*: 24 (dark), lower contrast for faint hairs, above the scalp for white and grey hairs.
        var lStar = 24.0
        var light = false
        /// Curvature: the control point of a quadratic Bézier from follicle to tip lies this far
        /// (pixels) to the side of the straight line's midpoint; 0 is a straight (clipped) hair.
        var bend = 0.0
        /// Unclipped: long, may cross other hairs and leave the image.
        var long = false

        /// The shaft's centre line: its two ends, or 24 segments along the curve.
        var path: [(x: Double, y: Double)] {
            guard bend != 0 else { return [(x0, y0), (x1, y1)] }
            let dx = x1 - x0, dy = y1 - y0, length = hypot(dx, dy)
            let cx = (x0 + x1) / 2 - dy / length * bend, cy = (y0 + y1) / 2 + dx / length * bend
            return (0...24).map { step in
                let t = Double(step) / 24, u = 1 - t
                return (u * u * x0 + 2 * u * t * cx + t * t * x1, u * u * y0 + 2 * u * t * cy + t * t * y1)
            }
        }
    }
    struct Flake { var x, y, semiMajor, semiMinor, angle: Double }

    /// What a set varies beyond the tuning set. The default changes nothing (same random draws,
    /// same pixels); extra draws come from a second generator so the others stay put.
    struct Variation {
        /// Each hair's contrast below the scalp (ΔL*) drawn from this range instead of hair L* 24.
        var faintContrast: ClosedRange<Double>?
        /// Smallest gap between units' shafts (pixels); ≤ 1 lets units touch.
        var minimumGapPixels = 8.0
        /// Share of units placed beside an earlier unit's shaft, 0.3–1.2 px from it (touching once smoothed).
        var touchingShare = 0.0
        var unitCount: ClosedRange<Int> = 10...24
        /// Pixel noise: L* ± this.
        var noise = 1.5
        /// Share of follicular units whose hairs are white (L* 86–94) or grey (12–20 above the scalp), half each.
        var lightUnitShare = 0.0
        /// A round trichoscope field of this radius (share of the shorter side) centred in the
        /// image; outside it L* 4 (the dark corners). Units lie inside it.
        var roundFieldRadius: Double?
        /// Share of follicular units whose hairs are unclipped: `longHairMillimetres` long, curved
        /// (bend up to a fifth of the length), free to cross any hair and to leave the image (the
        /// follicle stays 60 px inside it, so at least 0.36 mm of every hair is seen).
        var longHairShare = 0.0
        var longHairMillimetres: ClosedRange<Double> = 1.5...5
        /// Each clipped hair's length drawn from this range (mm) instead of the image's one length ±15 %.
        var mixedLengthMillimetres: ClosedRange<Double>?
        /// Each hair's shaft width (µm), drawn independently for every hair of a unit.
        var hairWidthMicrometres: ClosedRange<Double> = 40...110
    }

    let width: Int, height: Int
    let millimetresPerPixel: Double
    var hairs: [Hair] = []
    var unitSizes: [Int] = []
    var flakes: [Flake] = []
    var fieldRadiusPixels: Double?
    /// Σ rendered field coverage (pixels; set by `render`): the round field clipped by the image.
    var fieldPixels: Double
    var scalpL: Double, scalpA: Double, scalpB: Double
    /// Σ rendered flake coverage / pixels (set by `render`).
    var flakeAreaFraction = 0.0

    var hairCount: Int { hairs.count }
    var lightHairCount: Int { hairs.filter(\.light).count }
    /// The imaged scalp (mm²): the round field or the whole image.
    var fieldSquareMillimetres: Double {
        fieldPixels * millimetresPerPixel * millimetresPerPixel
    }
    var densityPerSquareCentimetre: Double { Double(hairCount) / (fieldSquareMillimetres / 100) }
    var meanWidthMicrometres: Double { hairs.map(\.widthMicrometres).reduce(0, +) / Double(max(1, hairs.count)) }

    let noise: Double

    init(seed: UInt64, width: Int = 720, height: Int = 540, variation: Variation = Variation()) {
        var random = SeededGenerator(seed: seed)
        var extra = SeededGenerator(seed: seed &+ 0x9E37_79B9)
        noise = variation.noise
        fieldRadiusPixels = variation.roundFieldRadius.map { $0 * Double(min(width, height)) }
        let centreX = Double(width) / 2, centreY = Double(height) / 2
        fieldPixels = Double(width * height)
        self.width = width
        self.height = height
        millimetresPerPixel = Double.random(in: 0.006...0.008, using: &random)
        scalpL = Double.random(in: 60...72, using: &random)
        scalpA = Double.random(in: 8...16, using: &random)
        scalpB = Double.random(in: 10...18, using: &random)
        let unitTarget = Int.random(in: variation.unitCount, using: &random)
        let hairLengthMillimetres = Double.random(in: 0.6...0.8, using: &random)
        func distance(_ px: Double, _ py: Double, _ h: Hair) -> Double {
            let path = h.path
            var best = Double.infinity
            for k in 1..<path.count {
                let (ax, ay) = path[k - 1], dx = path[k].x - ax, dy = path[k].y - ay
                let t = max(0, min(1, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)))
                best = min(best, hypot(px - ax - t * dx, py - ay - t * dy))
            }
            return best
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
            let lightRoll = variation.lightUnitShare > 0 ? Double.random(in: 0..<1, using: &extra) : 1
            let light = lightRoll < variation.lightUnitShare
            let white = lightRoll < variation.lightUnitShare / 2
            let long = variation.longHairShare > 0 && Double.random(in: 0..<1, using: &extra) < variation.longHairShare
            for index in 0..<k {
                let angle = direction + (Double(index) - Double(k - 1) / 2) * Double.random(in: 0.35...0.55, using: &random)
                var length = hairLengthMillimetres * Double.random(in: 0.85...1.15, using: &random) / millimetresPerPixel
                let micrometres = Double.random(in: variation.hairWidthMicrometres, using: &random)
                var bend = 0.0
                if long {
                    length = Double.random(in: variation.longHairMillimetres, using: &extra) / millimetresPerPixel
                    bend = length * Double.random(in: -0.2...0.2, using: &extra)
                } else if let mixed = variation.mixedLengthMillimetres {
                    length = Double.random(in: mixed, using: &extra) / millimetresPerPixel
                }
                var hair = Hair(
                    x0: fx, y0: fy, x1: fx + cos(angle) * length, y1: fy + sin(angle) * length,
                    widthPixels: micrometres / 1000 / millimetresPerPixel, widthMicrometres: micrometres, bend: bend, long: long)
                if let faint = variation.faintContrast { hair.lStar = scalpL - Double.random(in: faint, using: &extra) }
                if light {
                    hair.light = true
                    hair.lStar = white ? Double.random(in: 86...94, using: &extra) : min(94, scalpL + Double.random(in: 12...20, using: &extra))
                }
                unit.append(hair)
            }
            if variation.touchingShare > 0, !hairs.isEmpty, Double.random(in: 0..<1, using: &extra) < variation.touchingShare {
                // Move the follicle beside a random point of an earlier shaft.
                let neighbour = hairs[Int.random(in: 0..<hairs.count, using: &extra)]
                let t = Double.random(in: 0.2...0.8, using: &extra), side: Double = Bool.random(using: &extra) ? 1 : -1
                let dx = neighbour.x1 - neighbour.x0, dy = neighbour.y1 - neighbour.y0, length = hypot(dx, dy)
                let offset = (neighbour.widthPixels + unit[0].widthPixels) / 2 + Double.random(in: 0.3...1.2, using: &extra)
                let shiftX = neighbour.x0 + t * dx - dy / length * side * offset - fx, shiftY = neighbour.y0 + t * dy + dx / length * side * offset - fy
                for index in unit.indices {
                    unit[index].x0 += shiftX; unit[index].x1 += shiftX; unit[index].y0 += shiftY; unit[index].y1 += shiftY
                }
            }
            let inside = unit.allSatisfy { hair in
                if hair.long {
                    // The follicle well inside; once the shaft leaves the image it does not come back.
                    let margin = 60.0
                    guard hair.x0 > margin, hair.x0 < Double(width) - margin, hair.y0 > margin, hair.y0 < Double(height) - margin else { return false }
                    let outside = hair.path.map { $0.x < 0 || $0.x > Double(width) || $0.y < 0 || $0.y > Double(height) }
                    guard let firstOut = outside.firstIndex(of: true) else { return true }
                    return outside[firstOut...].allSatisfy { $0 }
                }
                guard let radius = fieldRadiusPixels else {
                    return hair.x1 > 8 && hair.x1 < Double(width) - 8 && hair.y1 > 8 && hair.y1 < Double(height) - 8
                    && hair.x0 > 8 && hair.x0 < Double(width) - 8 && hair.y0 > 8 && hair.y0 < Double(height) - 8
                }
                return hypot(hair.x0 - centreX, hair.y0 - centreY) < radius - 12 && hypot(hair.x1 - centreX, hair.y1 - centreY) < radius - 12
            }
            // Unclipped hairs cross whatever lies in their way; clipped units keep apart from each other.
            let apart = unit.allSatisfy { hair in hair.long || hairs.allSatisfy { $0.long || segmentGap(hair, $0) > variation.minimumGapPixels } }
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
                let inField = fieldRadiusPixels.map { hypot(flake.x - centreX, flake.y - centreY) < $0 - flake.semiMajor - 12 } ?? true
                let clear = inField && hairs.allSatisfy { distance(flake.x, flake.y, $0) > flake.semiMajor + $0.widthPixels + 8 }
                    && flakes.allSatisfy { hypot($0.x - flake.x, $0.y - flake.y) > $0.semiMajor + flake.semiMajor + 8 }
                if clear { flakes.append(flake); break }
            }
        }
    }

    /// Renders into an arena buffer and records the flake coverage truth.
    mutating func render(seed: UInt64, arena: PlaintextArena) throws -> DecodedImage {
        var random = SeededGenerator(seed: seed ^ 0x5A5A)
        // Planes: hair coverage, flake coverage, L* of the hair that covers most, 1 where that hair is light.
        let coverage = try arena.allocate(count: width * height * 4 * MemoryLayout<Float>.stride, bufferClass: .intermediate)
        defer { arena.release(coverage) }
        let buffer = try arena.allocate(count: width * height * 3, bufferClass: .pixels)
        var flakeSum = 0.0, fieldSum = 0.0
        coverage.withUnsafeMutableBytes { raw in
            let planes = raw.bindMemory(to: Float.self)
            let count = width * height
            // Each segment of the centre line in turn; a pixel keeps its largest coverage.
            for hair in hairs {
              let path = hair.path
              for k in 1..<path.count {
                let (sx0, sy0) = path[k - 1], (sx1, sy1) = path[k]
                let r = hair.widthPixels / 2
                let x0 = max(0, Int(min(sx0, sx1) - r - 2)), x1 = min(width - 1, Int(max(sx0, sx1) + r + 2))
                let y0 = max(0, Int(min(sy0, sy1) - r - 2)), y1 = min(height - 1, Int(max(sy0, sy1) + r + 2))
                guard x0 <= x1, y0 <= y1 else { continue }
                let dx = sx1 - sx0, dy = sy1 - sy0
                for y in y0...y1 {
                    for x in x0...x1 {
                        let px = Double(x) + 0.5, py = Double(y) + 0.5
                        let t = max(0, min(1, ((px - sx0) * dx + (py - sy0) * dy) / (dx * dx + dy * dy)))
                        let c = Float(discCoverage(distance: hypot(px - sx0 - t * dx, py - sy0 - t * dy), radius: r))
                        if c > planes[y * width + x] {
                            planes[y * width + x] = c
                            planes[2 * count + y * width + x] = Float(hair.lStar)
                            planes[3 * count + y * width + x] = hair.light ? 1 : 0
                        }
                    }
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
                    let light = planes[3 * count + i] > 0
                    l += (Double(planes[2 * count + i]) - l) * hair
                    a += ((light ? 1 : 3) - a) * hair; b += ((light ? 4 : 6) - b) * hair
                    if let radius = fieldRadiusPixels {
                        let x = Double(i % width) + 0.5, y = Double(i / width) + 0.5
                        let inside = discCoverage(distance: hypot(x - Double(width) / 2, y - Double(height) / 2) - radius, radius: 0)
                        l = 4 + (l - 4) * inside; a *= inside; b *= inside
                        fieldSum += inside
                    }
                    l += Double.random(in: -noise...noise, using: &random)
                    let (r, g, bl) = LabToSRGB.convert(l: l, a: a, b: b)
                    bytes[i * 3] = r; bytes[i * 3 + 1] = g; bytes[i * 3 + 2] = bl
                }
            }
        }
        if fieldRadiusPixels != nil { fieldPixels = fieldSum }
        flakeAreaFraction = flakeSum / fieldPixels
        return DecodedImage(width: width, height: height, format: .png, pixels: buffer)
    }
}
