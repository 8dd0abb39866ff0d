/// Separable box filters on `Float` planes. Three box passes approximate a Gaussian (central limit
/// theorem; Wells 1986, IEEE PAMI 8:234) at a cost independent of the radius.
enum PlaneFilters {
    /// Box-blurs `plane` in place `passes` times with a `(2·radius + 1)²` box; near the borders
    /// the mean is over the pixels that exist. `scratch` must hold
    /// `boxBlurScratchCount(width:height:radius:)` floats (a few dozen rows, at most the plane).
    static func boxBlur(
        _ plane: UnsafeMutableBufferPointer<Float>, scratch: UnsafeMutableBufferPointer<Float>,
        width: Int, height: Int, radius: Int, passes: Int
    ) {
        guard radius > 0, width > 0, height > 0,
              let planePixels = plane.baseAddress, let rowMeans = scratch.baseAddress
        else { return }
        let ringRows = ringRowCount(radius: radius, height: height)
        precondition(scratch.count >= ringRows * width, "a box filter's scratch smaller than its ring of rows")
        @inline(__always) func ringRow(_ y: Int) -> UnsafeMutablePointer<Float> { rowMeans + (y % ringRows) * width }
        for _ in 0..<passes {
            // Horizontal: plane → ring, made on demand up to the row the column pass asks for.
            // One row's running sum is a serial chain (an add and a subtract wait on the previous
            // pixel's sum), so eight rows run side by side, one per SIMD lane: each lane does its
            // row's additions in the scalar order, so the means are bit-identical, while the
            // chains overlap and the division is one vector divide. Groups of eight start at
            // multiples of eight, so a group never wraps around the ring.
            var made = 0
            func makeRows(through y: Int) {
                while made <= y {
                    if made + Lanes.scalarCount <= height && made % ringRows + Lanes.scalarCount <= ringRows {
                        horizontalMeansOfEightRows(
                            UnsafePointer(planePixels + made * width), into: ringRow(made), width: width, radius: radius)
                        made += Lanes.scalarCount
                    } else {
                        horizontalMeans(UnsafePointer(planePixels + made * width), into: ringRow(made), width: width, radius: radius)
                        made += 1
                    }
                }
            }
            // Vertical: ring → plane, row by row (a column-by-column walk strides a whole row
            // per pixel). Each column's running sum is kept in `plane` itself: row y holds the
            // sum until row y + 1 has been derived from it, then becomes the mean (its own row
            // means were made before). Every column sees the same additions in the same order as
            // a column walk: bit-identical means.
            makeRows(through: min(radius, height - 1))
            planePixels.update(repeating: 0, count: width)
            var count = 0
            for y in 0..<min(radius, height) {
                add(ringRow(y), to: planePixels, width: width)
                count += 1
            }
            if radius < height {
                add(ringRow(radius), to: planePixels, width: width)
                count += 1
            }
            var previousCount = count
            for y in 1..<height {
                let enter = y + radius, leave = y - radius - 1
                makeRows(through: min(enter, height - 1))
                let entering = enter < height ? UnsafePointer(ringRow(enter)) : nil
                let leaving = leave >= 0 ? UnsafePointer(ringRow(leave)) : nil
                // Row y − 1's means: its sums over the rows it had.
                let divisor = Float(previousCount), divisors = Lanes(repeating: divisor)
                advanceColumnSums(
                    above: planePixels + (y - 1) * width, into: planePixels + y * width, entering: entering, leaving: leaving, width: width,
                    result: { sums, _ in sums / divisors }, resultOfOne: { sum, _ in sum / divisor })
                if entering != nil { count += 1 }
                if leaving != nil { count -= 1 }
                previousCount = count
            }
            divide(planePixels + (height - 1) * width, by: Float(previousCount), width: width)
        }
    }

    /// The row means the column pass still needs — rows y − radius − 1 … y + radius, and the
    /// eight rows made at once ahead of them — in a ring of scratch rows: they are read back from
    /// the cache, and the plane is read once and written once per pass. (A ring of the plane's
    /// height or more is the plane's own layout.)
    private static func ringRowCount(radius: Int, height: Int) -> Int {
        min(height, (2 * radius + 2 + 2 * Lanes.scalarCount + 7) / 8 * 8)
    }

