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
/// face's canonical frame) and the band is interpolated back (`bandPass`).
///
/// Why each part (docs/analysis/repeatability.md, "Evenness"): the spread of the raw pixels also
/// holds what the pixels add — sensor and JPEG noise, the resampling of a photo taken larger or
/// smaller, the phase of the pixel grid — which changes with every re-capture, so both scales are
/// fixed in millimetres of the face, not in pixels (below 2 mm is the texture measure's relief;
/// at σ 2 mm a detail at the Nyquist frequency of a face 36 px between the eyes keeps < 0.2 % of
/// its amplitude); and skin's red channel is the first to clip when a photo is brighter (skin's
/// green is ≈ 0.6 of its red), while L* is 21 % red: a clipped red flattened the bright skin's L*
/// and made the spread follow the exposure (Grace Hopper ±⅓ EV: L* spread 6.4 … 7.5), green does not.
enum EvennessBand {
    static let fineSigmaMillimetres = 2.0
    static let coarseSigmaMillimetres = 12.0
    /// The adult mean inter-pupillary distance (Dodgson 2004, 63 mm): a face's scale from its
    /// mesh, continuous and independent of the detector box's ×1.1 pyramid.
    static let interOcularMillimetres = 63.0
    /// Close-ups without a scale: the detectors' nominal 0.2 mm per input pixel.
    static let nominalMillimetresPerPixel = 0.2

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

    /// The band-passed green lightness (NaN where no clear skin is near, or the pixel is not clear
    /// skin: the only pixels evenness reads), an `.intermediate` buffer the caller releases.
    ///
    /// Both normalised convolutions run on d × d block sums (`PlaneFilters.blockStep`) of the clear skin's
    /// lightness and of its weight; each pixel's value is the ratio of the two sums interpolated
    /// bilinearly at its position (numerator and denominator are smooth, their ratio is not where
    /// the skin ends): two passes over the working pixels, and the filters' 24 passes (three per
    /// axis, on the lightness and on its weight, at two σ) over 1/d² of them.
    /// - Parameters:
    ///   - members: 1 where a pixel belongs to a dark mark (left out: a spot is not tone).
    ///   - scratch: `pixelCount` floats lent for the filter's rows (holds nothing after).
    ///   - band: `pixelCount` floats the band is written into, every pixel (NaN off the clear skin);
    ///     the caller lends a plane it reads no more (the marks' smoothed L*): one plane fewer alive.
    static func bandPass(
        _ work: WorkingImage, members: SecureBuffer, workingMillimetres: Double, scratch scratchBuffer: SecureBuffer,
        into band: SecureBuffer, arena: PlaintextArena
    ) throws(LetheError) {
        let count = work.pixelCount
        let (width, height) = (work.width, work.height)
        let fineSigma = fineSigmaMillimetres / workingMillimetres, coarseSigma = coarseSigmaMillimetres / workingMillimetres
        // The two Gaussians (σ 2 and 12 mm: 16 and 98 working px in a face's canonical frame) on
        // blocks of a quarter of the fine σ.
        let grid = PlaneFilters.BlockGrid(step: PlaneFilters.blockStep(sigma: fineSigma), width: width, height: height)
        let (d, samples) = (grid.step, grid.count)
        precondition(band.count >= count * MemoryLayout<Float>.stride)
        // Lightness and weight sums at the fine and at the coarse scale.
        let sums: SecureBuffer
        do { sums = try arena.allocate(count: 4 * samples * MemoryLayout<Float>.stride, bufferClass: .intermediate) } catch {
            throw .analysisAllocationFailed(error, "the evenness band's sums")
        }
        defer { arena.release(sums) }
        band.withUnsafeMutableBytes { bandBytes in
            sums.withUnsafeMutableBytes { sumBytes in
                scratchBuffer.withUnsafeMutableBytes { scratchBytes in
                    work.planes.withUnsafeBytes { planeBytes in
                        work.skin.withUnsafeBytes { skinBytes in
                            members.withUnsafeBytes { memberBytes in
                                let band = bandBytes.bindMemory(to: Float.self), all = sumBytes.bindMemory(to: Float.self)
                                func plane(_ k: Int) -> UnsafeMutableBufferPointer<Float> { UnsafeMutableBufferPointer(rebasing: all[(k * samples)..<((k + 1) * samples)]) }
                                let (fineLight, fineWeight, coarseLight, coarseWeight) = (plane(0), plane(1), plane(2), plane(3))
                                let scratch = UnsafeMutableBufferPointer(rebasing: scratchBytes.bindMemory(to: Float.self)[0..<samples])
                                let lab = planeBytes.bindMemory(to: Float.self), skin = skinBytes.bindMemory(to: UInt8.self)
                                let member = memberBytes.bindMemory(to: UInt8.self)
                                @inline(__always) func isClear(_ i: Int) -> Bool { skin[i] & WorkingImage.skinBit != 0 && member[i] == 0 }
                                // The clear skin's green lightness and weight, summed over each block.
                                for i in 0..<(4 * samples) { all[i] = 0 }
                                SRGB.labFTable.withUnsafeBufferPointer { labF in
                                    for y in 0..<height {
                                        for x in 0..<width {
                                            let i = y * width + x
                                            guard isClear(i) else { continue }
                                            let s = grid.block(x: x, y: y)
                                            fineLight[s] += greenLightness(l: lab[i], a: lab[count + i], b: lab[2 * count + i], labF: labF)
                                            fineWeight[s] += 1
                                        }
                                    }
                                }
                                for s in 0..<samples { coarseLight[s] = fineLight[s]; coarseWeight[s] = fineWeight[s] }
                                for (plane, sigma) in [(fineLight, fineSigma), (fineWeight, fineSigma), (coarseLight, coarseSigma), (coarseWeight, coarseSigma)] {
                                    PlaneFilters.extendedBox(
                                        plane, sigma: PlaneFilters.blockSigma(sigma, step: d, interpolatedBack: true), scratch: scratch,
                                        width: grid.columns, height: grid.rows)
                                }
                                // Each clear pixel: the two smoothed lightnesses at its position, their difference.
                                let minimumWeight = LineDetector.minimumWeight * Float(d * d)
                                for y in 0..<height {
                                    for x in 0..<width {
                                        let i = y * width + x
                                        guard isClear(i) else { band[i] = .nan; continue }
                                        let corners = grid.corners(x: x, y: y)
                                        let fw = grid.read(fineWeight, at: corners), cw = grid.read(coarseWeight, at: corners)
                                        band[i] = fw >= minimumWeight && cw >= minimumWeight
                                            ? grid.read(fineLight, at: corners) / fw - grid.read(coarseLight, at: corners) / cw : .nan
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
