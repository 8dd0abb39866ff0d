import Foundation
import LetheAPI
import LetheImaging
import LetheMemory

/// Wrinkles as dark lines, found at the scale of their width: Frangi et al. 1998's vesselness
/// (MICCAI, LNCS 1496: eigenvalues of the Hessian, blob/line ratio and structure terms) on the
/// skin's L*, over a range of scales that matches line widths in millimetres, with Lindeberg's
/// σ² normalisation (1998, IJCV 30:117) so that one threshold holds at every scale. A ridge
/// found at a scale must have both flanks brighter than its centre and nearly alike (a step
/// edge — the side of the nose, the face against hair — has one flank at its own level);
/// centrelines by non-maximum suppression across the line, thinned; a line is a centreline
/// (gaps of a pixel bridged) of at least a minimum length. Only per-line sums are kept, never pixels
/// (except, for a simulation's mask, the centrelines in the caller's rendering buffer).
enum LineDetector {
    /// One line: its centreline length in working pixels, overall and per face-zone label.
    struct Line: Sendable {
        var pixelsByZone: [UInt8: Int] = [:]
        var sumX = 0.0, sumY = 0.0, sumXX = 0.0, sumYY = 0.0, sumXY = 0.0, pixelCount = 0
        /// The `VesselnessLevel` bits its pixels reach (every one the low threshold).
        var levels: UInt8 = 0

        /// The centreline's extent along its principal axis (the larger eigenvector of its pixels'
        /// position moments), from the first pixel's centre to the last's plus one: exact for a
        /// straight line, blind to the centreline's wiggles and to spurs and small forks (at the
        /// ends of wide lines), which a pixel count or a variance would add; a curved line reads as
        /// its chord (a quarter circle 10 % short). Set by `trace` once the line is complete.
        var lengthPixels = 0.0

        /// Unit vector of the principal axis of the pixels' positions.
        var principalAxis: (x: Double, y: Double) {
            let n = Double(max(1, pixelCount))
            let cxx = sumXX / n - centroidX * centroidX, cyy = sumYY / n - centroidY * centroidY
            let cxy = sumXY / n - centroidX * centroidY
            let angle = 0.5 * atan2(2 * cxy, cxx - cyy)
            return (cos(angle), sin(angle))
        }

        /// The line's length in one zone: its share of the centreline pixels.
        func lengthPixels(inZone zone: UInt8) -> Double {
            lengthPixels * Double(pixelsByZone[zone] ?? 0) / Double(max(1, pixelCount))
        }

        /// The zone holding most of the line's length (a line crossing a zone border is counted once).
        var zone: UInt8 { pixelsByZone.max { $0.value < $1.value || ($0.value == $1.value && $0.key > $1.key) }?.key ?? 0 }
        var centroidX: Double { sumX / Double(max(1, pixelCount)) }
        var centroidY: Double { sumY / Double(max(1, pixelCount)) }
    }

    /// σ of three passes of a box of radius r: each pass adds the box's variance r(r+1)/3.
    static func sigma(radius: Int) -> Double { (Double(radius * (radius + 1))).squareRoot() }

    /// A line whose profile is a Gaussian of full width at half depth w answers most strongly at
    /// σ = √2 · w / 2.355 ≈ 0.6 w (the σ²-normalised second derivative of the smoothed profile
    /// peaks where σ² = 2 s²), where the normalised response is 2 / (3√3) ≈ 0.385 × its depth.
    static let sigmaPerWidth = 2.0.squareRoot() / 2.3548
    static let responsePerDepth = 2 / (3 * 3.0.squareRoot())

    /// The narrowest line the pixels resolve, in working pixels: the finest scale is a three-pass
    /// box of radius 1 (σ √2 px), which answers most to a line σ / `sigmaPerWidth` ≈ 2.35 px wide;
    /// a narrower line is blurred into that scale, its depth diluted by its width, so whether it is
    /// found depends on where the pixel grid falls — and a line narrower than 2 px is below the
    /// sampling theorem's limit (Shannon 1949) anyway. The measure is the density of every line
    /// from the narrowest width looked for: if those are not resolved, the count is of whichever
    /// lines the capture's scale happens to show (measured: +60 % from ×0.8 to ×1.2 on a portrait
    /// at 0.7 mm/px, docs/analysis/repeatability.md), so the measure is not reported.
    static let finestResolvedWidthPixels = sigma(radius: 1) / sigmaPerWidth

