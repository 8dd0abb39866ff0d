import LetheImaging
import LetheMemory

extension LetheError.Code {
    // Quality gate (`QualityGate`): the photo cannot be measured as it is.
    /// The photo (or the analysed area) is smaller than the measures need.
    public static let imageTooSmall = Self("image_too_small", .unprocessable)
    /// Mean luminance under the minimum.
    public static let lightingTooDark = Self("lighting_too_dark", .unprocessable)
    /// Mean luminance over the maximum, or too many clipped highlights.
    public static let lightingTooBright = Self("lighting_too_bright", .unprocessable)
    /// Too little sharpness (variance of the Laplacian).
    public static let imageBlurry = Self("image_blurry", .unprocessable)
    /// Too few skin-coloured pixels.
    public static let noSkinDetected = Self("no_skin_detected", .unprocessable)
    /// One colour channel dominates (white balance).
    public static let colourCast = Self("colour_cast", .unprocessable)
    /// The photo has no colour (black and white, or a filter took it out).
    public static let imageGreyscale = Self("image_greyscale", .unprocessable)
    /// A JPEG compressed too hard to measure (its blocks and lost chroma read as skin).
    public static let imageTooCompressed = Self("image_too_compressed", .unprocessable)

    // Face analysis.
    /// No frontal face in the photo.
    public static let faceNotFound = Self("face_not_found", .unprocessable)
    /// More than one face.
    public static let multipleFaces = Self("multiple_faces", .unprocessable)
    /// The face is too small a part of the photo.
    public static let faceTooSmall = Self("face_too_small", .unprocessable)
    /// The face, or one of its regions, is cut off by the border.
    public static let faceOutOfBounds = Self("face_out_of_bounds", .unprocessable)
    /// The face is turned sideways (yaw from the face mesh) beyond the limit.
    public static let faceYawOutOfRange = Self("face_yaw_out_of_range", .unprocessable)
    /// The face is tilted up or down (pitch) beyond the limit.
    public static let facePitchOutOfRange = Self("face_pitch_out_of_range", .unprocessable)
    /// The head is tilted to a shoulder (roll, the eye line's angle) beyond the limit.
    public static let faceRollOutOfRange = Self("face_roll_out_of_range", .unprocessable)

    /// A photo's light that this kind is not analysed under (UV photos: `skin` close-ups only).
    public static let lightNotSupported = Self("light_not_supported", .unprocessable)

    // Scalp analysis.
    /// Scalp analysis without the device's scale.
    public static let scaleRequired = Self("scale_required", .malformed)

    // What the analyses need.
    /// A trained model is missing or not a supported file.
    public static let modelUnreadable = Self("model_unreadable", .unavailable)
    /// The landmark model uses an operator, option or tensor type the interpreter does not evaluate.
    public static let modelUnsupported = Self("model_unsupported", .internal)
    /// A device profile is missing or invalid.
    public static let profileUnreadable = Self("profile_unreadable", .unavailable)
    /// A device profile's `colour_correction_matrix` is not three rows of three numbers.
    public static let profileColourMatrixShape = Self("profile_colour_matrix_shape", .unavailable)
    /// A device profile's colour-correction matrix has an entry that is not a finite number.
    public static let profileColourMatrixNotFinite = Self("profile_colour_matrix_not_finite", .unavailable)
    /// A device profile's colour-correction matrix has an entry or a row sum beyond the bounds.
    public static let profileColourMatrixOutOfBounds = Self("profile_colour_matrix_out_of_bounds", .unavailable)
    /// A device profile's colour-correction matrix is not invertible or nearly so.
    public static let profileColourMatrixSingular = Self("profile_colour_matrix_singular", .unavailable)
    /// A device profile's grey reference region is not inside the frame, or too small.
    public static let profileGreyReferenceRegion = Self("profile_grey_reference_region", .unavailable)
    /// A device profile's grey reference colour is not a neutral of usable lightness.
    public static let profileGreyReferenceColour = Self("profile_grey_reference_colour", .unavailable)
    /// A model, the encoder or working memory is not available for this analysis.
    public static let analysisUnavailable = Self("analysis_unavailable", .unavailable)

