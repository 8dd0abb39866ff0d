/// Half-unit histograms of L* (0…100) and a*, b* (−80…80) for medians of many pixels' colours
/// (aggregates, never pixels): the face's median skin (`WorkingImage.applyFaceZones`), its clear
/// skin's (`SkinConcernMeasurer.clearSkinMedian`) and each region's (`RegionStatistics.clearSkin`).
/// Values beyond the range fall in the end bins. Two histograms of disjoint pixels add up to the
/// histogram of all of them, so halves of a plane can be counted side by side.
struct LabHistogram {
    static let lightnessBins = 201, chromaBins = 321
    static let chromaOffset: Float = 80

    /// L*, then a*, then b* bins, one flat array.
    private(set) var bins = [Int](repeating: 0, count: lightnessBins + 2 * chromaBins)
    /// Pixels counted in every channel.
    private(set) var count = 0
    /// Pixels counted in L* alone (`Counter.addLightness`): a clipped pixel, whose rank in L* is
    /// right (it is brighter than the median) though its value and its chroma are not.
    private(set) var lightnessOnlyCount = 0

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

    /// Counts pixels into the bins one at a time, inside `counting` (the bins held as one buffer).
    struct Counter {
        fileprivate let bins: UnsafeMutableBufferPointer<Int>
        fileprivate var added = 0, lightnessOnly = 0

        /// Counts pixel `i`'s L*, a* and b*.
        @inline(__always)
        mutating func add(_ i: Int, of colour: ColourPixels) {
            bins[LabHistogram.bin(colour.lStar[i], offset: 0, bins: LabHistogram.lightnessBins)] += 1
            bins[LabHistogram.lightnessBins + LabHistogram.bin(colour.aStar[i], offset: LabHistogram.chromaOffset, bins: LabHistogram.chromaBins)] += 1
            bins[LabHistogram.lightnessBins + LabHistogram.chromaBins
                + LabHistogram.bin(colour.bStar[i], offset: LabHistogram.chromaOffset, bins: LabHistogram.chromaBins)] += 1
            added += 1
        }

        /// Counts pixel `i`'s L* alone.
        @inline(__always)
        mutating func addLightness(_ i: Int, of colour: ColourPixels) {
            bins[LabHistogram.bin(colour.lStar[i], offset: 0, bins: LabHistogram.lightnessBins)] += 1
            lightnessOnly += 1
        }
    }

    /// Runs `body` with a counter into these bins.
    @inline(__always)
    mutating func counting<Result>(_ body: (inout Counter) -> Result) -> Result {
        let (result, added, lightnessOnly) = bins.withUnsafeMutableBufferPointer { bins in
            var counter = Counter(bins: bins)
            let result = body(&counter)
            return (result, counter.added, counter.lightnessOnly)
        }
        count += added
        lightnessOnlyCount += lightnessOnly
        return result
    }

    /// Counts the colour of every pixel of `pixels` that is `included`.
    @inline(__always)
    mutating func add(_ pixels: Range<Int>, of colour: ColourPixels, where included: (Int) -> Bool) {
        counting { counter in
            for i in pixels where included(i) { counter.add(i, of: colour) }
        }
    }

    static func + (left: LabHistogram, right: LabHistogram) -> LabHistogram {
        var sum = left
        for index in sum.bins.indices { sum.bins[index] += right.bins[index] }
        sum.count += right.count
        sum.lightnessOnlyCount += right.lightnessOnlyCount
        return sum
    }

    /// The medians (L*, a*, b*): each the first bin where the cumulative count reaches half, as its
    /// bin's value (i/2 − offset); an empty histogram's is its first bin's.
    var median: SIMD3<Float> { medians(interpolated: false) }

    /// The medians (L*, a*, b*) of grouped data: within the bin where the cumulative count reaches
    /// half, the point that share of the bin's half unit lies at (L + (n/2 − F)/f · h), so that a
    /// median moves by degrees as pixels move, not by half units. An empty histogram's is its
    /// first bin's lower edge.
    var interpolatedMedian: SIMD3<Float> { medians(interpolated: true) }

    /// L* counts the pixels counted for their lightness alone too.
    private func medians(interpolated: Bool) -> SIMD3<Float> {
        func median(from start: Int, bins: Int, offset: Float, count: Int) -> Float {
            var cumulative = 0
            for index in 0..<bins {
                let inBin = self.bins[start + index]
                if (cumulative + inBin) * 2 >= count {
                    let value = Float(index) / 2 - offset
                    guard interpolated else { return value }
                    return value - 0.25 + 0.5 * (Float(count) / 2 - Float(cumulative)) / Float(max(inBin, 1))
                }
                cumulative += inBin
            }
            return 0
        }
        return SIMD3(
            median(from: 0, bins: Self.lightnessBins, offset: 0, count: count + lightnessOnlyCount),
            median(from: Self.lightnessBins, bins: Self.chromaBins, offset: Self.chromaOffset, count: count),
            median(from: Self.lightnessBins + Self.chromaBins, bins: Self.chromaBins, offset: Self.chromaOffset, count: count))
    }
}