    /// Whether the working pixels (`resolvedMillimetres` each; nil = no scale, widths in pixels,
    /// always measured) resolve the narrowest lines looked for.
    static func measurable(resolvedMillimetres: Double?, configuration: LineDetectionConfiguration) -> Bool {
        guard let resolvedMillimetres else { return true }
        return configuration.minimumWidthMillimetres / resolvedMillimetres >= finestResolvedWidthPixels * (1 - 1e-9)
    }

    /// The coarsest input scale (mm per input pixel) at which lines are measured at working `factor`
    /// (0.3 mm / 2.35 = 0.127 mm per working pixel).
    static func requiredMillimetresPerPixel(factor: Double, configuration: LineDetectionConfiguration) -> Double {
        configuration.minimumWidthMillimetres / finestResolvedWidthPixels / factor
    }

    /// The largest box radius (σ 16.5 working px, lines ≈ 27 px wide): at high magnification
    /// (a dermatoscope at 0.02 mm/px makes a 3 mm furrow 150 px wide) the scales stop here, so the
    /// cost stays at most eight scales; wider lines are missed.
    static let maximumRadius = 16

    /// The box radii (three passes) whose σ covers the configured widths, about √2 apart.
    static func radii(workingMillimetres: Double?, factor: Double, width: Int, height: Int, configuration: LineDetectionConfiguration) -> [Int] {
        let (narrow, wide) = workingMillimetres.map {
            (configuration.minimumWidthMillimetres / $0, configuration.maximumWidthMillimetres / $0)
        } ?? (configuration.minimumWidthPixels / factor, configuration.maximumWidthPixels / factor)
        let low = sigmaPerWidth * narrow, high = sigmaPerWidth * wide
        let largest = max(1, min(min(width, height) / 4, maximumRadius))
        var radii: [Int] = []
        for radius in 1...largest {
            let s = sigma(radius: radius)
            // The smallest radius stands for every narrower line (the pixels set the finest scale).
            guard s <= high * 1.15 || radius == 1 else { break }
            guard s * 1.15 >= low || radius == 1 else { continue }
            if let last = radii.last, s / sigma(radius: last) < 1.3 { continue }
            radii.append(radius)
        }
        return radii
    }

    /// The sizes in bytes of the buffers `detect` allocates on `work`: four float planes, the
    /// vesselness levels' and the normals' byte planes and the box filter's two rings of rows.
    static func bufferCounts(_ work: WorkingImage, workingMillimetres: Double?, configuration: LineDetectionConfiguration) -> [Int] {
        let radii = radii(workingMillimetres: workingMillimetres, factor: work.factor, width: work.width, height: work.height, configuration: configuration)
        let rows = PlaneFilters.boxBlurScratchCount(width: work.width, height: work.height, radius: radii.filter { step(radius: $0) == 1 }.max() ?? 1)
        return Array(repeating: work.pixelCount * MemoryLayout<Float>.stride, count: 4) + [work.pixelCount, work.pixelCount]
            + Array(repeating: rows * MemoryLayout<Float>.stride, count: 2)
    }

    /// What the trace reads of a pixel's vesselness: the thresholds it reaches, bits of one byte
    /// (a float plane's quarter). A centreline pixel reaches the low one; a line is kept when one
    /// of its pixels reaches the high one.
    enum VesselnessLevel {
        static let low: UInt8 = 1, high: UInt8 = 2

        static func bits(_ vesselness: Float, configuration: LineDetectionConfiguration) -> UInt8 {
            (vesselness >= Float(configuration.lowVesselness) ? low : 0) | (vesselness >= Float(configuration.highVesselness) ? high : 0)
        }
    }

