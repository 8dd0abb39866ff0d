import LetheMemory

/// Local contrast of L* against the surrounding skin: a background L* by normalised convolution
/// (Knutsson & Westin 1993, CVPR: blur(L·w) / blur(w)), where w is 1 on skin pixels that are not
/// themselves unusually dark or bright, so spots, pores, hairs, flakes and non-skin pixels do not
/// pull the background towards themselves. `contrast = L*(smoothed) − background`: negative
/// for dark marks, positive for bright ones.
///
/// The background is smooth at the scale of the largest mark (a spot's 12 mm is ≈ 100 working
/// pixels in a face's canonical frame), so its Gaussian runs on d × d block sums of L·w and w
/// (`PlaneFilters.BlockGrid`, d = ¼ of σ, at least 2), and each pixel reads the two filtered sums
/// interpolated back, as the evenness band does: two passes over the pixels per round instead of
/// twelve box passes over them (measured on the benchmark photo: 62 → 17 ms for the marks' and
/// the papules' backgrounds together).
///
/// Planes (`.intermediate` arena buffers): smoothed L*, background L*, the fine structure the
/// analysis measures next, and the box filter's scratch.
struct LocalContrast {
    let width: Int, height: Int
    /// L* after a 3×3 box (pixel noise suppressed). Free once the marks are found: the skin
    /// measures then write the evenness band into it (`SkinConcernMeasurer`).
    let smoothed: SecureBuffer
    /// Background L*.
    let background: SecureBuffer
    /// Per-pixel fine structure, filled by the analysis once the contrast is computed: L*
    /// smoothed at ridge scale (skin and face, for lines: `SkinConcernMeasurer.smoothForRidges`)
    /// or the shortest chord through each hair pixel (scalp, for shaft widths). While the
    /// contrast is computed it holds the normalised convolution's numerator.
    let structure: SecureBuffer
    /// Rows of a box filter in progress (`PlaneFilters.boxBlur`'s scratch); holds nothing after.
    let boxFilterScratch: SecureBuffer

    func release(_ arena: PlaintextArena) {
        for buffer in [smoothed, background, structure, boxFilterScratch] { arena.release(buffer) }
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
        let count = work.pixelCount
        let buffers = try work.allocateFloatPlanes(4, what: "a contrast plane", arena: arena)
        let result = LocalContrast(
            width: work.width, height: work.height, smoothed: buffers[0], background: buffers[1], structure: buffers[2], boxFilterScratch: buffers[3])
        work.planes.withUnsafeBytes { planeBytes in
            work.skin.withUnsafeBytes { skinBytes in
                result.smoothed.withUnsafeMutableBytes { s in
                    result.background.withUnsafeMutableBytes { bg in
                        result.structure.withUnsafeMutableBytes { a in
                            result.boxFilterScratch.withUnsafeMutableBytes { b in
                                let values = planeBytes.bindMemory(to: Float.self)
                                run(
                                    lStar: UnsafeBufferPointer(rebasing: values[(plane * count)..<((plane + 1) * count)]), skin: skinBytes.bindMemory(to: UInt8.self),
                                    smoothed: s.bindMemory(to: Float.self), background: bg.bindMemory(to: Float.self),
                                    numerator: a.bindMemory(to: Float.self), scratch: b.bindMemory(to: Float.self),
                                    width: work.width, height: work.height, radius: radius, excludeAbove: excludeAbove, useSkinMask: useSkinMask)
                            }
                        }
                    }
                }
            }
        }
        return result
    }

