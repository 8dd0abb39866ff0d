/// The working image's colour, read and written pixel by pixel: L* as floats (the filters read
/// it), a*, b* and the erythema index in 16 bits each (`FixedLayer`).
struct ColourPixels {
    let lStar: UnsafeBufferPointer<Float>
    let aStar: FixedLayer, bStar: FixedLayer, erythema: FixedLayer

    /// `chroma`: a*, b* and the erythema index, one layer of `lStar.count` codes after the other.
    init(lStar: UnsafeBufferPointer<Float>, chroma: UnsafeMutableBufferPointer<Int16>) {
        let count = lStar.count
        precondition(chroma.count == 3 * count, "three layers of codes for each L*")
        func layer(_ k: Int) -> FixedLayer { FixedLayer(codes: UnsafeMutableBufferPointer(rebasing: chroma[(k * count)..<((k + 1) * count)])) }
        self.lStar = lStar
        (aStar, bStar, erythema) = (layer(0), layer(1), layer(2))
    }
}

/// A plane of values in steps of 1/128 as 16-bit codes, within ±256: CIELAB a* and b* (±128 for
/// any sRGB colour) and the erythema index (±256 holds every ratio of skin's red to green; only a
/// saturated red or green past 360 : 1 is clamped). A code is its value rounded to the nearest
/// step, 0.004 at most from it — a mean over a region moves by no more — for half a float's memory.
struct FixedLayer {
    let codes: UnsafeMutableBufferPointer<Int16>

    static let stepsPerUnit: Float = 128

    @inline(__always)
    subscript(index: Int) -> Float {
        get { Float(codes[index]) * (1 / Self.stepsPerUnit) }
        nonmutating set { codes[index] = Self.code(newValue) }
    }

    /// The code nearest `value`, clamped to the codes (NaN: the lowest). Without Swift's checked
    /// conversion or libm (the baseline x86-64 has no rounding instruction): the
    /// clamped value plus 1.5 × 2²³ is rounded to a whole number by the addition itself (from 2²³
    /// a float's step is 1), which is then the sum's bits less those of 1.5 × 2²³. The working
    /// image writes three codes a pixel: checked conversions there were 15 ms of a face request.
    @inline(__always)
    static func code(_ value: Float) -> Int16 {
        let scaled = value * stepsPerUnit, limit = Float(Int16.max)
        // A NaN compares false: the lowest code.
        let clamped = scaled > -limit ? (scaled < limit ? scaled : limit) : -limit
        return Int16(truncatingIfNeeded: Int32(bitPattern: (clamped + roundingMagic).bitPattern) &- Int32(bitPattern: roundingMagic.bitPattern))
    }

    private static let roundingMagic: Float = 12_582_912
}
