import LetheAPI
import LetheImaging

/// The luma of a rectangle of a photo, box-averaged by a whole factor to a working width: each
/// cell the mean of `scale × scale` source pixels, so the plane is what a sensor with pixels
/// `scale` times larger would have recorded of the same scene. A fractional factor would not be:
/// a cell straddling two source pixels mixes them (a linear interpolation on top of the pixels'
/// own box), which lowers the finest detail the blur index reads — measured on the fixture faces,
/// the astronaut's 103 px box read 0.373 as it is and 0.431 area-averaged to 96 px, Obama's 299 px
/// box 0.288 as it is and 0.378 at 256 px. Never enlarged: a region narrower than the working
/// width is read as it is.
enum RegionLumaPlane {
    /// The plane's size for a `region` at `workingWidth`: the largest whole `scale` that keeps the
    /// plane at least `workingWidth` across (between it and twice it), the same factor down.
    static func size(of region: PixelRect, workingWidth: Int) -> (width: Int, height: Int, scale: Int) {
        let scale = max(1, region.width / max(1, workingWidth))
        return (region.width / scale, region.height / scale, scale)
    }

    /// What one pass measures besides the plane: mean luma and the clipped-highlight fraction of
    /// all the region's source pixels (luma ≥ 250, `ImageScan.clippedLuma`), at full resolution.
    struct Exposure {
        var meanLuma: Double
        var clippedHighlightFraction: Double
    }

    /// Fills `plane` (`size(of:workingWidth:)` cells, zeroed here) with `region`'s luma; the
    /// pixels beyond the last whole cell count for the exposure only.
    static func fill(
        _ plane: UnsafeMutableBufferPointer<Float>, from pixels: UnsafeRawBufferPointer, imageWidth: Int, region: PixelRect,
        workingWidth: Int
    ) -> Exposure {
        let (planeWidth, planeHeight, scale) = size(of: region, workingWidth: workingWidth)
        let source = pixels.bindMemory(to: UInt8.self)
        let luma = ChromaTable.luma.baseAddress!
        let cellWeight = 1 / (Float(SkinMask.one) * Float(scale * scale))
        for index in plane.indices { plane[index] = 0 }
        var lumaSum: Int64 = 0
        var clipped = 0
        let planeColumns = planeWidth * scale
        for y in 0..<region.height {
            // A request past its deadline stops here; the pipeline reports the deadline.
            if y & 63 == 0, ProcessingDeadline.currentThreadDeadlinePassed { break }
            let rowStart = ((region.y + y) * imageWidth + region.x) * DecodedImage.bytesPerPixel
            let cellRow = y / scale
            let feedsPlane = cellRow < planeHeight
            var x = 0
            while x < region.width {
                // One cell's run of this row, then into the plane; past the last whole cell, the
                // rest of the row at once, for the exposure.
                let inPlane = feedsPlane && x < planeColumns
                let cell = cellRow * planeWidth + x / scale
                let runEnd = inPlane ? x + scale : region.width
                var runLuma: Int64 = 0
                while x < runEnd {
                    let offset = rowStart + x * DecodedImage.bytesPerPixel
                    let scaledLuma = luma[Int(source[offset])] + luma[256 + Int(source[offset + 1])] + luma[512 + Int(source[offset + 2])]
                    runLuma += Int64(scaledLuma)
                    if scaledLuma >= ImageScan.clippedLuma { clipped += 1 }
                    x += 1
                }
                lumaSum += runLuma
                if inPlane { plane[cell] += Float(runLuma) * cellWeight }
            }
        }
        let count = Double(region.width * region.height)
        return Exposure(meanLuma: Double(lumaSum) / Double(SkinMask.one) / count, clippedHighlightFraction: Double(clipped) / count)
    }
}