    /// Every code `LetheAnalysis` raises (it also passes on `LetheImaging`'s and `LetheMemory`'s).
    public static let analysisCodes: [Self] = [
        .imageTooSmall, .lightingTooDark, .lightingTooBright, .imageBlurry, .noSkinDetected, .colourCast, .imageGreyscale, .imageTooCompressed,
        .faceNotFound, .multipleFaces, .faceTooSmall, .faceOutOfBounds, .faceYawOutOfRange, .facePitchOutOfRange,
        .faceRollOutOfRange, .scaleRequired, .lightNotSupported,
        .modelUnreadable, .modelUnsupported, .profileUnreadable, .analysisUnavailable,
        .profileColourMatrixShape, .profileColourMatrixNotFinite, .profileColourMatrixOutOfBounds, .profileColourMatrixSingular,
        .profileGreyReferenceRegion, .profileGreyReferenceColour,
    ]
}

/// Messages name the measured value and the threshold, so that a user can fix the photo ("mean
/// luminance 23.1 is below 40"), or the parameter and its allowed range.
extension LetheError {
    static func imageTooSmall(width: Int, height: Int, minimum: Int) -> LetheError {
        LetheError(.imageTooSmall, "image is \(width)×\(height); the shorter side must be at least \(minimum) pixels")
    }

    static func analysedAreaTooSmall(width: Int, height: Int) -> LetheError {
        LetheError(.imageTooSmall, "the analysed area is \(width)×\(height) pixels, too small to measure")
    }

    static func scalpFieldTooSmall(fieldPixels: Int, pixels: Int) -> LetheError {
        LetheError(.imageTooSmall, "the trichoscope's round field is \(fieldPixels * 100 / max(1, pixels)) % of the photo (dark corners and border around it), too little scalp to measure; at least 10 % is needed")
    }

    static func lightingTooDark(meanLuma: Double, minimum: Double) -> LetheError {
        LetheError(.lightingTooDark, "mean luminance \(oneDecimal(meanLuma)) is below \(oneDecimal(minimum))")
    }

    static func lightingTooBright(meanLuma: Double, maximum: Double) -> LetheError {
        LetheError(.lightingTooBright, "mean luminance \(oneDecimal(meanLuma)) is above \(oneDecimal(maximum))")
    }

    static func highlightsClipped(fraction: Double, maximum: Double) -> LetheError {
        LetheError(.lightingTooBright, "\(oneDecimal(fraction * 100))% of pixels are clipped highlights, above \(oneDecimal(maximum * 100))%")
    }

    static func skinClipped(fraction: Double, maximum: Double) -> LetheError {
        LetheError(
            .lightingTooBright,
            "\(oneDecimal(fraction * 100))% of the face's skin has a channel clipped at the camera's saturation, above the device profile's \(oneDecimal(maximum * 100))%: its colour is lost there; retake with less exposure")
    }

    static func imageBlurry(laplacianVariance: Double, minimum: Double) -> LetheError {
        LetheError(.imageBlurry, "sharpness (Laplacian variance) \(oneDecimal(laplacianVariance)) is below \(oneDecimal(minimum))")
    }

    static func imageBlurry(blurIndex: Double, maximum: Double) -> LetheError {
        LetheError(.imageBlurry, "blur index \(twoDecimals(blurIndex)) is above \(twoDecimals(maximum)) (0 sharp, 1 no detail)")
    }

    static func noSkinDetected(fraction: Double, minimum: Double) -> LetheError {
        LetheError(.noSkinDetected, "skin covers \(oneDecimal(fraction * 100))% of the image, below the required \(oneDecimal(minimum * 100))%")
    }

    /// Every zone of a face covered (`FaceAnalysisConfiguration.maxZoneCoveredFraction`): hair, a mask or hands over it.
    static func faceCovered(maximum: Double) -> LetheError {
        LetheError(
            .noSkinDetected,
            "no face zone is left to measure: each is covered (hair, a mask, hands) past \(oneDecimal(maximum * 100))% of its surface, or shows no skin")
    }

