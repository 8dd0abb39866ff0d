/// Hair shaft width without a skeleton: for every hair pixel, the shortest of the four runs
/// (horizontal, vertical, both diagonals) of hair pixels through it. For a straight band of
/// width w at any angle, the shortest of the four is w / cos φ with |φ| ≤ 22.5°, on average
/// 1.026 w (the mean of 1/cos over φ uniform in [0, 22.5°]); callers divide by that.
enum ShortestChord {
    static let angularBias = 1.026

    /// Writes the shortest chord (in pixels) of each dark pixel (`background − smoothed ≥
    /// darkThreshold`) and each bright pixel (`smoothed − background ≥ brightThreshold`) into
    /// `chord`, runs staying within one polarity (dark hairs, white hairs and flakes are measured
    /// alike); other pixels get 0.
    static func compute(
        smoothed: UnsafeBufferPointer<Float>, background: UnsafeBufferPointer<Float>, darkThreshold: Float, brightThreshold: Float,
        chord: UnsafeMutableBufferPointer<Float>, width: Int, height: Int
    ) {
        let count = width * height
        @inline(__always) func polarity(_ i: Int) -> Int {
            let c = smoothed[i] - background[i]
            return -c >= darkThreshold ? -1 : (c >= brightThreshold ? 1 : 0)
        }
        for i in 0..<count { chord[i] = polarity(i) != 0 ? .greatestFiniteMagnitude : 0 }
        let directions: [(dx: Int, dy: Int, step: Float)] = [(1, 0, 1), (0, 1, 1), (1, 1, 1.414_213_6), (1, -1, 1.414_213_6)]
        for direction in directions {
            // Start every line at a pixel whose predecessor along the direction is outside the image.
            for startY in 0..<height {
                for startX in 0..<width {
                    let px = startX - direction.dx, py = startY - direction.dy
                    if px >= 0, px < width, py >= 0, py < height { continue }
                    var x = startX, y = startY
                    var runLength = 0, runPolarity = 0
                    var runX = 0, runY = 0
                    func close() {
                        guard runLength > 0 else { return }
                        let length = Float(runLength) * direction.step
                        var cx = runX, cy = runY
                        for _ in 0..<runLength {
                            let i = cy * width + cx
                            if length < chord[i] { chord[i] = length }
                            cx += direction.dx; cy += direction.dy
                        }
                        runLength = 0
                        runPolarity = 0
                    }
                    while x >= 0, x < width, y >= 0, y < height {
                        let i = y * width + x
                        let p = chord[i] > 0 ? polarity(i) : 0
                        if p != runPolarity { close() }
                        if p != 0 {
                            if runLength == 0 { runX = x; runY = y; runPolarity = p }
                            runLength += 1
                        }
                        x += direction.dx; y += direction.dy
                    }
                    close()
                }
            }
        }
    }
}

/// Shortest chords in quarter-pixel bins: an aggregate of a hair mark or strand (never pixels),
/// whose percentiles are shaft widths.
struct ChordHistogram: Sendable {
    static let binsPerPixel = 4.0
    static let bins = 256
    private(set) var counts = [Int32](repeating: 0, count: bins)
    private(set) var total = 0

    mutating func add(_ chord: Float) {
        counts[min(Self.bins - 1, Int(Double(chord) * Self.binsPerPixel))] += 1
        total += 1
    }

    mutating func add(_ other: ChordHistogram) {
        for bin in counts.indices { counts[bin] += other.counts[bin] }
        total += other.total
    }

    /// A percentile (0–1) of the chords in pixels; nil when empty.
    func percentile(_ fraction: Double) -> Double? {
        guard total > 0 else { return nil }
        var cumulative = 0
        for (bin, value) in counts.enumerated() {
            cumulative += Int(value)
            if Double(cumulative) >= fraction * Double(total) { return (Double(bin) + 0.5) / Self.binsPerPixel }
        }
        return Double(Self.bins) / Self.binsPerPixel
    }
}