    /// The floats of scratch `boxBlur` needs at `radius` on a `width × height` plane, enough for
    /// every smaller radius too.
    static func boxBlurScratchCount(width: Int, height: Int, radius: Int) -> Int {
        boxBlurScratchRows(height: height, radius: radius) * width
    }

    /// The rows of that scratch (a plane of them: `WorkingImage.allocateBoxFilterRows`).
    static func boxBlurScratchRows(height: Int, radius: Int) -> Int { ringRowCount(radius: max(1, radius), height: height) }

    /// Eight floats at a time; the planes carry no alignment beyond `Float`'s.
    private typealias Lanes = SIMD8<Float>

    private static func lanes(at pointer: UnsafePointer<Float>) -> Lanes {
        UnsafeRawPointer(pointer).loadUnaligned(as: Lanes.self)
    }

    private static func store(_ values: Lanes, at pointer: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(pointer).storeBytes(of: values, as: Lanes.self)
    }

    /// `sums[x] += row[x]` for every column.
    private static func add(_ row: UnsafePointer<Float>, to sums: UnsafeMutablePointer<Float>, width: Int) {
        var x = 0
        while x + Lanes.scalarCount <= width {
            store(lanes(at: sums + x) + lanes(at: row + x), at: sums + x)
            x += Lanes.scalarCount
        }
        while x < width { sums[x] += row[x]; x += 1 }
    }

    /// `sums[x] /= divisor` for every column.
    private static func divide(_ sums: UnsafeMutablePointer<Float>, by divisor: Float, width: Int) {
        var x = 0
        while x + Lanes.scalarCount <= width {
            store(lanes(at: sums + x) / Lanes(repeating: divisor), at: sums + x)
            x += Lanes.scalarCount
        }
        while x < width { sums[x] /= divisor; x += 1 }
    }

    /// `values[i] /= weights[i]` wherever `weights[i] >= minimum` (a normalised convolution's
    /// division), eight at a time: each lane's division is the scalar one (IEEE 754 divides lane
    /// by lane), so the same bits, where a conditional division per pixel was not vectorised.
    static func normalise(_ values: UnsafeMutableBufferPointer<Float>, by weights: UnsafeMutableBufferPointer<Float>, atLeast minimum: Float) {
        precondition(values.count == weights.count, "values and weights of different sizes")
        guard let value = values.baseAddress, let weight = weights.baseAddress else { return }
        var i = 0
        while i + Lanes.scalarCount <= values.count {
            let sums = lanes(at: value + i), certainties = lanes(at: weight + i)
            store(sums.replacing(with: sums / certainties, where: certainties .>= minimum), at: value + i)
            i += Lanes.scalarCount
        }
        while i < values.count {
            if weight[i] >= minimum { value[i] /= weight[i] }
            i += 1
        }
    }

    /// One step of a column pass in a single sweep: row y's column sums are row y − 1's (`above`)
    /// plus the entering row minus the leaving one, and `above` becomes row y − 1's result,
    /// `result` of its sums and its column (eight columns at a time; `resultOfOne` for the columns
    /// left over). Per column the same operations in the same order as a column walk.
    @inline(__always)
    private static func advanceColumnSums(
        above: UnsafeMutablePointer<Float>, into sums: UnsafeMutablePointer<Float>,
        entering: UnsafePointer<Float>?, leaving: UnsafePointer<Float>?, width: Int,
        result: (_ sums: Lanes, _ x: Int) -> Lanes, resultOfOne: (_ sum: Float, _ x: Int) -> Float
    ) {
        var x = 0
        while x + Lanes.scalarCount <= width {
            let previous = lanes(at: above + x)
            var sum = previous
            if let entering { sum += lanes(at: entering + x) }
            if let leaving { sum -= lanes(at: leaving + x) }
            store(sum, at: sums + x)
            store(result(previous, x), at: above + x)
            x += Lanes.scalarCount
        }
        while x < width {
            let previous = above[x]
            var sum = previous
            if let entering { sum += entering[x] }
            if let leaving { sum -= leaving[x] }
            sums[x] = sum
            above[x] = resultOfOne(previous, x)
            x += 1
        }
    }