    private static func run(
        lStar: UnsafeBufferPointer<Float>, skin: UnsafeBufferPointer<UInt8>,
        smoothed: UnsafeMutableBufferPointer<Float>, background: UnsafeMutableBufferPointer<Float>,
        numerator: UnsafeMutableBufferPointer<Float>, scratch: UnsafeMutableBufferPointer<Float>,
        width: Int, height: Int, radius: Int, excludeAbove: Float, useSkinMask: Bool
    ) {
        let count = width * height
        for i in 0..<count { smoothed[i] = lStar[i] }
        PlaneFilters.boxBlur(smoothed, scratch: scratch, width: width, height: height, radius: 1, passes: 1)
        let sigma = LineDetector.sigma(radius: radius)
        let grid = blockGrid(sigma: sigma, width: width, height: height)
        let (d, columns, samples) = (grid.step, grid.columns, grid.count)
        // Carved from the numerator's plane: the block sums of L·w and of w, the filter's scratch,
        // and one row of each interpolated between block rows (plus a copy of its last column).
        var carved = 0
        func carve(_ floats: Int) -> UnsafeMutableBufferPointer<Float> {
            defer { carved += floats }
            return UnsafeMutableBufferPointer(rebasing: numerator[carved..<(carved + floats)])
        }
        let (sums, weights, blockScratch) = (carve(samples), carve(samples), carve(samples))
        let (rowSums, rowWeights) = (carve(columns + 1), carve(columns + 1))
        let blockSigma = PlaneFilters.blockSigma(sigma, step: d, interpolatedBack: true)
        // Each pixel column's block column to its left and the weight of the next (positions only).
        let around = (0..<width).map { grid.columnAround(x: $0) }
        let lefts = around.map(\.left), fractions = around.map(\.fraction)
        // The weight of block sums interpolated back is d² times the pixels' mean weight.
        let minimumWeight = 0.02 * Float(d * d)
        // Two rounds: the first background from all (skin) pixels, the second without outliers.
        for round in 0..<2 {
            for s in 0..<samples { sums[s] = 0; weights[s] = 0 }
            for y in 0..<height {
                let blockRow = (y / d) * columns
                var x = 0, column = 0
                while x < width {
                    var sum: Float = 0, weightSum: Float = 0
                    for i in (y * width + x)..<(y * width + min(x + d, width)) {
                        var weight: Float = useSkinMask ? Float(skin[i] & WorkingImage.skinBit) : 1
                        if round == 1, abs(smoothed[i] - background[i]) >= excludeAbove { weight = 0 }
                        sum += smoothed[i] * weight
                        weightSum += weight
                    }
                    sums[blockRow + column] += sum
                    weights[blockRow + column] += weightSum
                    x += d
                    column += 1
                }
            }
            for plane in [sums, weights] {
                PlaneFilters.extendedBox(plane, sigma: blockSigma, scratch: blockScratch, width: columns, height: grid.rows)
            }
            // Read back bilinearly between block centres (as `BlockGrid.corners`): each pixel row
            // from its two block rows, then along the row between its two block columns.
            for y in 0..<height {
                let (upper, lower, fy) = grid.rowsAround(y: y)
                for c in 0..<columns {
                    rowSums[c] = sums[upper * columns + c] * (1 - fy) + sums[lower * columns + c] * fy
                    rowWeights[c] = weights[upper * columns + c] * (1 - fy) + weights[lower * columns + c] * fy
                }
                rowSums[columns] = rowSums[columns - 1]
                rowWeights[columns] = rowWeights[columns - 1]
                for x in 0..<width {
                    let (left, fx) = (lefts[x], fractions[x])
                    let i = y * width + x
                    let weight = rowWeights[left] * (1 - fx) + rowWeights[left + 1] * fx
                    background[i] = weight > minimumWeight ? (rowSums[left] * (1 - fx) + rowSums[left + 1] * fx) / weight : smoothed[i]
                }
            }
        }
    }

    /// The blocks the background's Gaussian runs on: ¼ of σ (`PlaneFilters.blockStep`), at least 2,
    /// and what `run` carves from the numerator's plane (three planes of blocks and two rows) within it.
    static func blockGrid(sigma: Double, width: Int, height: Int) -> PlaneFilters.BlockGrid {
        func carved(_ grid: PlaneFilters.BlockGrid) -> Int { 3 * grid.count + 2 * (grid.columns + 1) }
        var step = max(2, PlaneFilters.blockStep(sigma: sigma))
        while carved(PlaneFilters.BlockGrid(step: step, width: width, height: height)) > width * height, step < max(width, height) { step += 1 }
        let grid = PlaneFilters.BlockGrid(step: step, width: width, height: height)
        precondition(carved(grid) <= width * height, "a contrast plane too small for its blocks")
        return grid
    }
}