    /// - Parameters:
    ///   - lStar: the working image's L* plane; `skin`: its skin mask (`WorkingImage.skinBit`).
    ///   - zones: faces' zone labels, or nil.
    /// - Returns: the lines, in working pixels.
    /// - Parameter centrelines: one byte per working pixel; when given, `centrelineBit` is set on
    ///   every centreline pixel of every line returned (the simulations' wrinkle mask).
    ///
    /// Four float planes of the working image's size, byte planes of the vesselness levels and the
    /// normals' angles, and the box filter's two rings of rows (the scales on the pixels are small:
    /// a few dozen rows); the coarse scales' block planes are carved from the smoothing planes
    /// (`respondOnBlocks`).
    static func detect(
        _ work: WorkingImage, workingMillimetres: Double?, configuration: LineDetectionConfiguration,
        centrelines: Plane<UInt8>? = nil, centrelineBit: UInt8 = 1, arena: PlaintextArena
    ) throws(LetheError) -> [Line] {
        let radii = radii(workingMillimetres: workingMillimetres, factor: work.factor, width: work.width, height: work.height, configuration: configuration)
        let count = work.pixelCount
        let steps = Dictionary(grouping: radii, by: step(radius:))
        // The coarse scales run on one block step (`maximumStep`): their planes are carved from the smoothing planes (`respondOnBlocks`).
        precondition(steps.keys.filter { $0 > 1 }.count <= 1, "more than one block step")
        let floats = try work.allocateFloatPlanes(4, what: "a line detector plane", arena: arena)
        defer { floats.release(to: arena) }
        let levels = try Plane<UInt8>(width: work.width, height: work.height, what: "the line detector's vesselness levels", arena: arena)
        defer { levels.release(to: arena) }
        let normals = try Plane<UInt8>(width: work.width, height: work.height, what: "the line detector's normals", arena: arena)
        defer { normals.release(to: arena) }
        let rows = try work.allocateBoxFilterRows(radius: (steps[1] ?? []).max() ?? 1, what: "the line detector's box filter rows", arena: arena)
        defer { rows.release(to: arena) }
        let weightRows = try work.allocateBoxFilterRows(radius: (steps[1] ?? []).max() ?? 1, what: "the line detector's box filter rows", arena: arena)
        defer { weightRows.release(to: arena) }
        let minimumLength = workingMillimetres.map { configuration.minimumLengthMillimetres / $0 }
            ?? configuration.minimumLengthPixels / work.factor
        var planes = Planes(
            smoothed: floats[0].pixels, weights: floats[1].pixels, scratch: rows.pixels, weightScratch: weightRows.pixels,
            vesselness: levels.pixels, direction: normals.pixels, curvature: floats[3].pixels, fine: floats[2].pixels)
        let lStar = UnsafeBufferPointer(work.lStar), skin = UnsafeBufferPointer(work.skin.pixels)
        for i in 0..<count { planes.vesselness[i] = 0; planes.curvature[i] = 0 }
        smoothOverSkin(lStar: lStar, skin: skin, planes: &planes, width: work.width, height: work.height, radius: 1, passes: 1)
        for i in 0..<count { planes.fine[i] = planes.weights[i] >= minimumWeight ? planes.smoothed[i] : .nan }
        // The coarse scales smoothed on block means (`step`), the fine ones on the pixels. Each
        // pixel keeps the passing scale of the largest normalised curvature, whatever the order.
        for d in steps.keys.sorted(by: >) where d > 1 {
            respondOnBlocks(
                lStar: lStar, skin: skin, planes: planes, width: work.width, height: work.height, step: d,
                radii: steps[d] ?? [], configuration: configuration)
        }
        for radius in steps[1] ?? [] {
            respond(lStar: lStar, skin: skin, planes: &planes, width: work.width, height: work.height, radius: radius, configuration: configuration)
        }
        return trace(
            planes: planes, zones: work.zones.map { UnsafeBufferPointer($0.pixels) }, width: work.width, height: work.height,
            minimumLength: minimumLength, configuration: configuration, mark: centrelines?.pixels, markBit: centrelineBit)
    }

    struct Planes {
        /// L* by normalised convolution over the skin at the current scale.
        var smoothed: UnsafeMutableBufferPointer<Float>
        /// The blurred skin weights (the normalised convolution's denominator).
        var weights: UnsafeMutableBufferPointer<Float>
        /// The box filter's rings of rows (`PlaneFilters.boxBlurScratchCount`), not planes: one
        /// for `smoothed`, one for `weights`, so that the two blur side by side.
        var scratch: UnsafeMutableBufferPointer<Float>
        var weightScratch: UnsafeMutableBufferPointer<Float>
        /// The levels (`VesselnessLevel`) of the best vesselness over the scales so far, and the
        /// angle of the normal across the line there (`NormalAngle`).
        var vesselness: UnsafeMutableBufferPointer<UInt8>
        var direction: UnsafeMutableBufferPointer<UInt8>
        /// The σ²-normalised curvature across the line at that scale: peaked at the centre where the
        /// vesselness saturates (a deep line's is ≈ 1 over its whole width), so the centreline follows it.
        var curvature: UnsafeMutableBufferPointer<Float>
        /// L* over the skin at the finest scale (3×3, normalised), NaN off the skin: the flank test's
        /// plane, so that a line's response, which reaches σ beyond its ends, ends where the line does.
        var fine: UnsafeMutableBufferPointer<Float>
    }

