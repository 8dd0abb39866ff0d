import Foundation
import LetheImaging
import LetheMemory
import LetheTestSupport

/// A sharp but smooth skin close-up (deterministic from the seed): an even skin colour under a
/// soft illumination gradient, the skin's microrelief as a network of fine furrows (lines
/// 1–2 px wide along two main directions, as in the rhomboid pattern of the skin surface), a few
/// pores, and faint sensor noise. `contrastLStar` is the depth of the furrows in ΔL*: at 1–3 the
/// image is as smooth as young cheek skin, yet every edge is sharp.
struct SmoothCloseUp {
    struct Line { var x0, y0, x1, y1, widthPixels: Double }
    let size: Int
    let contrastLStar: Double
    var baseL: Double, baseA: Double, baseB: Double
    var shadingLStar: Double
    var furrows: [Line] = []
    var pores: [(x: Double, y: Double, radius: Double)] = []

    init(seed: UInt64, contrastLStar: Double, size: Int = 256) {
        var random = SeededGenerator(seed: seed)
        self.size = size
        self.contrastLStar = contrastLStar
        baseL = Double.random(in: 55...70, using: &random)
        baseA = Double.random(in: 10...15, using: &random)
        baseB = Double.random(in: 14...20, using: &random)
        shadingLStar = Double.random(in: 4...10, using: &random)
        let extent = Double(size)
        for family in 0..<2 {
            let angle = (family == 0 ? 0.6 : 2.3) + Double.random(in: -0.2...0.2, using: &random)
            let (dx, dy) = (cos(angle), sin(angle))
            var offset = -extent
            while offset < extent {
                offset += Double.random(in: 10...22, using: &random)
                // A line through the centre shifted by `offset` along the normal, long enough to cross the image.
                let cx = extent / 2 - dy * offset, cy = extent / 2 + dx * offset
                furrows.append(Line(x0: cx - dx * extent, y0: cy - dy * extent, x1: cx + dx * extent, y1: cy + dy * extent,
                                    widthPixels: Double.random(in: 1...2, using: &random)))
            }
        }
        for _ in 0..<Int.random(in: 8...20, using: &random) {
            pores.append((Double.random(in: 4...(extent - 4), using: &random), Double.random(in: 4...(extent - 4), using: &random),
                          Double.random(in: 1...1.8, using: &random)))
        }
    }

    func render(seed: UInt64, arena: PlaintextArena) throws -> DecodedImage {
        var random = SeededGenerator(seed: seed ^ 0x3C3C)
        return try SyntheticImages.make(width: size, height: size, arena: arena) { x, y in
            let px = Double(x) + 0.5, py = Double(y) + 0.5
            var depth = 0.0
            for line in furrows {
                let dx = line.x1 - line.x0, dy = line.y1 - line.y0
                let distance = abs((px - line.x0) * dy - (py - line.y0) * dx) / hypot(dx, dy)
                depth = max(depth, discCoverage(distance: distance, radius: line.widthPixels / 2))
            }
            for pore in pores {
                depth = max(depth, discCoverage(distance: hypot(px - pore.x, py - pore.y), radius: pore.radius))
            }
            var l = baseL + shadingLStar * (px / Double(size) - 0.5) - contrastLStar * depth
            l += Double.random(in: -0.4...0.4, using: &random)
            let (r, g, b) = LabToSRGB.convert(l: l, a: baseA, b: baseB)
            return RGB(r, g, b)
        }
    }
}
