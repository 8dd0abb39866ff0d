import Foundation
import LetheAPI
import LetheImaging

/// How a photo's skin tone is reported: calibrated by a method, or uncalibrated and held
/// uncertain by a capture model.
enum ToneCalibration: Sendable, Equatable {
    case calibrated(method: String)
    case uncalibrated(ColourCalibration.UncertaintyModel)
}

/// One photo's colour correction (linear sRGB → corrected linear sRGB, applied before CIELAB)
/// and what the result says about it.
struct PhotoColour: Sendable {
    /// Nil: the pixels' own colour.
    var correction: ColourMatrix?
    var report: ColourCalibration
    var tone: ToneCalibration
    /// The profile's grey reference patch, used or not: it is not skin, and a mark found on it
    /// (its edge against the skin) is no spot.
    var referenceRegion: DeviceProfile.FrameRegion? = nil

    static func uncalibrated(
        _ model: ColourCalibration.UncertaintyModel, correction: ColourMatrix? = nil, problem: String? = nil,
        measured: ColourCalibration.GreyReferenceReading? = nil, referenceRegion: DeviceProfile.FrameRegion? = nil
    ) -> PhotoColour {
        PhotoColour(
            correction: correction,
            report: ColourCalibration(status: "uncalibrated", greyReferenceMeasured: measured, greyReferenceProblem: problem, uncertaintyModel: model),
            tone: .uncalibrated(model), referenceRegion: referenceRegion)
    }
}

/// Builds a photo's colour correction from its device profile: the profile's matrix, then, with a
/// grey reference, per-channel gains that bring the (matrix-corrected) patch to its known colour.
enum ColourCalibrator {
    /// A grey patch with more than this fraction of pixels at code ≥ `clippedCode` in any
    /// channel has lost its true colour.
    static let maximumClippedFraction = 0.01
    static let clippedCode = 250
    /// Below this linear level in any channel (L* ≈ 9) the patch is noise and its gain a guess.
    static let minimumLinearLevel = 0.01
    /// A patch whose luminance varies more than this (s.d. / mean) is covered or not the patch:
    /// sensor noise and JPEG leave a few per cent on a real card.
    static let maximumLuminanceVariation = 0.1
    /// Fewer pixels than this are no average.
    static let minimumPatchPixels = 16

    static let matrixMethod = "colour_matrix", greyMethod = "grey_reference", bothMethod = "colour_matrix_and_grey_reference"

    /// - Parameter model: the uncertainty model of an uncalibrated colour.
    static func calibrate(_ image: DecodedImage, profile: DeviceProfile?, model: ColourCalibration.UncertaintyModel) -> PhotoColour {
        let matrix = profile?.colourCorrectionMatrix.map(ColourMatrix.init(rows:))
        guard let grey = profile?.greyReference else {
            guard let matrix else { return .uncalibrated(model) }
            return PhotoColour(
                correction: matrix, report: ColourCalibration(status: "calibrated", method: matrixMethod), tone: .calibrated(method: matrixMethod))
        }
        let patch = measure(grey.region, in: image)
        let measured = patch.map { reading in
            let lab = CIELab.fromLinear(red: reading.mean.red, green: reading.mean.green, blue: reading.mean.blue)
            return ColourCalibration.GreyReferenceReading(lStar: lab.l, aStar: lab.a, bStar: lab.b)
        }
        let base = matrix ?? .identity
        func unusable(_ problem: String) -> PhotoColour {
            .uncalibrated(model, correction: matrix, problem: problem, measured: measured, referenceRegion: grey.region)
        }
        guard let patch else { return unusable("grey_reference_too_small") }
        if patch.clippedFraction > maximumClippedFraction { return unusable("grey_reference_clipped") }
        let corrected = base.apply(patch.mean.red, patch.mean.green, patch.mean.blue)
        if min(corrected.red, corrected.green, corrected.blue) < minimumLinearLevel { return unusable("grey_reference_too_dark") }
        if patch.luminanceVariation > maximumLuminanceVariation { return unusable("grey_reference_not_uniform") }
        // One gain per channel (a von Kries-type diagonal, here in linear sRGB) maps the patch as
        // captured to the patch as it is: exposure and the light's colour at once. Exact for a
        // change that is itself per channel (exposure, a camera's white-balance gains); a light
        // whose spectrum differs otherwise leaves an error the diagonal cannot remove (docs/analysis/devices.md).
        let target = CIELab(l: grey.lStar, a: grey.aStar, b: grey.bStar).linearSRGB()
        let gains = ColourMatrix.diagonal(target.red / corrected.red, target.green / corrected.green, target.blue / corrected.blue)
        let method = matrix == nil ? greyMethod : bothMethod
        return PhotoColour(
            correction: gains * base,
            report: ColourCalibration(status: "calibrated", method: method, greyReferenceMeasured: measured),
            tone: .calibrated(method: method), referenceRegion: grey.region)
    }

    struct PatchReading {
        var mean: (red: Double, green: Double, blue: Double)
        var clippedFraction: Double
        /// Standard deviation / mean of the pixels' relative luminance.
        var luminanceVariation: Double
    }

    /// Mean linear RGB, clipped fraction and luminance spread of the patch; nil with too few pixels.
    static func measure(_ region: DeviceProfile.FrameRegion, in image: DecodedImage) -> PatchReading? {
        let rect = region.pixelRect(imageWidth: image.width, imageHeight: image.height)
        let count = max(0, rect.x1 - rect.x0) * max(0, rect.y1 - rect.y0)
        guard count >= minimumPatchPixels else { return nil }
        let m = SRGB.toXYZ
        var red = 0.0, green = 0.0, blue = 0.0, luminance = 0.0, luminanceSquares = 0.0
        var clipped = 0
        image.pixels.withUnsafeBytes { bytes in
            let table = SRGB.linearTable
            for y in rect.y0..<rect.y1 {
                var offset = (y * image.width + rect.x0) * 3
                for _ in rect.x0..<rect.x1 {
                    let r = Int(bytes[offset]), g = Int(bytes[offset + 1]), b = Int(bytes[offset + 2])
                    if max(r, g, b) >= clippedCode { clipped += 1 }
                    let lr = table[r], lg = table[g], lb = table[b]
                    red += lr; green += lg; blue += lb
                    let y = m.3 * lr + m.4 * lg + m.5 * lb
                    luminance += y; luminanceSquares += y * y
                    offset += 3
                }
            }
        }
        let n = Double(count)
        let meanLuminance = luminance / n
        let variance = max(0, luminanceSquares / n - meanLuminance * meanLuminance)
        return PatchReading(
            mean: (red / n, green / n, blue / n), clippedFraction: Double(clipped) / n,
            luminanceVariation: meanLuminance > 0 ? variance.squareRoot() / meanLuminance : .infinity)
    }
}
