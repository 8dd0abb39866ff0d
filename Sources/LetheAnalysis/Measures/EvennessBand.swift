import Foundation
import LetheAPI
import LetheMemory

/// The band evenness is read from: the lightness of the green channel, 116·G^⅓ − 16 of the linear
/// green (CIELAB's lightness formula on green in place of Y; equal to L* on a grey), band-passed
/// over the clear skin (skin, not a mark) to σ `fineSigmaMillimetres` … `coarseSigmaMillimetres`
/// by a difference of two normalised convolutions (Knutsson & Westin 1993: marks, eyes, hair and
/// background leave no edge). Evenness is the band's spread: tone variation from 2 mm to the
/// largest spot (12 mm), with the face's shading above that taken out. Nothing finer than 2 mm
/// passes, so the filters run on blocks of d × d working pixels (d = ¼ of the fine σ: 4 in a
/// face's canonical frame) and the band is read from them, interpolated (`Blocks`).
///
/// Why each part (docs/analysis/repeatability.md, "Evenness"): the spread of the raw pixels also
/// holds what the pixels add — sensor and JPEG noise, the resampling of a photo taken larger or
/// smaller, the phase of the pixel grid — which changes with every re-capture, so both scales are
/// fixed in millimetres of the face, not in pixels (below 2 mm is the texture measure's relief;
/// at σ 2 mm a detail at the Nyquist frequency of a face 36 px between the eyes keeps < 0.2 % of
/// its amplitude); and skin's red channel is the first to clip when a photo is brighter (skin's
/// green is ≈ 0.6 of its red), while L* is 21 % red: a clipped red flattened the bright skin's L*
/// and made the spread follow the exposure (Grace Hopper ±⅓ EV: L* spread 6.4 … 7.5), green does not.
/// A face's highlights enter at most `highlightMargin` above its median: its green clips too.
enum EvennessBand {
    static let fineSigmaMillimetres = 2.0
    static let coarseSigmaMillimetres = 12.0
    /// A face's clear skin enters the band at most this far (in green lightness, exposure
    /// normalised) above the green lightness of the face's median colour. A highlight is shine,
    /// not tone, and a brighter capture clips it: the green of a pixel at full scale lies at
    /// 116·γ − 16 after the normalisation (γ brings the median to L* 66.5), 20 above a typical
    /// skin median's green (≈ 62.6 at a* 15, b* 18) for a capture whose median is at L* 81, and
    /// higher for any darker one; so capped, the band reads the same highlights whatever the
    /// exposure up to there. Without the cap Grace Hopper's evenness score moved 8 points with
    /// ±⅓ EV alone (the band's spread fell 3.72 → 3.33 as her highlights clipped), with it 4; a
    /// cap of 25 or 30 still moved it 7 and 8, and 15 or 10 cut into the tone itself (the three
    /// portraits' score moved 9 and 14 points: docs/analysis/repeatability.md). Close-ups are not
    /// exposure-normalised: no cap.
    static let highlightMargin: Float = 20
    /// The adult mean inter-pupillary distance (Dodgson 2004, 63 mm): a face's scale from its
    /// mesh, continuous and independent of the detector box's ×1.1 pyramid.
    static let interOcularMillimetres = 63.0
    /// Close-ups without a scale: the detectors' nominal 0.2 mm per input pixel.
    static let nominalMillimetresPerPixel = 0.2
    /// The band's spread is reported only where the fine σ spans this many working pixels: at
    /// most 0.8 mm per working pixel. Coarser, the spread grew and moved with every re-capture:
    /// Grace Hopper's portrait reduced to 0.80, 1.0, 1.2 and 1.36 mm per pixel read 3.6, 3.7,
    /// 3.9 and 4.0 (3.5 as taken, 0.60) and its evenness score moved 5–6, 6–7, 7–8 and 11–12
    /// points over 30 re-captures (4 as taken); the astronaut, at 1.36, 8
    /// (docs/analysis/repeatability.md, "Evenness needs its band resolved").
    static let minimumFineSigmaPixels = 2.5