    /// The running mean of one row over `(2·radius + 1)` columns, over the columns that exist.
    private static func horizontalMeans(
        _ row: UnsafePointer<Float>, into means: UnsafeMutablePointer<Float>, width: Int, radius: Int
    ) {
        var sum: Float = 0
        var count = 0
        for x in 0..<min(radius, width) { sum += row[x]; count += 1 }
        for x in 0..<width {
            let enter = x + radius, leave = x - radius - 1
            if enter < width { sum += row[enter]; count += 1 }
            if leave >= 0 { sum -= row[leave]; count -= 1 }
            means[x] = sum / Float(count)
        }
    }

    /// `horizontalMeans` of eight consecutive rows, row `k` in lane `k`: the same additions,
    /// subtractions and division per row in the same order (lane-wise IEEE arithmetic), so the
    /// same bits. Where eight columns in a row have both an entering and a leaving column, the
    /// rows are read and written eight columns at a time through 8 × 8 transposes; near the
    /// borders one column is gathered at a time.
    private static func horizontalMeansOfEightRows(
        _ rows: UnsafePointer<Float>, into means: UnsafeMutablePointer<Float>, width: Int, radius: Int
    ) {
        let r0 = rows, r1 = r0 + width, r2 = r1 + width, r3 = r2 + width
        let r4 = r3 + width, r5 = r4 + width, r6 = r5 + width, r7 = r6 + width
        let m0 = means, m1 = m0 + width, m2 = m1 + width, m3 = m2 + width
        let m4 = m3 + width, m5 = m4 + width, m6 = m5 + width, m7 = m6 + width
        @inline(__always) func column(_ x: Int) -> Lanes {
            Lanes(r0[x], r1[x], r2[x], r3[x], r4[x], r5[x], r6[x], r7[x])
        }
        @inline(__always) func columns(from x: Int) -> LaneBlock {
            transposed((
                lanes(at: r0 + x), lanes(at: r1 + x), lanes(at: r2 + x), lanes(at: r3 + x),
                lanes(at: r4 + x), lanes(at: r5 + x), lanes(at: r6 + x), lanes(at: r7 + x)))
        }
        var sum = Lanes(repeating: 0)
        var count = 0
        for x in 0..<min(radius, width) { sum += column(x); count += 1 }
        var x = 0
        while x < width {
            if x > radius && x + Lanes.scalarCount + radius <= width {
                // Eight interior columns: each adds one column and drops one, count stays 2r + 1.
                let entering = columns(from: x + radius), leaving = columns(from: x - radius - 1)
                let divisors = Lanes(repeating: Float(count))
                sum += entering.0; sum -= leaving.0; let mean0 = sum / divisors
                sum += entering.1; sum -= leaving.1; let mean1 = sum / divisors
                sum += entering.2; sum -= leaving.2; let mean2 = sum / divisors
                sum += entering.3; sum -= leaving.3; let mean3 = sum / divisors
                sum += entering.4; sum -= leaving.4; let mean4 = sum / divisors
                sum += entering.5; sum -= leaving.5; let mean5 = sum / divisors
                sum += entering.6; sum -= leaving.6; let mean6 = sum / divisors
                sum += entering.7; sum -= leaving.7; let mean7 = sum / divisors
                let rowMeans = transposed((mean0, mean1, mean2, mean3, mean4, mean5, mean6, mean7))
                store(rowMeans.0, at: m0 + x); store(rowMeans.1, at: m1 + x)
                store(rowMeans.2, at: m2 + x); store(rowMeans.3, at: m3 + x)
                store(rowMeans.4, at: m4 + x); store(rowMeans.5, at: m5 + x)
                store(rowMeans.6, at: m6 + x); store(rowMeans.7, at: m7 + x)
                x += Lanes.scalarCount
                continue
            }
            let enter = x + radius, leave = x - radius - 1
            if enter < width { sum += column(enter); count += 1 }
            if leave >= 0 { sum -= column(leave); count -= 1 }
            let mean = sum / Lanes(repeating: Float(count))
            m0[x] = mean[0]; m1[x] = mean[1]; m2[x] = mean[2]; m3[x] = mean[3]
            m4[x] = mean[4]; m5[x] = mean[5]; m6[x] = mean[6]; m7[x] = mean[7]
            x += 1
        }
    }

