import LetheAPI
import LetheImaging
import LetheMemory

/// Per-pixel concern labels of a measured crop, drawn by the measures themselves as they count
/// (`SkinConcernMeasurer.measureWithSkinColours(labelling: true)`, `ScalpAnalyzer`): the spots and
/// pores a region counted, the centrelines of the lines the wrinkle measures counted (widened by
/// one pixel on each side so that they show), the pixels the red area counted, and the skin the
/// preview may edit; on a scalp the hairs and flakes counted. The simulations draw these,
/// resampled to their output size (`resampled`), so that a mask shows exactly what was measured,
/// at whatever size it is rendered.
///
/// One byte per label pixel (a `.rendering` plane): bit flags below.
struct ConcernLabels: Sendable {
    static let spot: UInt8 = 1, pore: UInt8 = 2, wrinkle: UInt8 = 4, red: UInt8 = 8
    /// Scalps: a pixel of a counted hair (dark, white or grey) or flake.
    static let hair: UInt8 = 64, flake: UInt8 = 128
    /// The preview may change this pixel: skin, or a spot or pore (a dark mark can fail the skin
    /// colour rule itself).
    static let editable: UInt8 = 16
    /// Clear skin: skin that is no mark, not red, not clipped and not a highlight (the reference colour).
    static let clear: UInt8 = 32
    /// The flags a coarser rendering shows wherever one of its pixel's label pixels has them
    /// (a mark or a line narrower than an output pixel still shows); the others are the label
    /// pixel's under the output pixel's centre.
    static let shownWhereAny: UInt8 = spot | pore | wrinkle | red | hair | flake

    /// The flag each masked concern is drawn from.
    static func flag(of concern: SimulationConcern) -> UInt8 {
        switch concern {
        case .spots: spot
        case .pores: pore
        case .wrinkles: wrinkle
        case .redness: red
        case .hair: hair
        case .flakes: flake
        case .evenness: 0
        }
    }

    let labels: Plane<UInt8>
    /// Where the labels lie: label pixel (x, y) covers the photo's pixels from
    /// (originX + x·factor, originY + y·factor), `factor` across (the working image's frame).
    let originX: Int, originY: Int, width: Int, height: Int
    let factor: Double
    /// Skin and face: what the after-care preview reads besides the labels; nil for a scalp.
    let skin: SkinReference?

    struct SkinReference: Sendable {
        /// Mean colour of the clear skin, as the photo shows it (the preview's fallback background).
        let clearSkin: CIELab
        /// The largest spot's diameter in label pixels: the radius of the preview's clear-skin
        /// background derives from it, as the marks' (`SkinConcernMeasurer.backgroundRadius`).
        let spotMaxDiameter: Double
    }

    func release(_ arena: PlaintextArena) {
        labels.release(to: arena)
    }

    /// The labels in the pixels of the photo scaled to `outputWidth` × `outputHeight`
    /// (`ImageResampler`'s area average: each output pixel covers `photoWidth / outputWidth`
    /// photo pixels across), over the output pixels the labelled crop covers; factor 1 there.
    /// `shownWhereAny` flags are those of any label pixel an output pixel covers, the others the
    /// one under its centre; an output pixel finer than a label pixel takes the one under its centre.
    func resampled(
        photoWidth: Int, photoHeight: Int, outputWidth: Int, outputHeight: Int, arena: PlaintextArena
    ) throws(LetheError) -> ConcernLabels {
        let scaleX = Double(outputWidth) / Double(photoWidth), scaleY = Double(outputHeight) / Double(photoHeight)
        let columns = Self.cover(origin: originX, count: width, factor: factor, scale: scaleX, outputCount: outputWidth)
        let rows = Self.cover(origin: originY, count: height, factor: factor, scale: scaleY, outputCount: outputHeight)
        let outputColumns = columns.spans.count
        let output = try Plane<UInt8>(
            width: outputColumns, height: rows.spans.count, what: "the resampled concern labels", bufferClass: .rendering, arena: arena)
        let source = labels.pixels, target = output.pixels
        for (y, row) in rows.spans.enumerated() {
            for (x, column) in columns.spans.enumerated() {
                var any: UInt8 = 0
                for ly in row.covered { for lx in column.covered { any |= source[ly * width + lx] } }
                let centre = row.centre.flatMap { cy in column.centre.map { cx in source[cy * width + cx] } } ?? 0
                target[y * outputColumns + x] = (any & Self.shownWhereAny) | (centre & ~Self.shownWhereAny)
            }
        }
        return ConcernLabels(
            labels: output, originX: columns.first, originY: rows.first, width: outputColumns, height: rows.spans.count, factor: 1,
            skin: skin.map { .init(clearSkin: $0.clearSkin, spotMaxDiameter: $0.spotMaxDiameter * factor * (scaleX + scaleY) / 2) })
    }

