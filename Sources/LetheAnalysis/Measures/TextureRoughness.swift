import Foundation
import LetheAPI
import LetheMemory

/// Skin texture as roughness: L* band-passed to the scale of skin relief (furrows, fine lines,
/// enlarged pores: 0.5–2 mm) by a difference of two normalised convolutions over the skin
/// (Knutsson & Westin 1993, so eyes, brows, hair and background leave no edge), σ 0.25 mm (three
/// box passes) minus σ 1 mm (a Gaussian on 2 × 2 or larger block sums, `PlaneFilters
/// .BlockedConvolution`: smooth at that scale). The finer one removes pixel noise, the coarser
/// one shading and the face's shape. Roughness is the band's standard deviation over a region's skin, as surface
/// roughness from images is read as the spread of a band-passed height or intensity (e.g. the
/// Visioscan's SEr "skin roughness", Tronnier et al. 1999, Skin Res Technol 5:39).
enum TextureRoughness {
    static let fineSigmaMillimetres = 0.25, coarseSigmaMillimetres = 1.0
    /// The finest three-pass box (radius 1) has σ 1.41 px: the fine scale needs σ ≥ 1 working
    /// pixel, i.e. ≤ 0.25 mm per working pixel.
    static let minimumFineSigmaPixels = 1.0
    /// Close-ups without a scale: the detector's nominal 0.2 mm per input pixel.
    static let nominalMillimetresPerPixel = 0.2

    static func workingMillimetres(_ workingMillimetres: Double?, factor: Double) -> Double {
        workingMillimetres ?? nominalMillimetresPerPixel * factor
    }

    static func measurable(workingMillimetres: Double) -> Bool { fineSigmaMillimetres / workingMillimetres >= minimumFineSigmaPixels }

    /// The coarsest input scale at which texture is measured at working factor `factor`.
    static func requiredMillimetresPerPixel(factor: Double) -> Double { fineSigmaMillimetres / minimumFineSigmaPixels / factor }

    /// The three-pass box radius whose σ = √(r(r+1)) is nearest `sigma`.
    static func radius(sigma: Double) -> Int { max(1, Int(((1 + 4 * sigma * sigma).squareRoot() - 1) / 2 + 0.5)) }

    /// The band-passed L* (NaN where no skin is near), an `.intermediate` buffer the caller
    /// releases; nil when the working pixels are too coarse. Three planes (one holds the coarse
    /// scale's blocks) and the box filter's rows while it runs.
    static func bandPass(_ work: WorkingImage, workingMillimetres: Double, arena: PlaintextArena) throws(LetheError) -> Plane<Float>? {
        guard measurable(workingMillimetres: workingMillimetres) else { return nil }
        let count = work.pixelCount
        let fine = radius(sigma: fineSigmaMillimetres / workingMillimetres)
        let coarseSigma = coarseSigmaMillimetres / workingMillimetres
        let planes = try work.allocateFloatPlanes(3, what: "a texture plane", arena: arena)
        let scratch: Plane<Float>
        do { scratch = try work.allocateBoxFilterRows(radius: fine, what: "the texture band's box filter rows", arena: arena) } catch {
            planes.release(to: arena)
            throw error
        }
        defer { scratch.release(to: arena) }
        let band = planes[0].pixels, weights = planes[2].pixels, rows = scratch.pixels
        let lStar = work.lStar, skin = work.skin.pixels
        @inline(__always) func weight(_ i: Int) -> Float { Float(skin[i] & WorkingImage.skinBit) }
        // The coarse scale on blocks carved from its plane, read back at the subtraction.
        let coarse = PlaneFilters.BlockedConvolution(
            grid: PlaneFilters.BlockedConvolution.grid(sigma: coarseSigma, width: work.width, height: work.height, lendable: count),
            memory: planes[1].pixels)
        coarse.accumulate { i in (lStar[i] * weight(i), weight(i)) }
        coarse.filter(sigma: coarseSigma)
        // The fine scale on the pixels.
        for i in 0..<count {
            band[i] = lStar[i] * weight(i)
            weights[i] = weight(i)
        }
        PlaneFilters.boxBlur(band, scratch: rows, width: work.width, height: work.height, radius: fine, passes: 3)
        PlaneFilters.boxBlur(weights, scratch: rows, width: work.width, height: work.height, radius: fine, passes: 3)
        let minimumCoarseWeight = LineDetector.minimumWeight * Float(coarse.grid.step * coarse.grid.step)
        coarse.readBack { i, sum, coarseWeight in
            band[i] = weights[i] >= LineDetector.minimumWeight && coarseWeight >= minimumCoarseWeight
                ? band[i] / weights[i] - sum / coarseWeight : .nan
        }
        planes[1...].release(to: arena)
        return planes[0]
    }

    /// The band's standard deviation over a region's skin pixels (`zone` 0: every skin pixel of
    /// `rect`), highlights (L* ≥ the local background + `specularMarginLStar`) left out: shine is not relief.
    static func roughness(
        band: Plane<Float>, work: WorkingImage, rect: PixelRect, zone: UInt8, background: Plane<Float>, specularMarginLStar: Float
    ) -> Double {
        var spread = RunningVariance()
        let values = band.pixels, local = background.pixels, lStar = work.lStar, skin = work.skin.pixels, zones = work.zones?.pixels
        for y in rect.y..<(rect.y + rect.height) {
            for x in rect.x..<(rect.x + rect.width) {
                let i = y * work.width + x
                guard skin[i] & WorkingImage.skinBit != 0, zone == 0 || zones?[i] == zone, !values[i].isNaN,
                    lStar[i] < local[i] + specularMarginLStar else { continue }
                spread.add(Double(values[i]))
            }
        }
        return spread.standardDeviation
    }
}