    /// Eight rows of eight lanes.
    private typealias LaneBlock = (Lanes, Lanes, Lanes, Lanes, Lanes, Lanes, Lanes, Lanes)

    /// The 8 × 8 transpose: three rounds of splitting each pair of rows into its even and odd
    /// elements. Seen as one 64-element vector, a round rotates the 6-bit index right by one, so
    /// three rounds map row r, column c (8r + c) to 8c + r. Moves only; no arithmetic.
    @inline(__always)
    private static func transposed(_ block: LaneBlock) -> LaneBlock {
        @inline(__always) func split(_ first: Lanes, _ second: Lanes) -> (even: Lanes, odd: Lanes) {
            let pair = SIMD16(lowHalf: first, highHalf: second)
            return (pair.evenHalf, pair.oddHalf)
        }
        var rows = block
        for _ in 0..<3 {
            let a = split(rows.0, rows.1), b = split(rows.2, rows.3)
            let c = split(rows.4, rows.5), d = split(rows.6, rows.7)
            rows = (a.even, b.even, c.even, d.even, a.odd, b.odd, c.odd, d.odd)
        }
        return rows
    }

    /// A plane of `width` × `height` pixels seen as d × d blocks (`step` d; the last row and column
    /// of blocks may be partial): block sums, then a filter on the blocks, then each pixel read
    /// back by bilinear interpolation between the block centres ((u + ½)·d − ½ in pixels).
    struct BlockGrid {
        let step: Int, width: Int, height: Int, columns: Int, rows: Int
        var count: Int { columns * rows }

        init(step: Int, width: Int, height: Int) {
            (self.step, self.width, self.height) = (step, width, height)
            (columns, rows) = ((width + step - 1) / step, (height + step - 1) / step)
        }

        /// The four blocks around a pixel and its bilinear weights between their centres.
        struct Corners { let topLeft: Int, topRight: Int, bottomLeft: Int, bottomRight: Int, fx: Float, fy: Float }

        /// The pixel's four blocks from its row's (`rowsAround`) and its column's (`columnAround`),
        /// which a pass over the pixels computes once per row and once per column.
        @inline(__always) func corners(rows: (upper: Int, lower: Int, fraction: Float), column: (left: Int, fraction: Float)) -> Corners {
            let (above, below, right) = (rows.upper * columns, rows.lower * columns, min(column.left + 1, columns - 1))
            return Corners(
                topLeft: above + column.left, topRight: above + right, bottomLeft: below + column.left, bottomRight: below + right,
                fx: column.fraction, fy: rows.fraction)
        }

        /// The block rows above and below pixel row y (between block centres, clamped to the grid)
        /// and the weight of the lower.
        @inline(__always) func rowsAround(y: Int) -> (upper: Int, lower: Int, fraction: Float) {
            let v = min(max((Float(y) + 0.5) / Float(step) - 0.5, 0), Float(rows - 1))
            let y0 = min(Int(v), max(0, rows - 2))
            return (y0, min(y0 + 1, rows - 1), v - Float(y0))
        }

        /// The block column left of pixel column x (between block centres, clamped to the grid) and
        /// the weight of the next.
        @inline(__always) func columnAround(x: Int) -> (left: Int, fraction: Float) {
            let u = min(max((Float(x) + 0.5) / Float(step) - 0.5, 0), Float(columns - 1))
            let x0 = min(Int(u), max(0, columns - 2))
            return (x0, u - Float(x0))
        }

        @inline(__always) func read(_ plane: UnsafeMutableBufferPointer<Float>, at c: Corners) -> Float {
            (plane[c.topLeft] * (1 - c.fx) + plane[c.topRight] * c.fx) * (1 - c.fy) + (plane[c.bottomLeft] * (1 - c.fx) + plane[c.bottomRight] * c.fx) * c.fy
        }
    }