    /// One axis of `resampled`: the output pixels the labels reach (from `first`), and for each the
    /// label pixels it covers and the one under its centre (nil when its centre lies beyond them).
    private static func cover(
        origin: Int, count: Int, factor: Double, scale: Double, outputCount: Int
    ) -> (first: Int, spans: [(covered: Range<Int>, centre: Int?)]) {
        // Output pixel o covers photo pixels [o / scale, (o + 1) / scale); label pixel l covers [origin + l·factor, origin + (l + 1)·factor).
        func label(_ photo: Double) -> Double { (photo - Double(origin)) / factor }
        let first = max(0, Int((Double(origin) * scale).rounded(.down)))
        let end = min(outputCount, Int(((Double(origin) + Double(count) * factor) * scale).rounded(.up)))
        let finer = 1 / scale < factor
        let spans = (first..<max(first, end)).map { o -> (covered: Range<Int>, centre: Int?) in
            let centre = Int(label((Double(o) + 0.5) / scale).rounded(.down))
            let inside = (0..<count).contains(centre) ? centre : nil
            if finer { return (inside.map { $0..<($0 + 1) } ?? 0..<0, inside) }
            let start = max(0, Int(label(Double(o) / scale).rounded(.down)))
            let stop = min(count, Int(label(Double(o + 1) / scale).rounded(.up)))
            return (start..<max(start, stop), inside)
        }
        return (first, spans)
    }
}

extension ConcernLabels {
    /// The labels of a working image, from what its measures counted: `centrelines` (one byte per
    /// pixel, `LineDetector`'s `centrelineBit` on every centreline pixel of a counted line, nil
    /// where lines were not measured) widened by a pixel into the skin as `wrinkle`; `marks`
    /// (indices into `detected.marks`, those a region counted) filled from their first pixel in the
    /// member mask as `spot` or `pore` and `editable`. `labels` already holds what the regions'
    /// statistics drew (`red`, `clear`, `editable`). Faces: nothing outside the zones.
    /// - Parameter queue: at least one `Int32` per working pixel.
    static func finish(
        _ labels: Plane<UInt8>, work: WorkingImage, detected: SkinConcernMeasurer.DetectedMarks, counted marks: [Int],
        centrelines: Plane<UInt8>?, centrelineBit: UInt8, queue: Plane<Float>
    ) {
        let (width, height, count) = (work.width, work.height, work.pixelCount)
        let labels = labels.pixels, members = detected.members.pixels, queue = queue.borrowed(as: Int32.self)
        for index in marks {
            let flag: UInt8
            switch detected.kinds[index] {
            case .spot: flag = spot
            case .pore: flag = pore
            case .other: continue
            }
            // A mark is one 4-connected component of the member mask, as `MarkDetector` grew it.
            FloodFill.fill(from: [detected.marks[index].firstPixel], width: width, height: height, queue: queue) { i in
                guard members[i] != 0, labels[i] & (spot | pore) == 0 else { return false }
                labels[i] |= flag | editable
                return true
            }
        }
        if let lines = centrelines?.pixels {
            let skin = work.skin.pixels
            // Each centreline pixel marks the skin among its 8 neighbours and itself (centrelines are sparse).
            for i in 0..<count where lines[i] & centrelineBit != 0 {
                let x = i % width, y = i / width
                for ny in max(0, y - 1)...min(height - 1, y + 1) {
                    for nx in max(0, x - 1)...min(width - 1, x + 1) where skin[ny * width + nx] & WorkingImage.skinBit != 0 {
                        labels[ny * width + nx] |= wrinkle
                    }
                }
            }
        }
        if let zones = work.zones?.pixels {
            for i in 0..<count where zones[i] == 0 { labels[i] = 0 }
        }
    }
}
