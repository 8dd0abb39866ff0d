import Foundation
import LetheAPI
import LetheMemory

/// The band evenness is read from: the lightness of the green channel, 116·G^⅓ − 16 of the linear
/// green (CIELAB's lightness formula on green in place of Y; equal to L* on a grey), band-passed
/// over the clear skin (skin, not a mark) to σ `fineSigmaMillimetres` … `coarseSigmaMillimetres`
/// by a difference of two normalised convolutions (Knutsson & Westin 1993: marks, eyes, hair and
/// background leave no edge). Evenness is the band's spread: tone variation from 2 mm to the
/// largest spot (12 mm), with the face's shading above that taken out.
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

    /// The band-passed green lightness (NaN where no clear skin is near), an `.intermediate`
    /// buffer the caller releases.
    /// - Parameters:
    ///   - members: 1 where a pixel belongs to a dark mark (left out: a spot is not tone).
    ///   - scratch: `pixelCount` floats lent for the filter's rows (holds nothing after).
    static func bandPass(
        _ work: WorkingImage, members: SecureBuffer, workingMillimetres: Double, scratch scratchBuffer: SecureBuffer, arena: PlaintextArena
    ) throws(LetheError) -> SecureBuffer {
        let count = work.pixelCount
        let buffers = try work.allocateFloatPlanes(3, what: "an evenness plane", arena: arena)
        defer { for buffer in buffers.dropFirst() { arena.release(buffer) } }
        let (width, height) = (work.width, work.height)
        buffers[0].withUnsafeMutableBytes { bandBytes in
            buffers[1].withUnsafeMutableBytes { coarseBytes in
                buffers[2].withUnsafeMutableBytes { weightBytes in
                    scratchBuffer.withUnsafeMutableBytes { scratchBytes in
                        work.planes.withUnsafeBytes { planeBytes in
                            work.skin.withUnsafeBytes { skinBytes in
                                members.withUnsafeBytes { memberBytes in
                                    let band = bandBytes.bindMemory(to: Float.self), coarse = coarseBytes.bindMemory(to: Float.self)
                                    let weights = weightBytes.bindMemory(to: Float.self), scratch = scratchBytes.bindMemory(to: Float.self)
                                    let lab = planeBytes.bindMemory(to: Float.self), skin = skinBytes.bindMemory(to: UInt8.self)
                                    let member = memberBytes.bindMemory(to: UInt8.self)
                                    // The green lightness of the clear skin, once.
                                    SRGB.labFTable.withUnsafeBufferPointer { labF in
                                        for i in 0..<count {
                                            let clear = skin[i] & WorkingImage.skinBit != 0 && member[i] == 0
                                            band[i] = clear ? greenLightness(l: lab[i], a: lab[count + i], b: lab[2 * count + i], labF: labF) : 0
                                        }
                                    }
                                    /// `plane` = the normalised convolution of `band` at `sigma` (`plane` may be `band`).
                                    func smooth(_ plane: UnsafeMutableBufferPointer<Float>, sigma: Double) {
                                        for i in 0..<count {
                                            let weight: Float = skin[i] & WorkingImage.skinBit != 0 && member[i] == 0 ? 1 : 0
                                            plane[i] = band[i] * weight
                                            weights[i] = weight
                                        }
                                        extendedBox(plane, sigma: sigma, scratch: scratch, width: width, height: height)
                                        extendedBox(weights, sigma: sigma, scratch: scratch, width: width, height: height)
                                        for i in 0..<count { plane[i] = weights[i] >= LineDetector.minimumWeight ? plane[i] / weights[i] : .nan }
                                    }
                                    // The coarse plane first: the fine one is smoothed in place over the lightness both read.
                                    smooth(coarse, sigma: coarseSigmaMillimetres / workingMillimetres)
                                    smooth(band, sigma: fineSigmaMillimetres / workingMillimetres)
                                    for i in 0..<count { band[i] -= coarse[i] }
                                }
                            }
                        }
                    }
                }
            }
        }
        return buffers[0]
    }

    /// Three passes of an extended box along each axis (Gwosdek, Grewenig, Bruhn & Weickert 2011,
    /// "Theoretical foundations of Gaussian convolution by extended box filtering", SSVM): a box of
    /// radius r with weight α on the next sample each side has any variance, so three passes give
    /// a near-Gaussian kernel of exactly `sigma` pixels (no rounding of the radius: a σ that moves
    /// with the face's size moves the kernel continuously) at a cost independent of it. Zero
    /// beyond the borders (the normalised convolution divides by the weights filtered alike).
    static func extendedBox(
        _ plane: UnsafeMutableBufferPointer<Float>, sigma: Double, scratch: UnsafeMutableBufferPointer<Float>, width: Int, height: Int
    ) {
        let variance = sigma * sigma / 3
        var r = 0
        while Double((r + 1) * (r + 2)) / 3 <= variance { r += 1 }
        let alpha = Double(2 * r + 1) * (variance - Double(r * (r + 1)) / 3) / (2 * (Double((r + 1) * (r + 1)) - variance))
        let edge = Float(alpha), norm = Float(1 / (Double(2 * r + 1) + 2 * alpha))
        for _ in 0..<3 {
            // Rows: plane → scratch, a running sum along each row.
            for y in 0..<height {
                let row = y * width
                var sum: Float = 0
                for t in 0...min(r, width - 1) { sum += plane[row + t] }
                // Near the ends with bounds checks; between them (both neighbours inside) without.
                let interior = (r + 1)..<max(r + 1, width - r - 1)
                func step(_ x: Int) {
                    let outer = (x - r - 1 >= 0 ? plane[row + x - r - 1] : 0) + (x + r + 1 < width ? plane[row + x + r + 1] : 0)
                    scratch[row + x] = (sum + edge * outer) * norm
                    if x + r + 1 < width { sum += plane[row + x + r + 1] }
                    if x - r >= 0 { sum -= plane[row + x - r] }
                }
                for x in 0..<min(interior.lowerBound, width) { step(x) }
                for x in interior {
                    let entering = plane[row + x + r + 1], leaving = plane[row + x - r - 1]
                    scratch[row + x] = (sum + edge * (leaving + entering)) * norm
                    sum += entering - plane[row + x - r]
                }
                for x in min(max(interior.upperBound, interior.lowerBound), width)..<width { step(x) }
            }
            // Columns, walking rows (not columns): row y of `plane` holds column sums over rows
            // y − r … y + r until row y + 1's are derived from them, then becomes row y's result.
            func finish(_ y: Int) {
                let row = y * width, above = y - r - 1, below = y + r + 1
                for x in 0..<width {
                    let outer = (above >= 0 ? scratch[above * width + x] : 0) + (below < height ? scratch[below * width + x] : 0)
                    plane[row + x] = (plane[row + x] + edge * outer) * norm
                }
            }
            for x in 0..<width { plane[x] = 0 }
            for t in 0...min(r, height - 1) {
                for x in 0..<width { plane[x] += scratch[t * width + x] }
            }
            for y in 1..<max(1, height) {
                let row = y * width, entering = y + r, leaving = y - r - 1
                for x in 0..<width {
                    var sum = plane[row - width + x]
                    if entering < height { sum += scratch[entering * width + x] }
                    if leaving >= 0 { sum -= scratch[leaving * width + x] }
                    plane[row + x] = sum
                }
                finish(y - 1)
            }
            finish(height - 1)
        }
    }
}
