import LetheMemory

/// Local contrast of L* against the surrounding skin: a background L* by normalised convolution
/// (Knutsson & Westin 1993, CVPR: blur(L·w) / blur(w)), where w is 1 on skin pixels that are not
/// themselves unusually dark or bright, so spots, pores, hairs, flakes and non-skin pixels do not
/// pull the background towards themselves. `contrast = L*(smoothed) − background`: negative
/// for dark marks, positive for bright ones.
///
/// The background is smooth at the scale of the largest mark (a spot's 12 mm is ≈ 100 working
/// pixels in a face's canonical frame), so its Gaussian runs on d × d block sums of L·w and w
/// (`PlaneFilters.BlockedConvolution`, d = ¼ of σ, at least 2), and each pixel reads the two
/// filtered sums interpolated back, as the evenness band does: two passes over the pixels per round instead of
/// twelve box passes over them (measured on the benchmark photo: 62 → 25 ms for the marks' and
/// the papules' backgrounds together).
///
/// Planes (`.intermediate` arena buffers): smoothed L* and background L* (the block sums and the
/// box filter's rows only while the contrast is computed).
struct LocalContrast {
    let width: Int, height: Int
    /// L* after a 3×3 box (pixel noise suppressed). Free once the marks are found: the skin
    /// measures then write the evenness band into it, and once the regions have read that, the
    /// ridge-smoothed L* (`SkinConcernMeasurer`).
    let smoothed: Plane<Float>
    /// Background L*.
    let background: Plane<Float>

    func release(_ arena: PlaintextArena) {
        [smoothed, background].release(to: arena)
    }

    /// - Parameters:
    ///   - radius: the background's scale: a Gaussian of σ = √(r(r + 1)), the σ of three passes of
    ///     a box of radius r; larger than the largest mark.
    ///   - excludeAbove: |L* − first background| at which a pixel is left out of the second one.
    ///   - useSkinMask: weight only skin pixels (faces, skin); scalp images weight every pixel.
    ///   - plane: the working plane compared, 0 = L* (marks, hairs, flakes), 1 = a* (red papules).
    static func compute(
        _ work: WorkingImage, radius: Int, excludeAbove: Float, useSkinMask: Bool, plane: Int = 0, arena: PlaintextArena
    ) throws(LetheError) -> LocalContrast {
        let planes = try work.allocateFloatPlanes(2, what: "a contrast plane", arena: arena)
        let result = LocalContrast(width: work.width, height: work.height, smoothed: planes[0], background: planes[1])
        let grid = blockGrid(width: work.width, height: work.height, radius: radius)
        let rows: Plane<Float>, sums: Plane<Float>
        do throws(LetheError) {
            rows = try work.allocateBoxFilterRows(radius: 1, what: "the contrast's box filter rows", arena: arena)
            do { sums = try Plane(width: PlaneFilters.BlockedConvolution.floats(for: grid), height: 1, what: "the contrast's block sums", arena: arena) } catch {
                rows.release(to: arena)
                throw error
            }
        } catch {
            result.release(arena)
            throw error
        }
        defer { [rows, sums].release(to: arena) }
        let smoothed = result.smoothed.pixels
        if plane == 0 {
            _ = smoothed.update(fromContentsOf: work.lStar)
        } else {
            let aStar = work.colour.aStar
            for i in smoothed.indices { smoothed[i] = aStar[i] }
        }
        run(
            skin: UnsafeBufferPointer(work.skin.pixels), smoothed: smoothed, background: result.background.pixels,
            blocked: PlaneFilters.BlockedConvolution(grid: grid, memory: sums.pixels), scratch: rows.pixels,
            width: work.width, height: work.height, radius: radius, excludeAbove: excludeAbove, useSkinMask: useSkinMask)
        return result
    }

    /// The blocks the background's Gaussian runs on: a quarter of its σ, at least 2 (as many
    /// floats as a plane lends at most).
    static func blockGrid(width: Int, height: Int, radius: Int) -> PlaneFilters.BlockGrid {
        PlaneFilters.BlockedConvolution.grid(sigma: LineDetector.sigma(radius: radius), width: width, height: height, lendable: width * height)
    }

    private static func run(
        skin: UnsafeBufferPointer<UInt8>, smoothed: UnsafeMutableBufferPointer<Float>, background: UnsafeMutableBufferPointer<Float>,
        blocked: PlaneFilters.BlockedConvolution, scratch: UnsafeMutableBufferPointer<Float>,
        width: Int, height: Int, radius: Int, excludeAbove: Float, useSkinMask: Bool
    ) {
        PlaneFilters.boxBlur(smoothed, scratch: scratch, width: width, height: height, radius: 1, passes: 1)
        let sigma = LineDetector.sigma(radius: radius)
        let minimumWeight = 0.02 * Float(blocked.grid.step * blocked.grid.step)
        // A pixel's weight, 1 on skin (on every pixel without the mask) and 0 elsewhere, without a
        // branch at every pixel: the mask's bit, set for every pixel when the mask is not used.
        let unmasked: UInt8 = useSkinMask ? 0 : WorkingImage.skinBit
        @inline(__always) func skinWeight(_ i: Int) -> Float { Float((skin[i] | unmasked) & WorkingImage.skinBit) }
        // Two rounds: the first background from all (skin) pixels, the second without outliers;
        // a loop for each, so that the round is not tested at every pixel.
        for round in 0..<2 {
            if round == 0 {
                blocked.accumulate { i in
                    let weight = skinWeight(i)
                    return (smoothed[i] * weight, weight)
                }
            } else {
                blocked.accumulate { i in
                    let weight = abs(smoothed[i] - background[i]) >= excludeAbove ? 0 : skinWeight(i)
                    return (smoothed[i] * weight, weight)
                }
            }
            blocked.filter(sigma: sigma)
            blocked.readBack { i, sum, weight in background[i] = weight > minimumWeight ? sum / weight : smoothed[i] }
        }
    }
}