    /// A normalised convolution (Knutsson & Westin 1993: blur(v·w) / blur(w)) whose Gaussian runs
    /// on d × d block sums and is read back bilinearly between block centres (`BlockGrid.rowsAround`,
    /// `columnAround`), for a Gaussian smooth at the scale of the blocks: `accumulate` sums each
    /// pixel's weighted value and weight into its block, `filter` smooths both block planes (zero
    /// certainty outside the plane), `readBack` gives every pixel the two filtered sums, row by row
    /// (each pixel row from its two block rows, then along the row between two block columns).
    /// Its planes are carved from memory the caller lends (`floats(for:)`).
    struct BlockedConvolution {
        let grid: BlockGrid
        private let sums, weights, scratch, rows: UnsafeMutableBufferPointer<Float>
        /// Per pixel column, the block column left of its centre and the weight of the next (positions only).
        private let lefts: [Int], fractions: [Float]

        /// Floats to lend for `grid`: three planes of blocks and two interpolated rows.
        static func floats(for grid: BlockGrid) -> Int { 3 * grid.count + 2 * (grid.columns + 1) }

        /// The grid for a Gaussian of `sigma` pixels: blocks of ¼ σ (`blockStep`), at least 2, and
        /// larger if needed so that `floats(for:)` fits in `lendable` floats.
        static func grid(sigma: Double, width: Int, height: Int, lendable: Int) -> BlockGrid {
            var step = max(2, blockStep(sigma: sigma))
            while floats(for: BlockGrid(step: step, width: width, height: height)) > lendable, step < max(width, height) { step += 1 }
            let grid = BlockGrid(step: step, width: width, height: height)
            precondition(floats(for: grid) <= lendable, "a plane too small for its blocks")
            return grid
        }

        init(grid: BlockGrid, memory: UnsafeMutableBufferPointer<Float>) {
            self.grid = grid
            var carved = 0
            func carve(_ floats: Int) -> UnsafeMutableBufferPointer<Float> {
                defer { carved += floats }
                return UnsafeMutableBufferPointer(rebasing: memory[carved..<(carved + floats)])
            }
            (sums, weights, scratch) = (carve(grid.count), carve(grid.count), carve(grid.count))
            rows = carve(Self.rowReaderFloats(for: grid))
            let around = (0..<grid.width).map { grid.columnAround(x: $0) }
            (lefts, fractions) = (around.map(\.left), around.map(\.fraction))
        }

        /// Block sums of `weighted(i)` — a pixel's value × weight and its weight — over every pixel.
        @inline(__always)
        func accumulate(_ weighted: (_ i: Int) -> (value: Float, weight: Float)) {
            let (d, width, columns) = (grid.step, grid.width, grid.columns)
            for s in 0..<grid.count { sums[s] = 0; weights[s] = 0 }
            for y in 0..<grid.height {
                // Offsets inside the plane and the blocks: wrapping adds, no overflow checks per block.
                let row = y * width
                var x = 0, block = (y / d) * columns
                while x < width {
                    let end = min(x &+ d, width)
                    var sum: Float = 0, weightSum: Float = 0
                    for i in (row &+ x)..<(row &+ end) {
                        let pixel = weighted(i)
                        sum += pixel.value
                        weightSum += pixel.weight
                    }
                    sums[block] += sum
                    weights[block] += weightSum
                    x = end
                    block &+= 1
                }
            }
        }

        /// The block sums `other` accumulated (on the same grid), to filter at another σ.
        func copySums(of other: BlockedConvolution) {
            precondition(other.grid.count == grid.count && other.grid.step == grid.step, "block sums of another grid")
            for s in 0..<grid.count { (sums[s], weights[s]) = (other.sums[s], other.weights[s]) }
        }

        /// Both block planes through a Gaussian whose kernel, read back, is `sigma` pixels.
        func filter(sigma: Double) {
            let blockSigma = PlaneFilters.blockSigma(sigma, step: grid.step, interpolatedBack: true)
            for plane in [sums, weights] {
                PlaneFilters.extendedBox(plane, sigma: blockSigma, scratch: scratch, width: grid.columns, height: grid.rows)
            }
        }

