/// One window through the cascade, as OpenCV's `HaarEvaluator` does it: for one pyramid level
/// (one integral-image stride) every rectangle corner is an offset from the window's top-left
/// entry, precomputed into flat arrays, so a window is index arithmetic over contiguous memory
/// with no per-window lookups through the cascade's nested arrays. The sums are formed in the same
/// order as a rectangle-by-rectangle evaluation (`bottomRight − topRight − bottomLeft + topLeft`,
/// weighted rectangles added in file order), so every comparison, and so every detection, is the same.
struct CascadeEvaluation {
    /// Rectangles per stump in the flat tables; a feature with fewer has weight-0 rectangles of zero size.
    private static let rectanglesPerStump = 3
    private static let cornersPerRectangle = 4

    private let stageEnds: [Int]
    private let stageThresholds: [Float]
    /// Per stump, `rectanglesPerStump × cornersPerRectangle` offsets: top-left, top-right, bottom-left, bottom-right.
    /// (`Int32`: a level's integral image is far below 2³¹ entries; half the bytes of `Int` in the inner loop.)
    private let cornerOffsets: [Int32]
    /// Per stump: a three-rectangle feature (most are two-rectangle, and skip the third's lookups).
    private let hasThirdRectangle: [Bool]
    private let weights: [Double]
    private let thresholds: [Float]
    private let leftValues: [Float]
    private let rightValues: [Float]
    /// The variance-normalisation rectangle's corners (OpenCV's `normrect`: the window shrunk by
    /// one pixel on each side) and its area.
    private let normalisationCorners: (Int, Int, Int, Int)
    private let normalisationArea: Double
    private let stride: Int

    init(_ cascade: HaarCascade, stride: Int) {
        func corners(x: Int, y: Int, width: Int, height: Int) -> (Int, Int, Int, Int) {
            (y * stride + x, y * stride + x + width, (y + height) * stride + x, (y + height) * stride + x + width)
        }
        var stageEnds: [Int] = [], stageThresholds: [Float] = []
        var cornerOffsets: [Int32] = [], weights: [Double] = [], hasThirdRectangle: [Bool] = []
        var thresholds: [Float] = [], leftValues: [Float] = [], rightValues: [Float] = []
        for stage in cascade.stages {
            for stump in stage.stumps {
                let rectangles = cascade.features[stump.featureIndex].rectangles
                for slot in 0..<Self.rectanglesPerStump {
                    if slot < rectangles.count {
                        let r = rectangles[slot]
                        let c = corners(x: Int(r.x), y: Int(r.y), width: Int(r.width), height: Int(r.height))
                        cornerOffsets += [Int32(c.0), Int32(c.1), Int32(c.2), Int32(c.3)]
                        weights.append(Double(r.weight))
                    } else {
                        cornerOffsets += [0, 0, 0, 0]
                        weights.append(0)
                    }
                }
                hasThirdRectangle.append(rectangles.count > 2)
                thresholds.append(stump.threshold)
                leftValues.append(stump.leftValue)
                rightValues.append(stump.rightValue)
            }
            stageEnds.append(thresholds.count)
            stageThresholds.append(stage.threshold)
        }
        self.stageEnds = stageEnds
        self.stageThresholds = stageThresholds
        self.cornerOffsets = cornerOffsets
        self.hasThirdRectangle = hasThirdRectangle
        self.weights = weights
        self.thresholds = thresholds
        self.leftValues = leftValues
        self.rightValues = rightValues
        let innerWidth = cascade.windowWidth - 2, innerHeight = cascade.windowHeight - 2
        normalisationCorners = corners(x: 1, y: 1, width: innerWidth, height: innerHeight)
        normalisationArea = Double(innerWidth * innerHeight)
        self.stride = stride
    }

