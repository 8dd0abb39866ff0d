import LetheImaging

/// What one pass over the pixels measures: exposure, colour, skin coverage (optionally the skin
/// mask, written to an arena buffer) and the box-averaged luma plane used for the blur measure.
struct ImageScan {
    var meanLuma: Double
    var clippedHighlightFraction: Double
    var skinPixelCount: Int
    /// Pixels whose brightest and darkest channels lie `colourSpread` codes or more apart.
    var colourPixelCount = 0
    /// Mean of each sRGB channel (0–255), for the grey-world colour-cast check.
    var meanRed: Double = 0, meanGreen: Double = 0, meanBlue: Double = 0

    /// Largest over smallest channel mean: 1 for a neutral (grey-world) photo.
    var colourCastRatio: Double {
        let high = max(meanRed, meanGreen, meanBlue), low = min(meanRed, meanGreen, meanBlue)
        return high / max(low, 1)
    }

    /// Luma ≥ 250 counts as a clipped highlight.
    static let clippedLuma = 250 * SkinMask.one

    /// A pixel shows colour when its channels lie this many codes apart: a grey decoded from a
    /// black-and-white JPEG has them equal, one stored as colour within 1–3 codes (the chroma
    /// planes' rounding); skin's red and blue lie 20–80 codes apart.
    static let colourSpread = 8

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
        var skin = 0, colour = 0
        var sumRed: Int64 = 0, sumGreen: Int64 = 0, sumBlue: Int64 = 0
        let cellPixels = Float(scale * scale)
        let lumaToFloat = 1 / Float(SkinMask.one)

        let chroma = ChromaTable.packed.baseAddress!, luma = ChromaTable.luma.baseAddress!
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
                    let r = Int(source[offset]), g = Int(source[offset + 1]), b = Int(source[offset + 2])
                    let scaledLuma = luma[r] + luma[256 + g] + luma[512 + b]
                    rowRed &+= r; rowGreen &+= g; rowBlue &+= b
                    if max(r, g, b) - min(r, g, b) >= colourSpread { colour += 1 }
                    cellLuma += Int64(scaledLuma)
                    if scaledLuma >= clippedLuma { clipped += 1 }
                    let isSkin = ChromaTable.isSkin(chroma[r] &+ chroma[256 + g] &+ chroma[512 + b], scaledLuma: scaledLuma)
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
            skinPixelCount: skin, colourPixelCount: colour,
            meanRed: Double(sumRed) / count, meanGreen: Double(sumGreen) / count, meanBlue: Double(sumBlue) / count
        )
    }
}

/// `SkinMask`'s rule from per-channel tables, for the gate's pass over every pixel of the photo:
/// the same integer sums, so the same decisions (test: every 8-bit colour), without the nine
/// multiplications per pixel. Per channel and code: the luma term, and the Cb and Cr terms packed
/// in one `UInt64` (Cb in the high half, Cr in the low), each raised by `bias` so that it is not
/// negative; three such terms add lane by lane without a carry across (each below 2²⁵, their
/// sum below 2²⁷), and the ranges are tested on the raised sums.
enum ChromaTable {
    private static let bias: Int64 = 1 << 23

    /// Red's 256 entries, then green's, then blue's.
    nonisolated(unsafe) static let packed: UnsafeBufferPointer<UInt64> = {
        func channel(_ cb: Int32, _ cr: Int32) -> [UInt64] {
            (0..<256).map { UInt64(Int64(cb) * Int64($0) + bias) << 32 | UInt64(Int64(cr) * Int64($0) + bias) }
        }
        return permanent(channel(SkinMask.cbR, SkinMask.crR) + channel(SkinMask.cbG, SkinMask.crG) + channel(SkinMask.cbB, SkinMask.crB))
    }()

    /// Luma × 65536 per channel and code, in the same layout.
    nonisolated(unsafe) static let luma: UnsafeBufferPointer<Int32> = permanent(
        [SkinMask.lumaR, SkinMask.lumaG, SkinMask.lumaB].flatMap { weight in (0..<256).map { weight * Int32($0) } })

    private static let cbLow = UInt64(Int64(SkinMask.cbMin) + 3 * bias), cbSpan = UInt64(SkinMask.cbMax - SkinMask.cbMin)
    private static let crLow = UInt64(Int64(SkinMask.crMin) + 3 * bias), crSpan = UInt64(SkinMask.crMax - SkinMask.crMin)

    /// The rule on a pixel's summed `packed` entries and its luma × 65536.
    @inline(__always)
    static func isSkin(_ chroma: UInt64, scaledLuma: Int32) -> Bool {
        (chroma >> 32) &- cbLow <= cbSpan && (chroma & 0xFFFF_FFFF) &- crLow <= crSpan
            && scaledLuma >= SkinMask.lumaMin && scaledLuma <= SkinMask.lumaMax
    }

    /// A table that lives as long as the process (read through a raw pointer in the inner loop).
    private static func permanent<Element>(_ values: [Element]) -> UnsafeBufferPointer<Element> {
        let buffer = UnsafeMutableBufferPointer<Element>.allocate(capacity: values.count)
        _ = buffer.initialize(from: values)
        return UnsafeBufferPointer(buffer)
    }
}
