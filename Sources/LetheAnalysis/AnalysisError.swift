import LetheMemory

/// Why an image cannot be analysed. Equality is by `code`; the message names the measured value
/// and the threshold so that a user can fix the photo ("mean luminance 23.1 is below 40").
public struct AnalysisError: Error, Equatable, CustomStringConvertible {
    /// Stable machine code (`lighting_too_dark`, `image_blurry`, …).
    public let code: String
    /// Human explanation with the measured value and the threshold.
    public let message: String

    /// Creates an error with a stable code and a human message.
    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }

    public static func == (lhs: AnalysisError, rhs: AnalysisError) -> Bool { lhs.code == rhs.code }

    static func imageTooSmall(width: Int, height: Int, minimum: Int) -> AnalysisError {
        AnalysisError(code: "image_too_small", message: "image is \(width)×\(height); the shorter side must be at least \(minimum) pixels")
    }

    static func lightingTooDark(meanLuma: Double, minimum: Double) -> AnalysisError {
        AnalysisError(code: "lighting_too_dark", message: "mean luminance \(oneDecimal(meanLuma)) is below \(oneDecimal(minimum))")
    }

    static func lightingTooBright(meanLuma: Double, maximum: Double) -> AnalysisError {
        AnalysisError(code: "lighting_too_bright", message: "mean luminance \(oneDecimal(meanLuma)) is above \(oneDecimal(maximum))")
    }

    static func highlightsClipped(fraction: Double, maximum: Double) -> AnalysisError {
        AnalysisError(
            code: "lighting_too_bright",
            message: "\(oneDecimal(fraction * 100))% of pixels are clipped highlights, above \(oneDecimal(maximum * 100))%"
        )
    }

    static func imageBlurry(laplacianVariance: Double, minimum: Double) -> AnalysisError {
        AnalysisError(code: "image_blurry", message: "sharpness (Laplacian variance) \(oneDecimal(laplacianVariance)) is below \(oneDecimal(minimum))")
    }

    static func noSkinDetected(fraction: Double, minimum: Double) -> AnalysisError {
        AnalysisError(
            code: "no_skin_detected",
            message: "skin covers \(oneDecimal(fraction * 100))% of the image, below the required \(oneDecimal(minimum * 100))%"
        )
    }

    static func colourCast(ratio: Double, maximum: Double) -> AnalysisError {
        AnalysisError(
            code: "colour_cast",
            message: "the brightest colour channel averages \(twoDecimals(ratio))× the darkest, above \(twoDecimals(maximum))×; check the white balance")
    }

    static func faceNotFound() -> AnalysisError {
        AnalysisError(code: "face_not_found", message: "no frontal face was found in the photo")
    }

    static func multipleFaces(_ count: Int) -> AnalysisError {
        AnalysisError(code: "multiple_faces", message: "\(count) faces were found; the photo must show exactly one")
    }

    static func faceTooSmall(widthFraction: Double, minimum: Double) -> AnalysisError {
        AnalysisError(
            code: "face_too_small",
            message: "the face is \(oneDecimal(widthFraction * 100))% of the image width, below the required \(oneDecimal(minimum * 100))%")
    }

    static func faceOutOfBounds(_ detail: String) -> AnalysisError {
        AnalysisError(code: "face_out_of_bounds", message: "the face is cut off by the image border (\(detail))")
    }

    static func missingScale() -> AnalysisError {
        AnalysisError(code: "scale_required", message: "scalp analysis needs the scale: pass profile=NAME or mm_per_pixel=VALUE")
    }

    static func unavailable(_ detail: String) -> AnalysisError {
        AnalysisError(code: "analysis_unavailable", message: detail)
    }

    /// A working buffer could not be had: the memory budget's refusal keeps its own code (the
    /// device should retry later), anything else is `analysis_unavailable`.
    static func allocationFailed(_ error: MemoryError, _ what: String) -> AnalysisError {
        error.code == "memory_budget_exceeded"
            ? AnalysisError(code: error.code, message: error.message)
            : .unavailable("could not allocate \(what) (\(error.code))")
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
