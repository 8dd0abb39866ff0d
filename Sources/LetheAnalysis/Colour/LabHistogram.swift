/// Half-unit histograms of L* (0…100) and a*, b* (−80…80) for medians of many pixels' colours
/// (aggregates, never pixels): the face's median skin (`WorkingImage.applyFaceZones`) and its
/// clear skin's (`SkinConcernMeasurer.clearSkinMedian`). Values beyond the range fall in the end
/// bins. Two histograms of disjoint pixels add up to the histogram of all of them, so halves of a
/// plane can be counted side by side.
struct LabHistogram {
    static let lightnessBins = 201, chromaBins = 321
    static let chromaOffset: Float = 80

    /// L*, then a*, then b* bins, one flat array.
    private(set) var bins = [Int](repeating: 0, count: lightnessBins + 2 * chromaBins)
    private(set) var count = 0

    /// Bin of `value` + `offset` in half units (rounded half away from zero), clamped to the bins.
    /// The rounding without libm's `roundf` per channel (the baseline x86-64 has no rounding
    /// instruction) and without a branch on the fraction (one mispredicted half the time cost more
    /// than the call): from ½ up to the last bin, h + ½ is exact or rounds within its integer
    /// part, so truncating it is h rounded; below ½ only 0 is left (h + ½ could round up to 1).
    @inline(__always)
    static func bin(_ value: Float, offset: Float, bins: Int) -> Int {
        let halves = (value + offset) * 2
        guard halves < Float(bins - 1) else { return bins - 1 }
        guard halves >= 0.5 else { return 0 }
        return Int(halves + 0.5)
    }

    /// Counts the colour of every pixel of `pixels` that is `included`.
    @inline(__always)
    mutating func add(_ pixels: Range<Int>, of colour: ColourPixels, where included: (Int) -> Bool) {
        var added = 0
        bins.withUnsafeMutableBufferPointer { bins in
            let aStart = Self.lightnessBins, bStart = Self.lightnessBins + Self.chromaBins
            for i in pixels where included(i) {
                bins[Self.bin(colour.lStar[i], offset: 0, bins: Self.lightnessBins)] += 1
                bins[aStart + Self.bin(colour.aStar[i], offset: Self.chromaOffset, bins: Self.chromaBins)] += 1
                bins[bStart + Self.bin(colour.bStar[i], offset: Self.chromaOffset, bins: Self.chromaBins)] += 1
                added += 1
            }
        }
        count += added
    }

    static func + (left: LabHistogram, right: LabHistogram) -> LabHistogram {
        var sum = left
        for index in sum.bins.indices { sum.bins[index] += right.bins[index] }
        sum.count += right.count
        return sum
    }

    /// The medians (L*, a*, b*): each the first bin where the cumulative count reaches half, as its
    /// bin's value (i/2 − offset); an empty histogram's is its first bin's.
    var median: SIMD3<Float> {
        func median(from start: Int, bins: Int, offset: Float) -> Float {
            var cumulative = 0
            for index in 0..<bins {
                cumulative += self.bins[start + index]
                if cumulative * 2 >= count { return Float(index) / 2 - offset }
            }
            return 0
        }
        return SIMD3(
            median(from: 0, bins: Self.lightnessBins, offset: 0),
            median(from: Self.lightnessBins, bins: Self.chromaBins, offset: Self.chromaOffset),
            median(from: Self.lightnessBins + Self.chromaBins, bins: Self.chromaBins, offset: Self.chromaOffset))
    }
}