    /// Working pixels per sample of a scale: a coarse scale is smoothed, tested and kept on 2 × 2
    /// block means (`respondOnBlocks`) while its σ spans at least the second scale's σ (√6 ≈ 2.45
    /// blocks), where central differences resolve it as they resolve that scale on the pixels: a
    /// quarter of the samples to smooth and test. At a face's canonical frame (σ 1.4 … 14.5 px)
    /// that is four of seven scales. Blocks of 4 split wide lines (the generated lines' test:
    /// 5 counted of 3, the simulation's mask covering 88 % of them), so the step stops at 2.
    static func step(radius: Int) -> Int {
        var d = 1
        while d < maximumStep, sigma(radius: radius) / Double(2 * d) >= sigma(radius: 2) { d *= 2 }
        return d
    }
    static let maximumStep = 2

    /// Bilinear interpolation of a plane at (x, y), clamped to the plane (NaN in, NaN out).
    @inline(__always)
    static func bilinear(_ plane: UnsafeMutableBufferPointer<Float>, _ x: Float, _ y: Float, width: Int, height: Int) -> Float {
        let cx = min(max(x, 0), Float(width - 1)), cy = min(max(y, 0), Float(height - 1))
        let x0 = min(Int(cx), width - 2), y0 = min(Int(cy), height - 2)
        let fx = cx - Float(x0), fy = cy - Float(y0)
        let i = y0 * width + x0
        let top = plane[i] * (1 - fx) + plane[i + 1] * fx
        let bottom = plane[i + width] * (1 - fx) + plane[i + width + 1] * fx
        return top * (1 - fy) + bottom * fy
    }

    /// Below this blurred skin weight a pixel has no skin around it: no smoothed value.
    static let minimumWeight: Float = 0.05

    /// Knutsson & Westin 1993's normalised convolution over the skin: blur(L*·w) / blur(w) into
    /// `smoothed`, blur(w) into `weights`.
    static func smoothOverSkin(
        lStar: UnsafeBufferPointer<Float>, skin: UnsafeBufferPointer<UInt8>, planes: inout Planes, width: Int, height: Int, radius: Int, passes: Int
    ) {
        let count = width * height
        for i in 0..<count {
            let weight = Float(skin[i] & WorkingImage.skinBit)
            planes.smoothed[i] = lStar[i] * weight
            planes.weights[i] = weight
        }
        // Two independent blurs: side by side when the request has a core free (`RequestThreads`;
        // at one device, once the skin measures beside the lines are done), the same bits either way.
        let (smoothed, weights, scratch, weightScratch) = (planes.smoothed, planes.weights, planes.scratch, planes.weightScratch)
        _ = RequestThreads.fork(
            { PlaneFilters.boxBlur(smoothed, scratch: scratch, width: width, height: height, radius: radius, passes: passes) },
            { PlaneFilters.boxBlur(weights, scratch: weightScratch, width: width, height: height, radius: radius, passes: passes) })
        PlaneFilters.normalise(smoothed, by: weights, atLeast: minimumWeight)
    }

