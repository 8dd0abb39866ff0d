import LetheImaging

/// What one pass over the pixels measures: exposure, skin coverage (optionally the skin mask,
/// written to an arena buffer) and the box-averaged luma plane used for the blur measure.
struct ImageScan {
    var meanLuma: Double
    var clippedHighlightFraction: Double
    var skinPixelCount: Int
    /// Mean of each sRGB channel (0–255), for the grey-world colour-cast check.
    var meanRed: Double = 0, meanGreen: Double = 0, meanBlue: Double = 0

    /// Largest over smallest channel mean: 1 for a neutral (grey-world) photo.
    var colourCastRatio: Double {
        let high = max(meanRed, meanGreen, meanBlue), low = min(meanRed, meanGreen, meanBlue)
        return high / max(low, 1)
    }

    /// Luma ≥ 250 counts as a clipped highlight.
    static let clippedLuma = 250 * SkinMask.one

    /// One pass, no allocation: reads RGB8 `pixels`, writes `mask` when given (1 = skin, one byte
    /// per pixel; the gate only counts) and accumulates luma into `plane` (`planeWidth ×
    /// planeHeight` cells of `scale × scale` pixels, then divided to a mean). Pixels beyond the last full cell count for everything but
    /// the plane.
    static func run(
        pixels: UnsafeRawBufferPointer, width: Int, height: Int,
        mask: UnsafeMutableRawBufferPointer?,
        plane: UnsafeMutableBufferPointer<Float>, planeWidth: Int, planeHeight: Int, scale: Int
    ) -> ImageScan {
        let source = pixels.bindMemory(to: UInt8.self)
        let maskBytes = mask?.bindMemory(to: UInt8.self)
        var lumaSum: Int64 = 0
        var clipped = 0
        var skin = 0
        var sumRed: Int64 = 0, sumGreen: Int64 = 0, sumBlue: Int64 = 0
        let cellPixels = Float(scale * scale)
        let lumaToFloat = 1 / Float(SkinMask.one)

        for y in 0..<height {
            // A request past its deadline stops here; the pipeline reports the deadline.
            if y & 63 == 0, ProcessingDeadline.currentThreadDeadlinePassed { break }
            let row = y * width
            let planeRow = y / scale
            let feedsPlane = planeRow < planeHeight
            var rowLuma: Int64 = 0
            var rowRed = 0, rowGreen = 0, rowBlue = 0
            var x = 0
            var cell = planeRow * planeWidth
            let planeEnd = feedsPlane ? planeWidth * scale : 0
            while x < width {
                // Accumulate one cell's worth of this row, then add it to the plane.
                let runEnd = x < planeEnd ? x + scale : width
                var cellLuma: Int64 = 0
                while x < runEnd {
                    let offset = (row + x) * 3
                    let r = Int32(source[offset]), g = Int32(source[offset + 1]), b = Int32(source[offset + 2])
                    let luma = SkinMask.scaledLuma(r, g, b)
                    rowRed &+= Int(r); rowGreen &+= Int(g); rowBlue &+= Int(b)
                    cellLuma += Int64(luma)
                    if luma >= clippedLuma { clipped += 1 }
                    let isSkin = SkinMask.isSkin(r, g, b, scaledLuma: luma)
                    maskBytes?[row + x] = isSkin ? 1 : 0
                    if isSkin { skin += 1 }
                    x += 1
                }
                rowLuma += cellLuma
                if runEnd <= planeEnd {
                    plane[cell] += Float(cellLuma) * lumaToFloat
                    cell += 1
                }
            }
            lumaSum += rowLuma
            sumRed += Int64(rowRed); sumGreen += Int64(rowGreen); sumBlue += Int64(rowBlue)
        }
        for index in plane.indices { plane[index] /= cellPixels }

        let count = Double(width * height)
        return ImageScan(
            meanLuma: Double(lumaSum) / Double(SkinMask.one) / count,
            clippedHighlightFraction: Double(clipped) / count,
            skinPixelCount: skin,
            meanRed: Double(sumRed) / count, meanGreen: Double(sumGreen) / count, meanBlue: Double(sumBlue) / count
        )
    }
}
