import LetheAPI
import LetheMemory

/// The round field of a trichoscope: many dermatoscopes image a disc and leave the image's corners
/// dark. When all four corners are dark, the dark border is every pixel no lighter than a limit
/// that is connected (4-neighbours) to a corner; the field is the rest (a photo with one dark
/// corner, such as a portrait's shadow, has no field). The scalp analysis has no use for the skin-colour
/// rule, so the working image's mask holds instead: `fieldBit` for the field without a margin along
/// the border (where the 3×3 smoothing mixes border into field), so that the marks see only the
/// field; `WorkingImage.skinBit` (the background's weight) for field pixels that are not much
/// darker than the field's median L*, so that dense dark hair does not pull the background down.
enum TrichoscopeField {
    static let fieldBit: UInt8 = 2

    /// Marks the field and the background's weights in `work.skin`; returns the field's pixel
    /// count (margin included: it is imaged scalp). Unless all four corners are dark the whole image is the field.
    static func mark(
        _ work: WorkingImage, borderMaximumLStar: Float, marginPixels: Int, backgroundBelowMedianLStar: Float, arena: PlaintextArena
    ) throws(LetheError) -> Int {
        let fieldPixels = try markField(work, borderMaximumLStar: borderMaximumLStar, marginPixels: marginPixels, arena: arena)
        weighBackground(lStar: UnsafeBufferPointer(work.lStar), mask: work.skin.pixels, count: work.pixelCount, belowMedian: backgroundBelowMedianLStar)
        return fieldPixels
    }

    /// Median L* of the field (0.25 L* bins), then the weight bit on field pixels above median − `belowMedian`.
    private static func weighBackground(lStar: UnsafeBufferPointer<Float>, mask: UnsafeMutableBufferPointer<UInt8>, count: Int, belowMedian: Float) {
        var histogram = [Int](repeating: 0, count: 401)
        var total = 0
        for i in 0..<count where mask[i] & fieldBit != 0 {
            histogram[min(400, max(0, Int(lStar[i] * 4)))] += 1
            total += 1
        }
        var cumulative = 0, median: Float = 100
        for (bin, value) in histogram.enumerated() {
            cumulative += value
            if cumulative * 2 >= total { median = (Float(bin) + 0.5) / 4; break }
        }
        for i in 0..<count where mask[i] & fieldBit != 0 && lStar[i] >= median - belowMedian { mask[i] |= WorkingImage.skinBit }
    }

    private static func markField(_ work: WorkingImage, borderMaximumLStar: Float, marginPixels: Int, arena: PlaintextArena) throws(LetheError) -> Int {
        let width = work.width, height = work.height, count = work.pixelCount
        let corners = [0, width - 1, (height - 1) * width, count - 1]
        let lStar = UnsafeBufferPointer(work.lStar), mask = work.skin.pixels
        let darkCorners = corners.allSatisfy { lStar[$0] <= borderMaximumLStar }
        for i in 0..<count { mask[i] = darkCorners ? 1 : fieldBit }
        guard darkCorners else { return count }
        let queue = try Plane<Int32>(width: width, height: height, what: "the field queue", arena: arena)
        defer { queue.release(to: arena) }
        let border = floodBorder(
            lStar: lStar, mask: mask, queue: queue.pixels, corners: corners, limit: borderMaximumLStar, width: width, height: height)
        dropMargin(mask: mask, width: width, height: height, margin: marginPixels)
        return count - border
    }

    /// Clears (0) every pixel with L* ≤ `limit` connected to a dark corner; returns how many.
    private static func floodBorder(
        lStar: UnsafeBufferPointer<Float>, mask: UnsafeMutableBufferPointer<UInt8>, queue: UnsafeMutableBufferPointer<Int32>,
        corners: [Int], limit: Float, width: Int, height: Int
    ) -> Int {
        FloodFill.fill(from: corners, width: width, height: height, queue: queue) { i in
            guard mask[i] != 0, lStar[i] <= limit else { return false }
            mask[i] = 0
            return true
        }
    }

    /// Clears field pixels within `margin` (chessboard distance) of the border, row by row: a
    /// horizontal pass marks 2, a vertical pass (against border or 2) marks 3, then only 1 stays.
    private static func dropMargin(mask: UnsafeMutableBufferPointer<UInt8>, width: Int, height: Int, margin: Int) {
        for y in 0..<height {
            let row = y * width
            for x in 0..<width where mask[row + x] == 1 {
                for nx in max(0, x - margin)...min(width - 1, x + margin) where mask[row + nx] == 0 {
                    mask[row + x] = 2
                    break
                }
            }
        }
        for y in 0..<height {
            for x in 0..<width where mask[y * width + x] == 1 {
                for ny in max(0, y - margin)...min(height - 1, y + margin) where mask[ny * width + x] == 0 || mask[ny * width + x] == 2 {
                    mask[y * width + x] = 3
                    break
                }
            }
        }
        for i in 0..<(width * height) { mask[i] = mask[i] == 1 ? fieldBit : 0 }
    }
}