        /// `body(i, sum, weight)` for every pixel: its filtered value·weight and weight sums. A sum
        /// of weights is d² times the pixels' mean weight.
        @inline(__always)
        func readBack(_ body: (_ i: Int, _ sum: Float, _ weight: Float) -> Void) {
            let reader = rowReader(rows: rows)
            let width = grid.width
            for y in 0..<grid.height {
                reader.load(y: y, x: 0..<width)
                // Indices inside the plane: no overflow to check at every pixel.
                let row = y * width
                for x in 0..<width {
                    let (sum, weight) = reader.at(x: x)
                    body(row &+ x, sum, weight)
                }
            }
        }

        /// Floats a `RowReader` of `grid` needs: an interpolated row of sums and one of weights.
        static func rowReaderFloats(for grid: BlockGrid) -> Int { 2 * (grid.columns + 1) }

        /// A reader of the filtered sums, a pixel row at a time, in `rows` (`rowReaderFloats`):
        /// one per thread reading the same blocks.
        func rowReader(rows: UnsafeMutableBufferPointer<Float>) -> RowReader {
            let count = grid.columns + 1
            precondition(rows.count >= 2 * count)
            return RowReader(
                convolution: self, rowSums: UnsafeMutableBufferPointer(rebasing: rows[0..<count]),
                rowWeights: UnsafeMutableBufferPointer(rebasing: rows[count..<(2 * count)]))
        }

        /// `readBack` a row at a time: `load(y:x:)` interpolates between the row's two block rows,
        /// `at(x:)` between the pixel's two block columns.
        struct RowReader {
            fileprivate let convolution: BlockedConvolution
            fileprivate let rowSums, rowWeights: UnsafeMutableBufferPointer<Float>

            /// Pixel row y, for its pixels `x` (the block columns they read).
            @inline(__always) func load(y: Int, x: Range<Int>) {
                let (sums, weights, columns) = (convolution.sums, convolution.weights, convolution.grid.columns)
                let (upper, lower, fy) = convolution.grid.rowsAround(y: y)
                let first = convolution.lefts[x.lowerBound], last = min(convolution.lefts[x.upperBound - 1] + 1, columns - 1)
                for c in first...last {
                    rowSums[c] = sums[upper * columns + c] * (1 - fy) + sums[lower * columns + c] * fy
                    rowWeights[c] = weights[upper * columns + c] * (1 - fy) + weights[lower * columns + c] * fy
                }
                rowSums[columns] = rowSums[columns - 1]
                rowWeights[columns] = rowWeights[columns - 1]
            }

            /// Pixel x of the loaded row: its filtered value·weight and weight sums.
            @inline(__always) func at(x: Int) -> (sum: Float, weight: Float) {
                let (left, fx) = (convolution.lefts[x], convolution.fractions[x])
                return (rowSums[left] * (1 - fx) + rowSums[left &+ 1] * fx, rowWeights[left] * (1 - fx) + rowWeights[left &+ 1] * fx)
            }
        }
    }

    /// The block step for a Gaussian of `sigma` working pixels read back by interpolation: σ spans
    /// at least 4 blocks (so the kernel is still a Gaussian on the blocks), 1 below 8 px.
    static func blockStep(sigma: Double) -> Int { max(1, Int(sigma / 4)) }

    /// σ, in samples of a plane of d × d block sums (`step` d), of the Gaussian that makes a
    /// kernel of variance `sigma`² working pixels: the block's own sum adds (d² − 1)/12 per axis
    /// and, when the filtered plane is interpolated back bilinearly, the interpolation's triangle
    /// (d² − 1)/6 more. (At most ¾ of σ² is taken by them: σ ≥ 2 samples × d keeps it well under.)
    static func blockSigma(_ sigma: Double, step d: Int, interpolatedBack: Bool) -> Double {
        let added = Double(d * d - 1) * (interpolatedBack ? 1.0 / 4 : 1.0 / 12)
        return max(sigma * sigma - added, sigma * sigma / 4).squareRoot() / Double(d)
    }

