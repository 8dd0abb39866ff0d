import Foundation
import LetheImaging
import LetheMemory
import LetheTestSupport

/// A skin close-up at a known scale with straight dark lines of known number, length, width and
/// depth (square ends that fade within 0.2 mm) (deterministic from the seed), apart from each other and from the border, under a soft
/// illumination gradient with per-pixel noise; optionally a step edge (a brighter half, as the
/// side of a nose or a face against a pale background) with a camera's sharpening halo.
struct WrinkledSkin {
    struct Line { var x0, y0, x1, y1: Double; var widthMillimetres, depthLStar: Double }
    let size: Int
    let millimetresPerPixel: Double
    var baseL = 62.0, baseA = 12.0, baseB = 16.0
    var shadingLStar = 6.0
    var noiseLStar = 1.5
    var lines: [Line] = []
    /// A vertical step at this x (pixels): L* + `stepLStar` to its right, with an undershoot and
    /// overshoot of `haloLStar` (unsharp masking) over ±2 px.
    var stepX: Double?
    var stepLStar = 15.0
    var haloLStar = 3.0

    init(seed: UInt64, lineCount: Int, size: Int = 400, millimetresPerPixel: Double = 0.1) {
        var random = SeededGenerator(seed: seed)
        self.size = size
        self.millimetresPerPixel = millimetresPerPixel
        let extent = Double(size)
        let margin = 30.0
        var attempts = 0
        while lines.count < lineCount, attempts < 5000 {
            attempts += 1
            let length = Double.random(in: 8...22, using: &random) / millimetresPerPixel
            let angle = Double.random(in: 0..<Double.pi, using: &random)
            let cx = Double.random(in: margin...(extent - margin), using: &random)
            let cy = Double.random(in: margin...(extent - margin), using: &random)
            let dx = cos(angle) * length / 2, dy = sin(angle) * length / 2
            let line = Line(
                x0: cx - dx, y0: cy - dy, x1: cx + dx, y1: cy + dy,
                widthMillimetres: Double.random(in: 0.5...2, using: &random), depthLStar: Double.random(in: 5...10, using: &random))
            let inside = [line.x0, line.y0, line.x1, line.y1].allSatisfy { $0 >= margin && $0 <= extent - margin }
            // 3 mm apart from every other line (and never crossing).
            let apart = lines.allSatisfy { Self.segmentDistance($0, line) >= 3 / millimetresPerPixel }
            if inside, apart { lines.append(line) }
        }
    }

    var lengthsMillimetres: [Double] { lines.map { hypot($0.x1 - $0.x0, $0.y1 - $0.y0) * millimetresPerPixel } }

    /// Distance from a point to a segment.
    static func pointDistance(_ px: Double, _ py: Double, _ line: Line) -> Double {
        let vx = line.x1 - line.x0, vy = line.y1 - line.y0
        let t = min(1, max(0, ((px - line.x0) * vx + (py - line.y0) * vy) / (vx * vx + vy * vy)))
        return hypot(px - (line.x0 + t * vx), py - (line.y0 + t * vy))
    }

    /// Smallest distance between two segments (zero when they cross).
    static func segmentDistance(_ a: Line, _ b: Line) -> Double {
        func cross(_ ox: Double, _ oy: Double, _ ax: Double, _ ay: Double, _ bx: Double, _ by: Double) -> Double {
            (ax - ox) * (by - oy) - (ay - oy) * (bx - ox)
        }
        let d1 = cross(a.x0, a.y0, a.x1, a.y1, b.x0, b.y0), d2 = cross(a.x0, a.y0, a.x1, a.y1, b.x1, b.y1)
        let d3 = cross(b.x0, b.y0, b.x1, b.y1, a.x0, a.y0), d4 = cross(b.x0, b.y0, b.x1, b.y1, a.x1, a.y1)
        if (d1 > 0) != (d2 > 0), (d3 > 0) != (d4 > 0) { return 0 }
        return min(
            pointDistance(a.x0, a.y0, b), pointDistance(a.x1, a.y1, b), pointDistance(b.x0, b.y0, a), pointDistance(b.x1, b.y1, a))
    }

    func render(arena: PlaintextArena) throws -> DecodedImage {
        var random = SeededGenerator(seed: UInt64(size) &* 7_919 &+ UInt64(lines.count))
        return try SyntheticImages.make(width: size, height: size, arena: arena) { x, y in
            let px = Double(x) + 0.5, py = Double(y) + 0.5
            var l = baseL + shadingLStar * (px / Double(size) - 0.5) + 0.5 * shadingLStar * (py / Double(size) - 0.5)
            for line in lines {
                // A Gaussian profile of full width at half depth `widthMillimetres` across the line;
                // beyond its ends the depth fades within 0.2 mm (so the length is the segment's).
                let s = line.widthMillimetres / millimetresPerPixel / 2.3548, fade = 0.2 / millimetresPerPixel / 2
                let vx = line.x1 - line.x0, vy = line.y1 - line.y0, length = hypot(vx, vy)
                let along = ((px - line.x0) * vx + (py - line.y0) * vy) / length
                let across = abs((px - line.x0) * vy - (py - line.y0) * vx) / length
                let beyond = max(0, -along, along - length)
                if across < 4 * s, beyond < 4 * fade {
                    l -= line.depthLStar * exp(-across * across / (2 * s * s)) * exp(-beyond * beyond / (2 * fade * fade))
                }
            }
            if let stepX {
                let u = px - stepX
                // A step smoothed over a pixel, with the halo of unsharp masking on both sides.
                l += stepLStar * min(1, max(0, u + 0.5))
                if u < 0, u > -2.5 { l -= haloLStar * (1 + u / 2.5) }
                if u > 0, u < 2.5 { l += haloLStar * (1 - u / 2.5) }
            }
            l += Double.random(in: -noiseLStar...noiseLStar, using: &random)
            let (r, g, b) = LabToSRGB.convert(l: l, a: baseA, b: baseB)
            return RGB(r, g, b)
        }
    }
}
