/// One window through the cascade, as OpenCV's `HaarEvaluator` does it.
enum CascadeEvaluation {
    @inline(__always)
    static func rectangleSum(_ table: UnsafeMutableBufferPointer<Double>, stride: Int, x: Int, y: Int, width: Int, height: Int) -> Double {
        table[(y + height) * stride + x + width] - table[y * stride + x + width] - table[(y + height) * stride + x] + table[y * stride + x]
    }

    static func passes(
        _ cascade: HaarCascade, sums: UnsafeMutableBufferPointer<Double>, squares: UnsafeMutableBufferPointer<Double>,
        stride: Int, x: Int, y: Int
    ) -> Bool {
        // Variance normalisation over the window shrunk by one pixel on each side (OpenCV's
        // `normrect`): features are compared against threshold · area · σ.
        let innerWidth = cascade.windowWidth - 2, innerHeight = cascade.windowHeight - 2
        let area = Double(innerWidth * innerHeight)
        let sum = rectangleSum(sums, stride: stride, x: x + 1, y: y + 1, width: innerWidth, height: innerHeight)
        let sumOfSquares = rectangleSum(squares, stride: stride, x: x + 1, y: y + 1, width: innerWidth, height: innerHeight)
        var normalisation = area * sumOfSquares - sum * sum
        normalisation = normalisation > 0 ? normalisation.squareRoot() : 1
        for stage in cascade.stages {
            var stageSum: Float = 0
            for stump in stage.stumps {
                var value = 0.0
                for rectangle in cascade.features[stump.featureIndex].rectangles {
                    value += Double(rectangle.weight) * rectangleSum(
                        sums, stride: stride, x: x + Int(rectangle.x), y: y + Int(rectangle.y),
                        width: Int(rectangle.width), height: Int(rectangle.height))
                }
                stageSum += value < Double(stump.threshold) * normalisation ? stump.leftValue : stump.rightValue
            }
            if stageSum < stage.threshold { return false }
        }
        return true
    }
}