    /// Three passes of an extended box along each axis (Gwosdek, Grewenig, Bruhn & Weickert 2011,
    /// "Theoretical foundations of Gaussian convolution by extended box filtering", SSVM): a box of
    /// radius r with weight α on the next sample each side has any variance, so three passes give
    /// a near-Gaussian kernel of exactly `sigma` pixels (no rounding of the radius: a σ that moves
    /// with the face's size moves the kernel continuously) at a cost independent of it. Zero
    /// beyond the borders (the normalised convolution divides by the weights filtered alike).
    static func extendedBox(
        _ plane: UnsafeMutableBufferPointer<Float>, sigma: Double, scratch: UnsafeMutableBufferPointer<Float>, width: Int, height: Int
    ) {
        let variance = sigma * sigma / 3
        var r = 0
        while Double((r + 1) * (r + 2)) / 3 <= variance { r += 1 }
        let alpha = Double(2 * r + 1) * (variance - Double(r * (r + 1)) / 3) / (2 * (Double((r + 1) * (r + 1)) - variance))
        let edge = Float(alpha), norm = Float(1 / (Double(2 * r + 1) + 2 * alpha))
        let edges = Lanes(repeating: edge), norms = Lanes(repeating: norm), zero = Lanes(repeating: 0)
        for _ in 0..<3 {
            // Rows: plane → scratch, a running sum along each row; eight rows side by side in SIMD
            // lanes, as in `boxBlur`.
            var y = 0
            while y < height {
                let rowCount = min(Lanes.scalarCount, height - y)
                extendedBoxRows(
                    UnsafePointer(plane.baseAddress! + y * width), into: scratch.baseAddress! + y * width, rowCount: rowCount,
                    width: width, radius: r, edge: edge, norm: norm)
                y += rowCount
            }
            // Columns, walking rows (not columns): row y of `plane` holds column sums over rows
            // y − r … y + r until row y + 1's are derived from them, then becomes row y's result.
            let rows = UnsafePointer(scratch.baseAddress!), sums = plane.baseAddress!
            @inline(__always) func row(_ y: Int) -> UnsafePointer<Float>? { y >= 0 && y < height ? rows + y * width : nil }
            sums.update(repeating: 0, count: width)
            for t in 0...min(r, height - 1) { add(rows + t * width, to: sums, width: width) }
            for y in 1..<max(1, height) {
                // Row y − 1's result: its sums plus α × the two rows just outside its box (none
                // beyond the plane), normalised.
                let outerAbove = row(y - r - 2), outerBelow = row(y + r)
                advanceColumnSums(
                    above: sums + (y - 1) * width, into: sums + y * width, entering: row(y + r), leaving: row(y - r - 1), width: width,
                    result: { sums, x in
                        (sums + edges * ((outerAbove.map { lanes(at: $0 + x) } ?? zero) + (outerBelow.map { lanes(at: $0 + x) } ?? zero))) * norms
                    },
                    resultOfOne: { sum, x in (sum + edge * ((outerAbove?[x] ?? 0) + (outerBelow?[x] ?? 0))) * norm })
            }
            finishExtendedSums(sums + (height - 1) * width, outerAbove: row(height - r - 2), outerBelow: row(height + r), edge: edge, norm: norm, width: width)
        }
    }

    /// The last row's result of the extended box's column pass (`advanceColumnSums` without a next row).
    private static func finishExtendedSums(
        _ sums: UnsafeMutablePointer<Float>, outerAbove: UnsafePointer<Float>?, outerBelow: UnsafePointer<Float>?, edge: Float, norm: Float,
        width: Int
    ) {
        for x in 0..<width {
            let outer = (outerAbove?[x] ?? 0) + (outerBelow?[x] ?? 0)
            sums[x] = (sums[x] + edge * outer) * norm
        }
    }