    /// Calls `body` with the test of the window at (`x`, `y`) of the level whose summed-area tables
    /// (stride as given to `init`) are `sums` and `squares`, and the test of the four windows at
    /// `x`, `x + step`, `x + 2·step`, `x + 3·step` of row `y` at once (`Flat.passes4`: the same
    /// decisions as four calls of the first).
    func withWindowTest<Result>(
        sums: UnsafeMutableBufferPointer<Double>, squares: UnsafeMutableBufferPointer<Double>,
        _ body: (_ passes: (_ x: Int, _ y: Int) -> Bool, _ passes4: (_ x: Int, _ y: Int, _ step: Int) -> SIMDMask<SIMD4<Int64>>) -> Result
    ) -> Result {
        let stride = stride
        return stageEnds.withUnsafeBufferPointer { stageEnds in
            stageThresholds.withUnsafeBufferPointer { stageThresholds in
                cornerOffsets.withUnsafeBufferPointer { corners in
                    hasThirdRectangle.withUnsafeBufferPointer { hasThirdRectangle in
                        weights.withUnsafeBufferPointer { weights in
                            thresholds.withUnsafeBufferPointer { thresholds in
                                leftValues.withUnsafeBufferPointer { leftValues in
                                    rightValues.withUnsafeBufferPointer { rightValues in
                                        let flat = Flat(
                                            stageEnds: stageEnds, stageThresholds: stageThresholds, corners: corners,
                                            hasThirdRectangle: hasThirdRectangle, weights: weights,
                                            thresholds: thresholds, leftValues: leftValues, rightValues: rightValues,
                                            normalisationCorners: normalisationCorners, normalisationArea: normalisationArea)
                                        let sumTable = UnsafePointer(sums.baseAddress!), squareTable = UnsafePointer(squares.baseAddress!)
                                        return body(
                                            { x, y in flat.passes(sums: sumTable, squares: squareTable, base: y * stride + x) },
                                            { x, y, step in flat.passes4(sums: sumTable, squares: squareTable, base: y * stride + x, step: step) })
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// The tables as raw pointers, for the inner loop.
    private struct Flat {
        let stageEnds: UnsafeBufferPointer<Int>
        let stageThresholds: UnsafeBufferPointer<Float>
        let corners: UnsafeBufferPointer<Int32>
        let hasThirdRectangle: UnsafeBufferPointer<Bool>
        let weights: UnsafeBufferPointer<Double>
        let thresholds: UnsafeBufferPointer<Float>
        let leftValues: UnsafeBufferPointer<Float>
        let rightValues: UnsafeBufferPointer<Float>
        let normalisationCorners: (Int, Int, Int, Int)
        let normalisationArea: Double

        @inline(__always)
        private static func rectangleSum(_ table: UnsafePointer<Double>, _ c: UnsafePointer<Int32>) -> Double {
            table[Int(c[3])] - table[Int(c[1])] - table[Int(c[2])] + table[Int(c[0])]
        }

        /// The entries at `offset`, `offset + step`, `offset + 2·step`, `offset + 3·step` of a table.
        @inline(__always)
        private static func load4(_ table: UnsafePointer<Double>, _ offset: Int, _ step: Int) -> SIMD4<Double> {
            step == 1
                ? UnsafeRawPointer(table + offset).loadUnaligned(as: SIMD4<Double>.self)
                : SIMD4(table[offset], table[offset + step], table[offset + 2 * step], table[offset + 3 * step])
        }

        @inline(__always)
        private static func rectangleSum4(_ table: UnsafePointer<Double>, _ c: UnsafePointer<Int32>, _ step: Int) -> SIMD4<Double> {
            load4(table, Int(c[3]), step) - load4(table, Int(c[1]), step) - load4(table, Int(c[2]), step) + load4(table, Int(c[0]), step)
        }

        /// `passes` of the four windows at `base`, `base + step`, `base + 2·step`, `base + 3·step`
        /// (one row), lane by lane the same operations in the same order on the same values (each
        /// lane's sums, comparisons and float stage sums are exactly `passes`'), so the same
        /// decisions; a stage is evaluated while any lane is still in. Most windows leave in the
        /// first stages, whose corners four neighbouring windows read side by side.
        @inline(__always)
        func passes4(sums: UnsafePointer<Double>, squares: UnsafePointer<Double>, base: Int, step: Int) -> SIMDMask<SIMD4<Int64>> {
            let windowSums = sums + base, windowSquares = squares + base
            let n = normalisationCorners
            let sum = Self.load4(windowSums, n.3, step) - Self.load4(windowSums, n.1, step) - Self.load4(windowSums, n.2, step)
                + Self.load4(windowSums, n.0, step)
            let sumOfSquares = Self.load4(windowSquares, n.3, step) - Self.load4(windowSquares, n.1, step)
                - Self.load4(windowSquares, n.2, step) + Self.load4(windowSquares, n.0, step)
            let variance = normalisationArea * sumOfSquares - sum * sum
            let normalisation = variance.squareRoot().replacing(with: 1, where: .!(variance .> 0))
            let corners = corners.baseAddress!, weights = weights.baseAddress!, hasThirdRectangle = hasThirdRectangle.baseAddress!
            let thresholds = thresholds.baseAddress!, leftValues = leftValues.baseAddress!, rightValues = rightValues.baseAddress!
            var alive = SIMDMask<SIMD4<Int64>>(repeating: true)
            var stump = 0
            for stage in 0..<stageEnds.count {
                var stageSum = SIMD4<Float>(repeating: 0)
                let end = stageEnds[stage]
                while stump < end {
                    let c = corners + stump * CascadeEvaluation.rectanglesPerStump * CascadeEvaluation.cornersPerRectangle
                    let w = weights + stump * CascadeEvaluation.rectanglesPerStump
                    var value = SIMD4<Double>(repeating: 0)
                    value += w[0] * Self.rectangleSum4(windowSums, c, step)
                    value += w[1] * Self.rectangleSum4(windowSums, c + 4, step)
                    if hasThirdRectangle[stump] { value += w[2] * Self.rectangleSum4(windowSums, c + 8, step) }
                    let left = value .< Double(thresholds[stump]) * normalisation
                    // Each lane adds its stump's left or right value, a Float, exactly as `passes`.
                    stageSum += SIMD4<Float>(SIMD4<Double>(repeating: Double(rightValues[stump])).replacing(with: Double(leftValues[stump]), where: left))
                    stump += 1
                }
                alive = alive .& .!(SIMD4<Double>(stageSum) .< Double(stageThresholds[stage]))
                if !any(alive) { return alive }
            }
            return alive
        }

        @inline(__always)
        func passes(sums: UnsafePointer<Double>, squares: UnsafePointer<Double>, base: Int) -> Bool {
            let windowSums = sums + base, windowSquares = squares + base
            let n = normalisationCorners
            let sum = windowSums[n.3] - windowSums[n.1] - windowSums[n.2] + windowSums[n.0]
            let sumOfSquares = windowSquares[n.3] - windowSquares[n.1] - windowSquares[n.2] + windowSquares[n.0]
            // Features are compared against threshold · area · σ.
            var normalisation = normalisationArea * sumOfSquares - sum * sum
            normalisation = normalisation > 0 ? normalisation.squareRoot() : 1
            let corners = corners.baseAddress!, weights = weights.baseAddress!, hasThirdRectangle = hasThirdRectangle.baseAddress!
            let thresholds = thresholds.baseAddress!, leftValues = leftValues.baseAddress!, rightValues = rightValues.baseAddress!
            var stump = 0
            for stage in 0..<stageEnds.count {
                var stageSum: Float = 0
                let end = stageEnds[stage]
                while stump < end {
                    let c = corners + stump * CascadeEvaluation.rectanglesPerStump * CascadeEvaluation.cornersPerRectangle
                    let w = weights + stump * CascadeEvaluation.rectanglesPerStump
                    // value = 0 + w0·r0 + w1·r1 (+ w2·r2): as the rectangle-by-rectangle loop. A
                    // two-rectangle feature stops there (adding its placeholder's 0 · 0 would leave
                    // the value, and so its comparison, as it is).
                    var value = 0.0
                    value += w[0] * Self.rectangleSum(windowSums, c)
                    value += w[1] * Self.rectangleSum(windowSums, c + 4)
                    if hasThirdRectangle[stump] { value += w[2] * Self.rectangleSum(windowSums, c + 8) }
                    stageSum += value < Double(thresholds[stump]) * normalisation ? leftValues[stump] : rightValues[stump]
                    stump += 1
                }
                if stageSum < stageThresholds[stage] { return false }
            }
            return true
        }
    }
}