    /// The scales of one `step` d on d × d block means: the skin's L* and weight summed per block
    /// once, then per scale smoothed by a Gaussian of the scale's σ (its σ in blocks reduced by the
    /// block's own variance, `PlaneFilters.blockSigma`) and normalised (Knutsson & Westin 1993),
    /// the σ²-normalised Hessian and `Scale.test` per block (at the block's centre in working
    /// pixels, the flanks on the working pixels' finest L*); the blocks' best responses are then
    /// merged into the working pixels: curvature and vesselness interpolated bilinearly between the
    /// block centres (a smooth ridge for the centreline's non-maximum suppression), the normal's
    /// angle from the strongest of the four blocks; a pixel keeps the larger curvature. A block is
    /// skin when at least half its pixels are. The working-resolution smoothing planes are free
    /// until the fine scales: the smoothed one holds three block planes of floats and the blocks'
    /// skin counts (bytes), the weights one the blocks' L* sums and the best responses (two
    /// planes of floats and the normals' bytes): (w + 1)(h + 1)/4 blocks, 3¼ planes of them fit
    /// in w·h floats for a working image of ≥ 20 × 20, the least that has a block step.
    private static func respondOnBlocks(
        lStar: UnsafeBufferPointer<Float>, skin: UnsafeBufferPointer<UInt8>, planes: Planes, width: Int, height: Int, step d: Int,
        radii: [Int], configuration: LineDetectionConfiguration
    ) {
        let grid = PlaneFilters.BlockGrid(step: d, width: width, height: height)
        let (columns, rows, n) = (grid.columns, grid.rows, grid.count)
        precondition(13 * n <= 4 * width * height, "a working image too small for blocks of \(d)")
        func carve(_ plane: UnsafeMutableBufferPointer<Float>, _ k: Int) -> UnsafeMutableBufferPointer<Float> {
            UnsafeMutableBufferPointer(rebasing: plane[(k * n)..<((k + 1) * n)])
        }
        let smoothed = carve(planes.smoothed, 0), weights = carve(planes.smoothed, 1), scratch = carve(planes.smoothed, 2)
        // The blocks' skin pixel counts (at most d² = 4), bit 7 set on a skin block: exact as bytes,
        // and the same floats as summing the 0/1 weights.
        // n bytes after the plane's first `floats` floats.
        func bytes(_ plane: UnsafeMutableBufferPointer<Float>, from floats: Int) -> UnsafeMutableBufferPointer<UInt8> {
            let start = floats * MemoryLayout<Float>.stride
            return UnsafeMutableRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(plane)[start..<(start + n)]).bindMemory(to: UInt8.self)
        }
        let skinCounts = bytes(planes.smoothed, from: 3 * n)
        let skinBlock: UInt8 = 0x80
        let best = Responses(
            vesselness: carve(planes.weights, 0), direction: bytes(planes.weights, from: 3 * n), curvature: carve(planes.weights, 1), keep: { $0 })
        let lightSums = carve(planes.weights, 2)
        for s in 0..<n { lightSums[s] = 0; skinCounts[s] = 0; best.vesselness[s] = 0; best.direction[s] = 0; best.curvature[s] = 0 }
        // Row by row, each row's pixels block by block: the same pixel order into each block's
        // sum as pixel by pixel, without a division per pixel to find its block.
        for y in 0..<height {
            let blockRow = (y / d) * columns, row = y * width
            for bx in 0..<columns {
                let block = blockRow + bx
                for i in (row + bx * d)..<(row + min(width, (bx + 1) * d)) {
                    let weight = skin[i] & WorkingImage.skinBit
                    lightSums[block] += lStar[i] * Float(weight)
                    skinCounts[block] += weight
                }
            }
        }
        for by in 0..<rows {
            for bx in 0..<columns {
                let pixels = min(d, height - by * d) * min(d, width - bx * d), s = by * columns + bx
                if 2 * Int(skinCounts[s]) >= pixels { skinCounts[s] |= skinBlock }
            }
        }
        let minimum = minimumWeight * Float(d * d), spacing = Float(d), offset = Float(d - 1) / 2
        for radius in radii {
            for s in 0..<n { smoothed[s] = lightSums[s]; weights[s] = Float(skinCounts[s] & ~skinBlock) }
            let sigmaBlocks = PlaneFilters.blockSigma(sigma(radius: radius), step: d, interpolatedBack: false)
            PlaneFilters.extendedBox(smoothed, sigma: sigmaBlocks, scratch: scratch, width: columns, height: rows)
            PlaneFilters.extendedBox(weights, sigma: sigmaBlocks, scratch: scratch, width: columns, height: rows)
            PlaneFilters.normalise(smoothed, by: weights, atLeast: minimum)
            let scale = Scale(radius: radius, configuration: configuration)
            // σ² × the second differences over d working pixels: the normalised Hessian.
            let normalisation = scale.sigma * scale.sigma / (spacing * spacing)
            for v in 0..<rows {
                let up = max(0, v - 1) * columns, row = v * columns, down = min(rows - 1, v + 1) * columns
                for u in 0..<columns {
                    let i = row + u
                    guard skinCounts[i] & skinBlock != 0 else { continue }
                    let left = max(0, u - 1), right = min(columns - 1, u + 1), centre = smoothed[i]
                    let x = Float(u) * spacing + offset, y = Float(v) * spacing + offset
                    scale.test(
                        dxx: (smoothed[row + left] + smoothed[row + right] - 2 * centre) * normalisation,
                        dyy: (smoothed[up + u] + smoothed[down + u] - 2 * centre) * normalisation,
                        dxy: (smoothed[down + right] - smoothed[down + left] - smoothed[up + right] + smoothed[up + left]) / 4 * normalisation,
                        x: x, y: y, own: bilinear(planes.fine, x, y, width: width, height: height), fine: planes.fine, width: width, height: height,
                        into: best, at: i)
                }
            }
        }
        let blockColumns = (0..<width).map { grid.columnAround(x: $0) }
        blockColumns.withUnsafeBufferPointer { blockColumns in
            for y in 0..<height {
                let blockRows = grid.rowsAround(y: y)
                for x in 0..<width {
                    let i = y * width + x
                    guard skin[i] & WorkingImage.skinBit != 0 else { continue }
                    let corners = grid.corners(rows: blockRows, column: blockColumns[x])
                    let curvature = grid.read(best.curvature, at: corners)
                    guard curvature > planes.curvature[i] else { continue }
                    var strongest = corners.topLeft
                    if best.curvature[corners.topRight] > best.curvature[strongest] { strongest = corners.topRight }
                    if best.curvature[corners.bottomLeft] > best.curvature[strongest] { strongest = corners.bottomLeft }
                    if best.curvature[corners.bottomRight] > best.curvature[strongest] { strongest = corners.bottomRight }
                    planes.curvature[i] = curvature
                    planes.vesselness[i] = VesselnessLevel.bits(grid.read(best.vesselness, at: corners), configuration: configuration)
                    planes.direction[i] = best.direction[strongest]
                }
            }
        }
    }

    /// The best response so far of every sample of a grid: vesselness, the normal's angle and the
    /// normalised curvature of the scale that won there. The vesselness as `keep` makes it: the
    /// value on blocks (interpolated into the pixels), its levels on the pixels.
    struct Responses<Vesselness> {
        let vesselness: UnsafeMutableBufferPointer<Vesselness>
        let direction: UnsafeMutableBufferPointer<UInt8>
        let curvature: UnsafeMutableBufferPointer<Float>
        let keep: (Float) -> Vesselness
    }

    /// One scale's constants and its test of a sample.
    struct Scale {
        /// σ in working pixels.
        let sigma: Float
        let beta: Float, c: Float, flank: Float, rise: Float, symmetry: Float

        init(radius: Int, configuration: LineDetectionConfiguration) {
            sigma = Float(LineDetector.sigma(radius: radius))
            beta = Float(configuration.frangiBeta)
            c = Float(configuration.frangiDepthLStar * responsePerDepth)
            flank = Float(configuration.flankDistanceSigmas) * sigma
            rise = Float(configuration.minimumFlankRiseLStar)
            symmetry = Float(configuration.flankSymmetry)
        }

        /// Frangi's vesselness of a dark line (λ2 > 0) from a sample's σ²-normalised Hessian, and
        /// the flank test on the finest L* (`fine`, NaN off the skin) around the sample's centre
        /// (x, y) in working pixels, against the finest L* there (`own`); sample `index` of `best`
        /// keeps the passing scale of the largest normalised curvature.
        @inline(__always)
        func test<Vesselness>(
            dxx: Float, dyy: Float, dxy: Float, x: Float, y: Float, own readOwn: @autoclosure () -> Float, fine: UnsafeMutableBufferPointer<Float>,
            width: Int, height: Int, into best: Responses<Vesselness>, at index: Int
        ) {
            let half = (dxx + dyy) / 2, spread = (((dxx - dyy) / 2) * ((dxx - dyy) / 2) + dxy * dxy).squareRoot()
            let major = half + spread, minor = half - spread
            // A dark line: strong positive curvature across it (L* rises on both sides).
            guard major > 0 else { return }
            // Scale selection by the largest normalised curvature (Lindeberg 1998), not by the
            // vesselness, which saturates for deep lines and would pick a scale at random.
            guard major > best.curvature[index] else { return }
            // Read only now: on blocks it is interpolated, for a sample most of which the two tests above discard.
            let own = readOwn()
            // The normal across the line: the major eigenvector, in closed form (no `atan2`,
            // `cos`, `sin` for the many pixels the flank test discards).
            let normal = majorEigenvector(dxx: dxx, dyy: dyy, dxy: dxy)
            let nx = normal.x * flank, ny = normal.y * flank
            @inline(__always) func sample(_ x: Float, _ y: Float) -> Float? {
                let value = bilinear(fine, x, y, width: width, height: height)
                return value.isNaN ? nil : value
            }
            // The flanks against the pixel's own (finest-scale) L*: beyond a line's end there is no
            // valley. A flank ahead that does not rise already fails the test below: no sample behind.
            guard let ahead = sample(x + nx, y + ny), ahead - own >= rise, let behind = sample(x - nx, y - ny) else { return }
            let riseAhead = ahead - own, riseBehind = behind - own
            let lower = min(riseAhead, riseBehind), higher = max(riseAhead, riseBehind)
            guard lower >= rise, lower >= symmetry * higher else { return }
            // Only for the pixels that keep this scale: computed before the tests above, the two
            // `exp` ran for every pixel curved the right way, most of which the tests discard.
            let ratio = minor / major, structure = major * major + minor * minor
            best.vesselness[index] = best.keep(exp(-ratio * ratio / (2 * beta * beta)) * (1 - exp(-structure / (2 * c * c))))
            best.direction[index] = NormalAngle.code(0.5 * atan2(2 * dxy, dxx - dyy))
            best.curvature[index] = major
        }
    }

    /// One scale on the working pixels: L* smoothed over the skin only (Knutsson & Westin 1993's
    /// normalised convolution, so eyes, brows, hair and background leave no edge), the
    /// σ²-normalised Hessian by central differences, `Scale.test`.
    private static func respond(
        lStar: UnsafeBufferPointer<Float>, skin: UnsafeBufferPointer<UInt8>, planes: inout Planes, width: Int, height: Int, radius: Int,
        configuration: LineDetectionConfiguration
    ) {
        smoothOverSkin(lStar: lStar, skin: skin, planes: &planes, width: width, height: height, radius: radius, passes: 3)
        let scale = Scale(radius: radius, configuration: configuration)
        let normalisation = scale.sigma * scale.sigma
        let (smoothed, fine) = (planes.smoothed, planes.fine)
        let responses = Responses(
            vesselness: planes.vesselness, direction: planes.direction, curvature: planes.curvature,
            keep: { VesselnessLevel.bits($0, configuration: configuration) })
        // Each pixel reads the smoothed and finest planes and writes only its own responses: the
        // two halves of the rows side by side when the request has a core free (`RequestThreads`;
        // at one device, once the skin measures beside the lines are done), the same bits either way.
        func rows(_ range: Range<Int>) {
            for y in range {
                let up = max(0, y - 1) * width, row = y * width, down = min(height - 1, y + 1) * width
                for x in 0..<width {
                    let i = row + x
                    guard skin[i] & WorkingImage.skinBit != 0 else { continue }
                    let left = max(0, x - 1), right = min(width - 1, x + 1)
                    let centre = smoothed[i]
                    let dxx = (smoothed[row + left] + smoothed[row + right] - 2 * centre) * normalisation
                    let dyy = (smoothed[up + x] + smoothed[down + x] - 2 * centre) * normalisation
                    let dxy = (smoothed[down + right] - smoothed[down + left] - smoothed[up + right] + smoothed[up + left]) / 4 * normalisation
                    scale.test(
                        dxx: dxx, dyy: dyy, dxy: dxy, x: Float(x), y: Float(y), own: fine[i], fine: fine, width: width, height: height,
                        into: responses, at: i)
                }
            }
        }
        _ = RequestThreads.fork({ rows(0..<(height / 2)) }, { rows((height / 2)..<height) })
    }

    /// Centrelines (non-maximum suppression of the curvature across the line, as Canny 1986
    /// does for edges), thinned, grouped into lines (pixels up to 2 apart); hysteresis by line: every pixel at the
    /// low threshold, one at the high one.
    private static func trace(
        planes: Planes, zones: UnsafeBufferPointer<UInt8>?, width: Int, height: Int, minimumLength: Double,
        configuration: LineDetectionConfiguration, mark: UnsafeMutableBufferPointer<UInt8>?, markBit: UInt8
    ) -> [Line] {
        let count = width * height
        let vesselness = planes.vesselness, direction = planes.direction, curvature = planes.curvature
        @inline(__always) func sample(_ x: Float, _ y: Float) -> Float { bilinear(curvature, x, y, width: width, height: height) }
        let unitVectors = NormalAngle.unitVectors
        // The smoothed and weight planes are free now: flags (bytes) and the flood fill's queue.
        let flags = UnsafeMutableRawBufferPointer(planes.weights).bindMemory(to: UInt8.self)
        let queue = UnsafeMutableRawBufferPointer(planes.smoothed).bindMemory(to: Int32.self)
        let centreline: UInt8 = 1, visited: UInt8 = 2
        // Each pixel reads the responses and writes only its own flag: the two halves of the rows
        // side by side when the request has a core free, the same bytes either way.
        func suppress(_ rows: Range<Int>) { unitVectors.withUnsafeBufferPointer { unitVectors in
            for y in rows {
                for x in 0..<width {
                    let i = y * width + x
                    flags[i] = 0
                    guard vesselness[i] & VesselnessLevel.low != 0 else { continue }
                    let v = curvature[i], normal = unitVectors[Int(direction[i])]
                    if v >= sample(Float(x) + normal.x, Float(y) + normal.y), v > sample(Float(x) - normal.x, Float(y) - normal.y) { flags[i] = centreline }
                }
            }
        } }
        _ = RequestThreads.fork({ suppress(0..<(height / 2)) }, { suppress((height / 2)..<height) })
        // The queue is free until the flood fill: the thinning's list of centreline pixels.
        thin(flags, bit: centreline, width: width, height: height, list: queue)
        var lines: [Line] = []
        // A line's pixels per zone label, counted in an array and handed to the line's dictionary
        // once it is complete, not a dictionary update per pixel; the labels it touched listed,
        // so that most lines, a few pixels in one zone, read no more.
        var zoneCounts = [Int](repeating: 0, count: 256), touchedZones: [Int] = []
        for start in 0..<count where flags[start] == centreline {
            var head = 0, tail = 0
            queue[tail] = Int32(start); tail += 1
            flags[start] |= visited
            var line = Line()
            while head < tail {
                let index = Int(queue[head]); head += 1
                let x = index % width, y = index / width
                let zone = Int(zones?[index] ?? 0)
                if zoneCounts[zone] == 0 { touchedZones.append(zone) }
                zoneCounts[zone] += 1
                let px = Double(x) + 0.5, py = Double(y) + 0.5
                line.sumX += px; line.sumY += py; line.sumXX += px * px; line.sumYY += py * py; line.sumXY += px * py
                line.pixelCount += 1
                line.levels |= vesselness[index]
                // Neighbours up to 2 pixels away: a one-pixel gap in a centreline does not split the line.
                for dy in -2...2 {
                    let ny = y + dy
                    guard ny >= 0, ny < height else { continue }
                    for dx in -2...2 {
                        let nx = x + dx
                        guard nx >= 0, nx < width else { continue }
                        let neighbour = ny * width + nx
                        guard flags[neighbour] == centreline else { continue }
                        flags[neighbour] |= visited
                        queue[tail] = Int32(neighbour); tail += 1
                    }
                }
            }
            for zone in touchedZones {
                line.pixelsByZone[UInt8(zone)] = zoneCounts[zone]
                zoneCounts[zone] = 0
            }
            touchedZones.removeAll(keepingCapacity: true)
            let axis = line.principalAxis
            var first = Double.infinity, last = -Double.infinity
            for k in 0..<tail {
                let index = Int(queue[k])
                let along = (Double(index % width) + 0.5) * axis.x + (Double(index / width) + 0.5) * axis.y
                first = min(first, along); last = max(last, along)
            }
            line.lengthPixels = last - first + 1
            if line.lengthPixels >= minimumLength, line.levels & VesselnessLevel.high != 0 {
                lines.append(line)
                if let mark { for k in 0..<tail { mark[Int(queue[k])] |= markBit } }
            }
        }
        return lines
    }

    /// Thins the pixels carrying `bit` to 8-connected curves one pixel wide: removes, in raster
    /// order until nothing changes, every pixel that is not a line end (one neighbour) and whose
    /// removal keeps its neighbours 8-connected (Yokoi, Toriwaki & Fukumura 1975's connectivity
    /// number N8 = 1, a "simple" pixel). The suppression leaves diagonal centrelines as
    /// 4-connected staircases in places, which per-pixel lengths would count up to √2 × too long.
    /// `list` (room for every pixel) holds the pixels carrying `bit`, in raster order: a pass
    /// visits them alone, not the whole plane — the same pixels in the same order, since thinning
    /// only takes the bit away — and keeps for the next those it neither removed nor found a
    /// line end (a line end stays one). The same removals as a pass over every pixel.
    static func thin(_ flags: UnsafeMutableBufferPointer<UInt8>, bit: UInt8, width: Int, height: Int, list: UnsafeMutableBufferPointer<Int32>) {
        guard width >= 3, height >= 3 else { return }
        var listed = 0
        for y in 1..<(height - 1) {
            for i in (y * width + 1)..<(y * width + width - 1) where flags[i] & bit != 0 {
                list[listed] = Int32(i)
                listed += 1
            }
        }
        var changed = true
        while changed {
            changed = false
            var kept = 0
            for n in 0..<listed {
                let i = Int(list[n])
                // Ring: east, north-east, north, north-west, west, south-west, south, south-east
                // (in SIMD lanes: no array allocated per pixel).
                @inline(__always) func set(_ j: Int) -> Int32 { flags[j] & bit != 0 ? 1 : 0 }
                let on = SIMD8<Int32>(
                    set(i + 1), set(i - width + 1), set(i - width), set(i - width - 1),
                    set(i - 1), set(i + width - 1), set(i + width), set(i + width + 1))
                // A line end or a lone pixel stays one: its neighbours are only ever taken away.
                guard on.wrappedSum() >= 2 else { continue }
                var components: Int32 = 0
                for k in stride(from: 0, to: 8, by: 2) {
                    let a = 1 - on[k], b = 1 - on[k + 1], c = 1 - on[(k + 2) % 8]
                    components += a - a * b * c
                }
                if components == 1 { flags[i] &= ~bit; changed = true } else { list[kept] = Int32(i); kept += 1 }
            }
            listed = kept
        }
    }
}