    /// The extended box's row pass over `rowCount` (1…8) consecutive rows, row k in lane k: per row
    /// the additions, subtractions and products of a one-row walk, in its order (lane-wise IEEE
    /// arithmetic), so the same bits; the chains of eight rows overlap. With eight rows, the
    /// interior (both neighbours inside) runs eight columns at a time through 8 × 8 transposes;
    /// elsewhere one column is gathered at a time.
    private static func extendedBoxRows(
        _ rows: UnsafePointer<Float>, into means: UnsafeMutablePointer<Float>, rowCount: Int, width: Int, radius r: Int, edge: Float, norm: Float
    ) {
        @inline(__always) func column(_ x: Int) -> Lanes {
            var values = Lanes(repeating: 0)
            for k in 0..<rowCount { values[k] = rows[k * width + x] }
            return values
        }
        @inline(__always) func write(_ values: Lanes, at x: Int) {
            for k in 0..<rowCount { means[k * width + x] = values[k] }
        }
        let zero = Lanes(repeating: 0), edges = Lanes(repeating: edge), norms = Lanes(repeating: norm)
        var sum = zero
        for t in 0...min(r, width - 1) { sum += column(t) }
        // Near the ends with bounds checks; between them (both neighbours inside) without.
        let interior = (r + 1)..<max(r + 1, width - r - 1)
        @inline(__always) func step(_ x: Int) {
            let outer = (x - r - 1 >= 0 ? column(x - r - 1) : zero) + (x + r + 1 < width ? column(x + r + 1) : zero)
            write((sum + edges * outer) * norms, at: x)
            if x + r + 1 < width { sum += column(x + r + 1) }
            if x - r >= 0 { sum -= column(x - r) }
        }
        for x in 0..<min(interior.lowerBound, width) { step(x) }
        var x = interior.lowerBound
        if rowCount == Lanes.scalarCount {
            @inline(__always) func columns(from x: Int) -> LaneBlock {
                transposed((
                    lanes(at: rows + x), lanes(at: rows + width + x), lanes(at: rows + 2 * width + x), lanes(at: rows + 3 * width + x),
                    lanes(at: rows + 4 * width + x), lanes(at: rows + 5 * width + x), lanes(at: rows + 6 * width + x),
                    lanes(at: rows + 7 * width + x)))
            }
            while x + Lanes.scalarCount <= interior.upperBound {
                let entering = columns(from: x + r + 1), leaving = columns(from: x - r - 1), dropped = columns(from: x - r)
                let mean0 = (sum + edges * (leaving.0 + entering.0)) * norms; sum += entering.0 - dropped.0
                let mean1 = (sum + edges * (leaving.1 + entering.1)) * norms; sum += entering.1 - dropped.1
                let mean2 = (sum + edges * (leaving.2 + entering.2)) * norms; sum += entering.2 - dropped.2
                let mean3 = (sum + edges * (leaving.3 + entering.3)) * norms; sum += entering.3 - dropped.3
                let mean4 = (sum + edges * (leaving.4 + entering.4)) * norms; sum += entering.4 - dropped.4
                let mean5 = (sum + edges * (leaving.5 + entering.5)) * norms; sum += entering.5 - dropped.5
                let mean6 = (sum + edges * (leaving.6 + entering.6)) * norms; sum += entering.6 - dropped.6
                let mean7 = (sum + edges * (leaving.7 + entering.7)) * norms; sum += entering.7 - dropped.7
                let rowMeans = transposed((mean0, mean1, mean2, mean3, mean4, mean5, mean6, mean7))
                store(rowMeans.0, at: means + x); store(rowMeans.1, at: means + width + x)
                store(rowMeans.2, at: means + 2 * width + x); store(rowMeans.3, at: means + 3 * width + x)
                store(rowMeans.4, at: means + 4 * width + x); store(rowMeans.5, at: means + 5 * width + x)
                store(rowMeans.6, at: means + 6 * width + x); store(rowMeans.7, at: means + 7 * width + x)
                x += Lanes.scalarCount
            }
        }
        while x < interior.upperBound {
            let entering = column(x + r + 1), leaving = column(x - r - 1)
            write((sum + edges * (leaving + entering)) * norms, at: x)
            sum += entering - column(x - r)
            x += 1
        }
        for x in min(max(interior.upperBound, interior.lowerBound), width)..<width { step(x) }
    }
}