    /// Whether the working pixels resolve the band, given the scale they resolve (`WorkingImage
    /// .resolvedMillimetres`, the other resolution gates' scale); without a scale (a close-up
    /// with no profile scale) the band is in nominal millimetres and always measured.
    static func measurable(resolvedMillimetres: Double?) -> Bool {
        guard let resolvedMillimetres else { return true }
        return fineSigmaMillimetres / resolvedMillimetres >= minimumFineSigmaPixels
    }

    /// The coarsest input scale at which the band is measured at working factor `factor`.
    static func requiredMillimetresPerPixel(factor: Double) -> Double { fineSigmaMillimetres / minimumFineSigmaPixels / factor }

    /// Millimetres per working pixel for the band: a face's from its inter-ocular distance (in
    /// input pixels), else the given scale, else the nominal one.
    static func workingMillimetres(interOcularPixels: Double?, workingMillimetres: Double?, factor: Double) -> Double {
        if let interOcularPixels, interOcularPixels > 0 { return interOcularMillimetres / (interOcularPixels / factor) }
        return workingMillimetres ?? nominalMillimetresPerPixel * factor
    }

    /// The green lightness of a working pixel from its CIELAB (which holds the mean linear RGB
    /// exactly): green from XYZ (CIE 15:2004 inverted, IEC 61966-2-1's inverse matrix, as
    /// `CIELab.linearSRGB`), then 116·f(G) − 16 with the working image's own f table (as its L*).
    @inline(__always)
    static func greenLightness(l: Float, a: Float, b: Float, labF: UnsafeBufferPointer<Double>) -> Float {
        let fy = (Double(l) + 16) / 116, fx = fy + Double(a) / 500, fz = fy - Double(b) / 200
        let green = -0.969_266_0 * SRGB.whiteX * CIELab.labFInverse(fx) + 1.876_010_8 * CIELab.labFInverse(fy)
            + 0.041_556_0 * SRGB.whiteZ * CIELab.labFInverse(fz)
        let position = min(max(green, 0), 1) * Double(SRGB.labFTableSteps)
        let index = min(Int(position), SRGB.labFTableSteps - 1)
        let f = labF[index] + (position - Double(index)) * (labF[index + 1] - labF[index])
        return Float(116 * f - 16)
    }

    /// The band's two normalised convolutions, filtered on the same block sums of the clear
    /// skin's green lightness (each pixel's value is then read on demand: `Blocks.Reader`).
    ///
    /// Both run on the same d × d block sums (`PlaneFilters.BlockedConvolution`, d from the fine
    /// σ) of the clear skin's lightness and of its weight: one pass over the working pixels, and
    /// the filters' 24 passes (three per axis, on the lightness and on its weight, at two σ) over
    /// 1/d² of them.
    /// - Parameters:
    ///   - members: 1 where a pixel belongs to a dark mark (left out: a spot is not tone).
    ///   - memory: `pixelCount` floats lent for the blocks when they fit (blocks of 3 × 3 or larger:
    ///     the marks' smoothed L*, free once they are found; it is left holding them, wiped when
    ///     its owner releases it); else they get a buffer of their own (`Blocks.release`).
    static func blocks(
        _ work: WorkingImage, members: Plane<UInt8>, workingMillimetres: Double, in memory: Plane<Float>, arena: PlaintextArena
    ) throws(LetheError) -> Blocks {
        let fineSigma = fineSigmaMillimetres / workingMillimetres, coarseSigma = coarseSigmaMillimetres / workingMillimetres
        // The two Gaussians (σ 2 and 12 mm: 16 and 98 working px in a face's canonical frame) on
        // blocks of a quarter of the fine σ.
        let grid = PlaneFilters.BlockGrid(step: PlaneFilters.blockStep(sigma: fineSigma), width: work.width, height: work.height)
        let floats = Blocks.floats(for: grid)
        let blocks: Blocks
        if floats <= memory.count {
            blocks = Blocks(grid: grid, memory: memory, ownsMemory: false)
        } else {
            blocks = Blocks(grid: grid, memory: try Plane(width: floats, height: 1, what: "the evenness band's sums", arena: arena), ownsMemory: true)
        }
        blocks.withConvolutions { fine, coarse in
            let colour = work.colour, skin = work.skin.pixels, member = members.pixels
            // The clear skin's green lightness and weight, summed over each block; then each scale's Gaussian.
            SRGB.labFTable.withUnsafeBufferPointer { labF in
                let cap = work.faceMedianLab.map { greenLightness(l: $0.x, a: $0.y, b: $0.z, labF: labF) + highlightMargin } ?? .infinity
                fine.accumulate { i in
                    skin[i] & WorkingImage.skinBit != 0 && member[i] == 0
                        ? (min(cap, greenLightness(l: colour.lStar[i], a: colour.aStar[i], b: colour.bStar[i], labF: labF)), 1) : (0, 0)
                }
            }
            coarse.copySums(of: fine)
            fine.filter(sigma: fineSigma)
            coarse.filter(sigma: coarseSigma)
        }
        return blocks
    }

