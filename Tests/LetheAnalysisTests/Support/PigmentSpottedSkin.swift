import Foundation
import LetheImaging
import LetheMemory
import LetheTestSupport

/// A skin close-up at 0.1 mm/px with round spots of known pigment: brown ones (a melanin optical
/// density added) and red ones (an oxyhaemoglobin density added), in `PigmentedSkin`'s
/// Beer–Lambert model (Tsumura, Haneishi & Miyake 1999), under a soft shading with per-pixel noise
/// of ±1 code — deterministic from the seed, spots ≥ 3 mm apart.
struct PigmentSpottedSkin {
    struct Spot { var x, y, radiusPixels: Double; var melanin, haemoglobin: Double }
    let size: Int
    var spots: [Spot] = []
    var brownCount: Int { spots.filter { $0.melanin > 0 }.count }
    var redCount: Int { spots.filter { $0.haemoglobin > 0 }.count }

    /// - Parameter radiusPixels: the spots' radii (default 10–30 px: 2–6 mm across at 0.1 mm/px).
    init(seed: UInt64, brown: Int, red: Int, size: Int = 400, radiusPixels: ClosedRange<Double> = 10...30) {
        var random = SeededGenerator(seed: seed)
        self.size = size
        var wanted = Array(repeating: true, count: brown) + Array(repeating: false, count: red)
        var attempts = 0
        while !wanted.isEmpty, attempts < 5000 {
            attempts += 1
            let radius = Double.random(in: radiusPixels, using: &random)
            let x = Double.random(in: 40...(Double(size) - 40), using: &random), y = Double.random(in: 40...(Double(size) - 40), using: &random)
            guard spots.allSatisfy({ hypot($0.x - x, $0.y - y) >= $0.radiusPixels + radius + 30 }) else { continue }
            let isBrown = wanted.removeLast()
            spots.append(Spot(
                x: x, y: y, radiusPixels: radius,
                melanin: isBrown ? Double.random(in: 0.12...0.3, using: &random) : 0,
                haemoglobin: isBrown ? 0 : Double.random(in: 0.2...0.4, using: &random)))
        }
    }

    /// - Parameter magnification: the same skin photographed with this many pixels per pixel of
    ///   the nominal 0.1 mm/px (0.8: 0.125 mm/px, a `size`·0.8-pixel square); each pixel integrates
    ///   the spots it covers, as a sensor does.
    func render(arena: PlaintextArena, magnification: Double = 1) throws -> DecodedImage {
        var random = SeededGenerator(seed: UInt64(size) &* 31 &+ UInt64(spots.count))
        let base = (PigmentedSkin.linear(PigmentedSkin.base.red), PigmentedSkin.linear(PigmentedSkin.base.green), PigmentedSkin.linear(PigmentedSkin.base.blue))
        let side = Int((Double(size) * magnification).rounded())
        return try SyntheticImages.make(width: side, height: side, arena: arena) { x, y in
            let px = (Double(x) + 0.5) / magnification, py = (Double(y) + 0.5) / magnification
            var m = 0.0, h = 0.0
            for spot in spots {
                // Coverage of this pixel in the magnified grid: distances in its own pixels.
                let cover = discCoverage(distance: hypot(px - spot.x, py - spot.y) * magnification, radius: spot.radiusPixels * magnification)
                m += cover * spot.melanin
                h += cover * spot.haemoglobin
            }
            let shading = 1 - 0.15 * px / Double(size)
            func channel(_ reflectance: Double, _ melanin: Double, _ haemoglobin: Double) -> UInt8 {
                let code = Int(PigmentedSkin.encode(reflectance * shading * pow(10, -(m * melanin + h * haemoglobin)))) + Int.random(in: -1...1, using: &random)
                return UInt8(min(255, max(0, code)))
            }
            return RGB(
                channel(base.0, PigmentedSkin.melanin.red, PigmentedSkin.haemoglobin.red),
                channel(base.1, PigmentedSkin.melanin.green, PigmentedSkin.haemoglobin.green),
                channel(base.2, PigmentedSkin.melanin.blue, PigmentedSkin.haemoglobin.blue))
        }
    }
}
