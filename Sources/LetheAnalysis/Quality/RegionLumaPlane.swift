import LetheAPI
import LetheImaging

/// The luma of a rectangle of a photo, area-averaged to a working width: each output cell is the
/// mean of the source pixels it covers, fractional ones by the part covered (the "area" or "box"
/// resampling of a `scale`-wide cell, for any real `scale ≥ 1`). Never enlarged: a region narrower
/// than the working width is read as it is. One pass over the region's rows, no allocation but
/// the plane and one row the caller provides.
enum RegionLumaPlane {
    /// The plane's size for a `region` at `workingWidth`: `scale` source pixels per cell across
    /// and down (the same factor both ways, so a round face stays round).
    static func size(of region: PixelRect, workingWidth: Int) -> (width: Int, height: Int, scale: Double) {
        guard region.width > workingWidth, workingWidth > 0 else { return (region.width, region.height, 1) }
        let scale = Double(region.width) / Double(workingWidth)
        return (workingWidth, max(1, Int((Double(region.height) / scale).rounded())), scale)
    }

    /// What one pass measures besides the plane: mean luma and the clipped-highlight fraction of
    /// the region's source pixels (luma ≥ 250, `ImageScan.clippedLuma`), at full resolution.
    struct Exposure {
        var meanLuma: Double
        var clippedHighlightFraction: Double
    }

    /// Fills `plane` (`size(of:workingWidth:)` cells, zeroed here) with `region`'s luma, using
    /// `row` (the plane's width) as scratch.
    static func fill(
        _ plane: UnsafeMutableBufferPointer<Float>, row: UnsafeMutableBufferPointer<Float>,
        from pixels: UnsafeRawBufferPointer, imageWidth: Int, region: PixelRect, workingWidth: Int
    ) -> Exposure {
        let (planeWidth, planeHeight, _) = size(of: region, workingWidth: workingWidth)
        let scaleX = Double(region.width) / Double(planeWidth), scaleY = Double(region.height) / Double(planeHeight)
        let source = pixels.bindMemory(to: UInt8.self)
        let luma = ChromaTable.luma.baseAddress!
        let lumaToFloat = 1 / Float(SkinMask.one)
        for index in plane.indices { plane[index] = 0 }
        var lumaSum: Int64 = 0
        var clipped = 0
        for y in 0..<region.height {
            // A request past its deadline stops here; the pipeline reports the deadline.
            if y & 63 == 0, ProcessingDeadline.currentThreadDeadlinePassed { break }
            for index in row.indices { row[index] = 0 }
            let rowStart = ((region.y + y) * imageWidth + region.x) * DecodedImage.bytesPerPixel
            for x in 0..<region.width {
                let offset = rowStart + x * DecodedImage.bytesPerPixel
                let scaledLuma = luma[Int(source[offset])] + luma[256 + Int(source[offset + 1])] + luma[512 + Int(source[offset + 2])]
                lumaSum += Int64(scaledLuma)
                if scaledLuma >= ImageScan.clippedLuma { clipped += 1 }
                spread(Float(scaledLuma) * lumaToFloat, at: x, scale: scaleX, count: planeWidth) { row[$0] += $1 }
            }
            spread(1, at: y, scale: scaleY, count: planeHeight) { cell, weight in
                let base = cell * planeWidth
                for x in 0..<planeWidth { plane[base + x] += weight * row[x] }
            }
        }
        let count = Double(region.width * region.height)
        return Exposure(meanLuma: Double(lumaSum) / Double(SkinMask.one) / count, clippedHighlightFraction: Double(clipped) / count)
    }

    /// Source sample `index` (covering `index ..< index + 1`) split over the cells `scale` wide that
    /// it overlaps (at most two, as `scale ≥ 1`), each share weighted by overlap ÷ `scale` so that a
    /// cell ends as the mean of what it covers.
    @inline(__always)
    private static func spread(_ value: Float, at index: Int, scale: Double, count: Int, _ add: (Int, Float) -> Void) {
        let start = Double(index), cell = min(count - 1, Int(start / scale))
        let boundary = Double(cell + 1) * scale
        let inFirst = min(1, boundary - start)
        if inFirst >= 1 || cell + 1 >= count {
            add(cell, value / Float(scale))
        } else {
            add(cell, value * Float(inFirst / scale))
            add(cell + 1, value * Float((1 - inFirst) / scale))
        }
    }
}
