/// Why an image could not be decoded or encoded. Equality is by `code`, the part clients and
/// tests match on; `message` is for humans and never contains image bytes.
public struct ImagingError: Error, Equatable, CustomStringConvertible {
    /// Stable machine code (`image_too_large`, `image_corrupt`, …).
    public let code: String
    /// Human explanation; may name dimensions, limits and the loader, never image content.
    public let message: String

    /// Creates an error with a stable code and a human message.
    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }

    public static func == (lhs: ImagingError, rhs: ImagingError) -> Bool { lhs.code == rhs.code }

    /// The body was empty.
    public static let emptyBody = ImagingError(code: "empty_body", message: "the request carried no image bytes")

    /// The body is larger than `DecodeLimits.maxBytes`.
    public static func payloadTooLarge(byteCount: Int, limit: Int) -> ImagingError {
        ImagingError(code: "payload_too_large", message: "image is \(byteCount) bytes, the limit is \(limit)")
    }

    /// The magic bytes are not one of the allowed formats.
    public static let unsupportedMediaType = ImagingError(
        code: "unsupported_media_type",
        message: "not a JPEG, PNG, WebP or HEIF image"
    )

    /// The header declares more pixels than `DecodeLimits.maxPixels`.
    public static func imageTooLarge(width: Int, height: Int, limit: Int) -> ImagingError {
        ImagingError(
            code: "image_too_large",
            message: "image is \(width)×\(height) pixels, more than the limit of \(limit) pixels"
        )
    }

    /// The file would cost far more decoding work than its size suggests (a JPEG with thousands of
    /// progressive scans).
    public static func imageTooComplex(scanLimit: Int) -> ImagingError {
        ImagingError(
            code: "image_too_complex",
            message: "the JPEG has more than \(scanLimit) scans; real encoders write a few dozen at most"
        )
    }

    /// The data is truncated, damaged or otherwise undecodable.
    public static func imageCorrupt(_ format: ImageFormat, stage: String) -> ImagingError {
        ImagingError(code: "image_corrupt", message: "the \(format.rawValue) decoder rejected the \(stage) (truncated or damaged data)")
    }

    /// libvips could not start or a codec is missing.
    public static func imagingUnavailable(_ detail: String) -> ImagingError {
        ImagingError(code: "imaging_unavailable", message: detail)
    }

    /// The request ran past its wall-clock limit or used up its CPU budget (or was ended early).
    public static func processingDeadlineExceeded(_ reason: ProcessingDeadline.Reason, limits: ProcessingDeadline.Limits) -> ImagingError {
        func seconds(_ duration: Duration) -> String {
            let (whole, attoseconds) = duration.components
            let milliseconds = attoseconds / 1_000_000_000_000_000
            return milliseconds == 0 ? "\(whole)" : "\(Double(whole) + Double(milliseconds) / 1000)"
        }
        let message = switch reason {
        case .wallClock: "processing was stopped at its wall-clock limit of \(seconds(limits.wallClock)) s"
        case .cpu: "processing was stopped at its CPU budget of \(limits.cpu.map(seconds) ?? "-") s"
        case .ended: "processing was stopped before it finished"
        }
        return ImagingError(code: "processing_deadline_exceeded", message: message)
    }
}
