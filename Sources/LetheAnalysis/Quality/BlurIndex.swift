import LetheImaging

/// Focus as a ratio, not an absolute: the no-reference blur metric of Crété-Roffet, Dolmière,
/// Ladret & Nicolas (2007), "The blur effect: perception and estimation with a new no-reference
/// perceptual blur metric", Proc. SPIE 6492, Human Vision and Electronic Imaging XII, 64920I.
///
/// The image is blurred again by a 9-tap box along each axis; the neighbour differences that
/// the re-blur removes are the detail the image had. A sharp image loses most of its variation
/// to the re-blur, an already blurred one almost none. Per axis,
/// `blur = (Σ D_F − Σ max(0, D_F − D_B)) / Σ D_F` with `D` the absolute neighbour difference of
/// the image `F` and of its re-blur `B`; the index is the larger of the two axes, 0 (sharp) to 1
/// (no detail at all). Scaling the contrast scales both sums, so a smooth, faint, sharp skin
/// close-up reads as sharp as a contrasty one — unlike the variance of the Laplacian, which
/// grows with the square of the contrast.
///
/// One change to the paper: the image's differences lose a dead zone of one luma level first.
/// Without it the 8-bit quantisation steps of a faint blurred image — one level, and perfectly
/// sharp — make it read sharp (measured: a close-up of 1.5 ΔL* detail blurred by σ = 2 px gave
/// 0.29, against 0.15 sharp and 0.57 for the same at 12 ΔL*).
enum BlurIndex {
    /// Half the re-blur's box: 9 taps, as in the paper.
    static let radius = 4
    /// Neighbour differences up to one luma level are quantisation or noise, not detail.
    static let deadZoneLuma: Float = 1

    /// Blur index of a `width × height` plane; 1 when the plane is too small or has no variation.
    /// `scratch`: at least `scratchCount(width:)` floats (the vertical axis' running state, which
    /// holds a row of the plane: an arena buffer, as the plane is).
    static func measure(_ plane: UnsafeBufferPointer<Float>, width: Int, height: Int, scratch: UnsafeMutableBufferPointer<Float>) -> Double {
        guard width > 2 * radius + 1, height > 2 * radius + 1 else { return 1 }
        let horizontal = axis(plane, step: 1, along: width, across: height, acrossStep: width)
        let vertical = columns(plane, width: width, height: height, scratch: scratch)
        return max(horizontal, vertical)
    }

    /// The floats of scratch `measure` needs for a plane `width` wide: `scratchRows` rows of column state.
    static func scratchCount(width: Int) -> Int { scratchRows * width }
    static let scratchRows = 5

    /// One axis: `along` samples `step` apart on each of `across` lines `acrossStep` apart.
    /// Edges are clamped for the box, as the paper's filter leaves them undefined.
    static func axis(_ plane: UnsafeBufferPointer<Float>, step: Int, along: Int, across: Int, acrossStep: Int) -> Double {
        var sumImage = 0.0, sumKept = 0.0
        let taps = Float(2 * radius + 1)
        for line in 0..<across {
            // A request past its deadline stops here; the pipeline reports the deadline.
            if line & 63 == 0, ProcessingDeadline.currentThreadDeadlinePassed { break }
            let base = line * acrossStep
            func sample(_ index: Int) -> Float { plane[base + min(along - 1, max(0, index)) * step] }
            // Running 9-tap box sum at position 0.
            var box: Float = 0
            for k in -radius...radius { box += sample(k) }
            var previousValue = sample(0), previousBlurred = box / taps
            var lineImage: Float = 0, lineKept: Float = 0
            for index in 1..<along {
                box += sample(index + radius) - sample(index - radius - 1)
                let value = sample(index), blurred = box / taps
                let differenceImage = max(0, abs(value - previousValue) - deadZoneLuma)
                let differenceBlurred = abs(blurred - previousBlurred)
                lineImage += differenceImage
                lineKept += max(0, differenceImage - differenceBlurred)
                previousValue = value
                previousBlurred = blurred
            }
            sumImage += Double(lineImage)
            sumKept += Double(lineKept)
        }
        guard sumImage > 0 else { return 1 }
        return (sumImage - sumKept) / sumImage
    }

    /// `axis` down the columns (`step` = width, a line per column), walked a row at a time with
    /// every column's running state side by side: a column walk strides a whole row per sample
    /// and misses the cache at each. Per column the same operations in the same order, and the
    /// columns' sums added in column order: the same figure, bit for bit.
    static func columns(_ plane: UnsafeBufferPointer<Float>, width: Int, height: Int, scratch: UnsafeMutableBufferPointer<Float>) -> Double {
        precondition(scratch.count >= scratchCount(width: width), "the blur index's scratch is smaller than five rows")
        let taps = Float(2 * radius + 1)
        @inline(__always) func row(_ index: Int) -> Int { min(height - 1, max(0, index)) * width }
        @inline(__always) func state(_ k: Int) -> UnsafeMutableBufferPointer<Float> {
            let rows = UnsafeMutableBufferPointer(rebasing: scratch[(k * width)..<((k + 1) * width)])
            rows.update(repeating: 0)
            return rows
        }
        let box = state(0), previousValue = state(1), previousBlurred = state(2), lineImage = state(3), lineKept = state(4)
        for k in -radius...radius {
            let r = row(k)
            for x in 0..<width { box[x] += plane[r + x] }
        }
        for x in 0..<width {
            previousValue[x] = plane[x]
            previousBlurred[x] = box[x] / taps
        }
        for index in 1..<height {
            // A request past its deadline stops here; the pipeline reports the deadline.
            if index & 63 == 0, ProcessingDeadline.currentThreadDeadlinePassed { break }
            let entering = row(index + radius), leaving = row(index - radius - 1), current = index * width
            for x in 0..<width {
                box[x] += plane[entering + x] - plane[leaving + x]
                let value = plane[current + x], blurred = box[x] / taps
                let differenceImage = max(0, abs(value - previousValue[x]) - deadZoneLuma)
                let differenceBlurred = abs(blurred - previousBlurred[x])
                lineImage[x] += differenceImage
                lineKept[x] += max(0, differenceImage - differenceBlurred)
                previousValue[x] = value
                previousBlurred[x] = blurred
            }
        }
        var sumImage = 0.0, sumKept = 0.0
        for x in 0..<width {
            sumImage += Double(lineImage[x])
            sumKept += Double(lineKept[x])
        }
        guard sumImage > 0 else { return 1 }
        return (sumImage - sumKept) / sumImage
    }
}
