/// Mean CIELAB colour and mean erythema index of the pixels the skin mask accepted.
struct SkinColourStatistics {
    var meanLab: CIELab
    var meanErythemaIndex: Double

    /// Second pass: only pixels with `mask == 1` contribute. Linearisation, CIELAB's f(t) and
    /// log10 are table reads: no transcendental function per pixel.
    static func measure(pixels: UnsafeRawBufferPointer, mask: UnsafeRawBufferPointer, pixelCount: Int, skinPixelCount: Int) -> SkinColourStatistics {
        let sums = SRGB.linearTable.withUnsafeBufferPointer { linear in
            SRGB.log10LinearTable.withUnsafeBufferPointer { log10Linear in
                SRGB.labFTable.withUnsafeBufferPointer { labF in
                    accumulate(
                        pixels: pixels.bindMemory(to: UInt8.self), mask: mask.bindMemory(to: UInt8.self), pixelCount: pixelCount,
                        tables: Tables(linear: linear, log10Linear: log10Linear, labF: labF)
                    )
                }
            }
        }
        let count = Double(max(1, skinPixelCount))
        return SkinColourStatistics(
            meanLab: CIELab(l: sums.l / count, a: sums.a / count, b: sums.b / count),
            meanErythemaIndex: sums.erythema / count
        )
    }

    private struct Tables {
        let linear: UnsafeBufferPointer<Double>
        let log10Linear: UnsafeBufferPointer<Double>
        let labF: UnsafeBufferPointer<Double>

        /// CIELAB f(t) by linear interpolation in `SRGB.labFTable`; in-gamut sRGB gives
        /// 0 ≤ t ≤ 1 (white is the maximum of X/Xn, Y/Yn and Z/Zn).
        @inline(__always)
        func f(_ t: Double) -> Double {
            let position = min(max(t, 0), 1) * Double(SRGB.labFTableSteps)
            let index = min(Int(position), SRGB.labFTableSteps - 1)
            let fraction = position - Double(index)
            return labF[index] + fraction * (labF[index + 1] - labF[index])
        }
    }

    private static func accumulate(
        pixels source: UnsafeBufferPointer<UInt8>, mask: UnsafeBufferPointer<UInt8>, pixelCount: Int, tables: Tables
    ) -> (l: Double, a: Double, b: Double, erythema: Double) {
        let m = SRGB.toXYZ
        var sumL = 0.0, sumA = 0.0, sumB = 0.0, sumErythema = 0.0
        for index in 0..<pixelCount where mask[index] != 0 {
            let r = Int(source[index * 3]), g = Int(source[index * 3 + 1]), b = Int(source[index * 3 + 2])
            let red = tables.linear[r], green = tables.linear[g], blue = tables.linear[b]
            // sRGB → XYZ (D65) → CIELAB, as in `CIELab.fromLinear` (IEC 61966-2-1; CIE 15:2004).
            let fx = tables.f((m.0 * red + m.1 * green + m.2 * blue) / SRGB.whiteX)
            let fy = tables.f(m.3 * red + m.4 * green + m.5 * blue)
            let fz = tables.f((m.6 * red + m.7 * green + m.8 * blue) / SRGB.whiteZ)
            sumL += 116 * fy - 16
            sumA += 500 * (fx - fy)
            sumB += 200 * (fy - fz)
            // Erythema index (Diffey, Oliver & Farr 1984, Br J Dermatol 111:663):
            // EI = 100 · (log10(1/G) − log10(1/R)) = 100 · (log10 R − log10 G) on linear
            // reflectances; the camera's R and G channels stand in for the meter's red and green bands.
            sumErythema += 100 * (tables.log10Linear[r] - tables.log10Linear[g])
        }
        return (sumL, sumA, sumB, sumErythema)
    }
}
