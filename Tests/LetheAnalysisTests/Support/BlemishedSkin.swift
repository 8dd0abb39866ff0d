import Foundation
import LetheImaging
import LetheMemory
import LetheTestSupport

/// A skin close-up at a known scale with red papules (inflamed acne lesions) of known number,
/// diameter and redness, and things that are not papules: red dots under 1 mm, a thin red streak
/// (a telangiectasia), a broad diffuse red patch and a brown spot — deterministic from the seed,
/// under a soft illumination gradient with per-pixel noise.
struct BlemishedSkin {
    /// A round red mark: flat top, raised-cosine edge 0.3 mm wide centred on the radius.
    struct Papule { var x, y, diameterMillimetres, aStarRise: Double }
    /// A red streak from (x0, y0) to (x1, y1).
    struct Streak { var x0, y0, x1, y1, widthMillimetres, aStarRise: Double }
    let size: Int
    let millimetresPerPixel: Double
    var baseL = 62.0, baseA = 12.0, baseB = 16.0
    var shadingLStar = 6.0
    var noiseLStar = 1.5, noiseAStar = 1.0
    /// Papules also darken a little (ΔL*) and yellow (Δb*) per unit of a* rise.
    var papuleLStarPerAStar = -0.3
    var papules: [Papule] = []
    /// Marks that must not count: dots under 1 mm, a broad patch, a streak, a brown spot.
    var redDots: [Papule] = []
    var redPatches: [Papule] = []
    var streaks: [Streak] = []
    var brownSpots: [Papule] = []

    init(seed: UInt64, papuleCount: Int, size: Int = 400, millimetresPerPixel: Double = 0.1) {
        var random = SeededGenerator(seed: seed)
        self.size = size
        self.millimetresPerPixel = millimetresPerPixel
        let mm = 1 / millimetresPerPixel
        let margin = 8 * mm
        var occupied: [(x: Double, y: Double, radius: Double)] = []
        func place(radius: Double) -> (Double, Double)? {
            for _ in 0..<2000 {
                let x = Double.random(in: margin...(Double(size) - margin), using: &random)
                let y = Double.random(in: margin...(Double(size) - margin), using: &random)
                // 3 mm of clear skin between any two marks.
                if occupied.allSatisfy({ hypot($0.x - x, $0.y - y) >= $0.radius + radius + 3 * mm }) {
                    occupied.append((x, y, radius))
                    return (x, y)
                }
            }
            return nil
        }
        if let (x, y) = place(radius: 4.5 * mm) { redPatches.append(Papule(x: x, y: y, diameterMillimetres: 9, aStarRise: 8)) }
        if let (x, y) = place(radius: 4 * mm) { streaks.append(Streak(x0: x - 4 * mm, y0: y - 0.5 * mm, x1: x + 4 * mm, y1: y + 0.5 * mm, widthMillimetres: 0.5, aStarRise: 10)) }
        if let (x, y) = place(radius: 1.5 * mm) { brownSpots.append(Papule(x: x, y: y, diameterMillimetres: 3, aStarRise: 1)) }
        for _ in 0..<2 {
            if let (x, y) = place(radius: 0.3 * mm) { redDots.append(Papule(x: x, y: y, diameterMillimetres: 0.5, aStarRise: 10)) }
        }
        while papules.count < papuleCount {
            let diameter = Double.random(in: 1.2...4.5, using: &random)
            guard let (x, y) = place(radius: diameter / 2 * mm) else { break }
            papules.append(Papule(x: x, y: y, diameterMillimetres: diameter, aStarRise: Double.random(in: 8...14, using: &random)))
        }
    }

    /// 1 inside the disc, 0 outside, a raised cosine over the 0.3 mm edge centred on the radius.
    func cover(_ px: Double, _ py: Double, _ mark: Papule) -> Double {
        let radius = mark.diameterMillimetres / 2 / millimetresPerPixel, edge = 0.15 / millimetresPerPixel
        let d = hypot(px - mark.x, py - mark.y)
        if d <= radius - edge { return 1 }
        if d >= radius + edge { return 0 }
        return 0.5 * (1 + cos(.pi * (d - (radius - edge)) / (2 * edge)))
    }

    func render(arena: PlaintextArena) throws -> DecodedImage {
        var random = SeededGenerator(seed: UInt64(size) &* 104_729 &+ UInt64(papules.count))
        return try SyntheticImages.make(width: size, height: size, arena: arena) { x, y in
            let px = Double(x) + 0.5, py = Double(y) + 0.5
            var l = baseL + shadingLStar * (px / Double(size) - 0.5) + 0.5 * shadingLStar * (py / Double(size) - 0.5)
            var a = baseA, b = baseB
            for mark in papules + redDots + redPatches {
                let c = cover(px, py, mark)
                guard c > 0 else { continue }
                a += c * mark.aStarRise
                l += c * papuleLStarPerAStar * mark.aStarRise
            }
            for spot in brownSpots {
                let c = cover(px, py, spot)
                l -= 15 * c; a += spot.aStarRise * c; b += 6 * c
            }
            for streak in streaks {
                let vx = streak.x1 - streak.x0, vy = streak.y1 - streak.y0, length = hypot(vx, vy)
                let t = min(length, max(0, ((px - streak.x0) * vx + (py - streak.y0) * vy) / length))
                let d = hypot(px - (streak.x0 + t * vx / length), py - (streak.y0 + t * vy / length))
                let s = streak.widthMillimetres / millimetresPerPixel / 2.3548
                a += streak.aStarRise * exp(-d * d / (2 * s * s))
            }
            l += Double.random(in: -noiseLStar...noiseLStar, using: &random)
            a += Double.random(in: -noiseAStar...noiseAStar, using: &random)
            let (r, g, bb) = LabToSRGB.convert(l: l, a: a, b: b)
            return RGB(r, g, bb)
        }
    }
}