    static func colourCast(ratio: Double, maximum: Double) -> LetheError {
        LetheError(
            .colourCast,
            "the brightest colour channel averages \(twoDecimals(ratio))× the darkest, above \(twoDecimals(maximum))×; check the white balance")
    }

    static func imageGreyscale(fraction: Double, minimum: Double) -> LetheError {
        LetheError(
            .imageGreyscale,
            "\(oneDecimal(fraction * 100))% of the pixels show colour, below \(oneDecimal(minimum * 100))%: a black-and-white photo, or a filter took the colour out; skin tone, redness and pigment need the colour; retake without the filter")
    }

    static func imageTooCompressed(quality: Double, minimum: Double) -> LetheError {
        LetheError(
            .imageTooCompressed,
            "the JPEG is compressed as at quality \(Int(quality.rounded())), below \(Int(minimum.rounded())): its 8×8 blocks and lost colour would be measured as skin; send the camera's own file or save at a higher quality")
    }

    static let faceNotFound = LetheError(.faceNotFound, "no frontal face was found in the photo")

    static func multipleFaces(_ count: Int) -> LetheError {
        LetheError(.multipleFaces, "\(count) faces were found; the photo must show exactly one")
    }

    static func faceTooSmall(widthFraction: Double, minimum: Double) -> LetheError {
        LetheError(.faceTooSmall, "the face is \(oneDecimal(widthFraction * 100))% of the image width, below the required \(oneDecimal(minimum * 100))%")
    }

    static func faceOutOfBounds(_ detail: String) -> LetheError {
        LetheError(.faceOutOfBounds, "the face is cut off by the image border (\(detail))")
    }

    static func facePose(_ code: LetheError.Code, _ axis: String, _ degrees: Double, _ limit: Double) -> LetheError {
        LetheError(code, "the face's \(axis) is \(oneDecimal(degrees))°, beyond the ±\(oneDecimal(limit))° the face zones are drawn for; face the camera")
    }

    static func regionOutOfBounds(_ region: String) -> LetheError {
        LetheError(.faceOutOfBounds, "the \(region) region lies outside the photo")
    }

    static func lightNotSupported(_ light: DeviceProfile.Light, kind: AnalysisKind) -> LetheError {
        LetheError(.lightNotSupported, "kind=\(kind.rawValue) photos under \(light.rawValue) light are not analysed; UV photos are measured as kind=skin close-ups")
    }

    static let simulationNeedsVisibleLight = LetheError(
        .lightNotSupported, "simulations render photos under visible light; send the UV photo without simulate, or a normal or cross-polarised photo first in the session")

    static let scaleRequired = LetheError(.scaleRequired, "scalp analysis needs the scale: pass profile=NAME or mm_per_pixel=VALUE")

    static func modelUnreadable(_ detail: String) -> LetheError {
        LetheError(.modelUnreadable, detail)
    }

    static func profileUnreadable(_ detail: String) -> LetheError {
        LetheError(.profileUnreadable, detail)
    }

    static func analysisUnavailable(_ detail: String) -> LetheError {
        LetheError(.analysisUnavailable, detail)
    }

    /// A working buffer for `what` could not be had: the memory budget's refusal keeps its code,
    /// anything else is `analysis_unavailable`.
    static func analysisAllocationFailed(_ error: LetheError, _ what: String) -> LetheError {
        .allocationFailed(error, what, reportedAs: .analysisUnavailable)
    }

    static func twoDecimals(_ value: Double) -> String {
        guard value.isFinite else { return "\(value)" }
        return "\((value * 100).rounded() / 100)"
    }

    /// "23.1" rather than "23.123456789": messages are read by people.
    static func oneDecimal(_ value: Double) -> String {
        guard value.isFinite else { return "\(value)" }
        let rounded = (value * 10).rounded() / 10
        return rounded == rounded.rounded() ? "\(Int(rounded))" : "\(rounded)"
    }
}