    /// The band's filtered blocks (`blocks(_:members:workingMillimetres:in:arena:)`) and room for
    /// `readers` readers' interpolated rows: the band of a clear skin pixel (skin, not a mark: the
    /// only pixels evenness reads) is the fine scale's smoothed lightness at its position minus the
    /// coarse one's, each the ratio of its two sums interpolated bilinearly (numerator and
    /// denominator are smooth, their ratio is not where the skin ends); NaN where either scale has
    /// too little clear skin near. Read a row at a time, as the regions' evenness pass goes: no
    /// plane of its own.
    struct Blocks {
        let grid: PlaneFilters.BlockGrid
        let memory: Plane<Float>
        let ownsMemory: Bool
        /// Readers at once: the regions' two runs side by side.
        static let readers = 2

        /// Floats for `grid`: the two convolutions' blocks and every reader's rows.
        static func floats(for grid: PlaneFilters.BlockGrid) -> Int {
            2 * PlaneFilters.BlockedConvolution.floats(for: grid) + readers * 2 * PlaneFilters.BlockedConvolution.rowReaderFloats(for: grid)
        }

        func release(_ arena: PlaintextArena) {
            if ownsMemory { memory.release(to: arena) }
        }

        /// `body` with the fine and the coarse convolution.
        fileprivate func withConvolutions<R>(_ body: (PlaneFilters.BlockedConvolution, PlaneFilters.BlockedConvolution) -> R) -> R {
            let all = memory.pixels, floats = PlaneFilters.BlockedConvolution.floats(for: grid)
            return body(
                PlaneFilters.BlockedConvolution(grid: grid, memory: UnsafeMutableBufferPointer(rebasing: all[0..<floats])),
                PlaneFilters.BlockedConvolution(grid: grid, memory: UnsafeMutableBufferPointer(rebasing: all[floats..<(2 * floats)])))
        }

        /// `body` with reader `index` (0 ..< `readers`: one per thread reading at once).
        func withReader<R>(_ index: Int, _ body: (Reader) -> R) -> R {
            precondition(index >= 0 && index < Self.readers)
            return withConvolutions { fine, coarse in
                let all = memory.pixels, rows = PlaneFilters.BlockedConvolution.rowReaderFloats(for: grid)
                let start = 2 * PlaneFilters.BlockedConvolution.floats(for: grid) + index * 2 * rows
                return body(Reader(
                    fine: fine.rowReader(rows: UnsafeMutableBufferPointer(rebasing: all[start..<(start + rows)])),
                    coarse: coarse.rowReader(rows: UnsafeMutableBufferPointer(rebasing: all[(start + rows)..<(start + 2 * rows)])),
                    minimumWeight: LineDetector.minimumWeight * Float(grid.step * grid.step)))
            }
        }

        /// The band a pixel row at a time: `load(y:x:)`, then `value(x:)` of its clear skin pixels.
        struct Reader {
            let fine, coarse: PlaneFilters.BlockedConvolution.RowReader
            let minimumWeight: Float

            @inline(__always) func load(y: Int, x: Range<Int>) {
                fine.load(y: y, x: x)
                coarse.load(y: y, x: x)
            }

            /// The band at column x of the loaded row, for a clear skin pixel.
            @inline(__always) func value(x: Int) -> Float {
                let (fineSum, fineWeight) = fine.at(x: x)
                let smoothed = fineWeight >= minimumWeight ? fineSum / fineWeight : .nan
                let (coarseSum, coarseWeight) = coarse.at(x: x)
                return !smoothed.isNaN && coarseWeight >= minimumWeight ? smoothed - coarseSum / coarseWeight : .nan
            }
        }
    }
}
