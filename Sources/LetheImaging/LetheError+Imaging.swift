import LetheMemory

extension LetheError.Code {
    /// The request carried no image bytes.
    public static let emptyBody = Self("empty_body", .malformed)
    /// The image file is larger than `DecodeLimits.maxBytes`.
    public static let payloadTooLarge = Self("payload_too_large", .tooLarge)
    /// The magic bytes are not one of the allowed formats.
    public static let unsupportedMediaType = Self("unsupported_media_type", .unsupportedType)
    /// The header declares more pixels than `DecodeLimits.maxPixels`.
    public static let imageTooLarge = Self("image_too_large", .tooLarge)
    /// The file would cost far more decoding work than its size suggests.
    public static let imageTooComplex = Self("image_too_complex", .unprocessable)
    /// The data is truncated, damaged or otherwise undecodable.
    public static let imageCorrupt = Self("image_corrupt", .unprocessable)
    /// libvips could not start, a codec is missing, or an encoder failed.
    public static let imagingUnavailable = Self("imaging_unavailable", .unavailable)
    /// The request ran past its wall-clock limit or used up its CPU budget (`ProcessingDeadline`).
    public static let processingDeadlineExceeded = Self("processing_deadline_exceeded", .retryLater)

    /// Every code `LetheImaging` raises (it also passes on `LetheMemory`'s).
    public static let imagingCodes: [Self] = [
        .emptyBody, .payloadTooLarge, .unsupportedMediaType, .imageTooLarge, .imageTooComplex, .imageCorrupt, .imagingUnavailable,
        .processingDeadlineExceeded,
    ]
}

/// Messages name dimensions, limits, the format and the decoding stage — never image bytes.
extension LetheError {
    /// The body was empty.
    public static let emptyBody = LetheError(.emptyBody, "the request carried no image bytes")

    /// The body is larger than `DecodeLimits.maxBytes`.
    public static func payloadTooLarge(byteCount: Int, limit: Int) -> LetheError {
        LetheError(.payloadTooLarge, "image is \(byteCount) bytes, the limit is \(limit)")
    }

    /// The magic bytes are not one of the allowed formats.
    public static let unsupportedMediaType = LetheError(.unsupportedMediaType, "not a JPEG, PNG, WebP or HEIF image")

    /// The header declares more pixels than `DecodeLimits.maxPixels`.
    public static func imageTooLarge(width: Int, height: Int, limit: Int) -> LetheError {
        LetheError(.imageTooLarge, "image is \(width)×\(height) pixels, more than the limit of \(limit) pixels")
    }

    /// A JPEG with more progressive scans than any real encoder writes.
    public static func imageTooComplex(scanLimit: Int) -> LetheError {
        LetheError(.imageTooComplex, "the JPEG has more than \(scanLimit) scans; real encoders write a few dozen at most")
    }

    /// The decoder rejected the file at `stage`.
    public static func imageCorrupt(_ format: ImageFormat, stage: String) -> LetheError {
        LetheError(.imageCorrupt, "the \(format.rawValue) decoder rejected the \(stage) (truncated or damaged data)")
    }

    /// Pixels handed to the encoder do not match their stated dimensions.
    static func pixelBufferMismatch(width: Int, height: Int, bands: Int) -> LetheError {
        LetheError(.imageCorrupt, "pixel buffer does not hold \(width)×\(height)×\(bands) bytes")
    }

    /// libvips could not start, a codec is missing, or an encoder failed.
    public static func imagingUnavailable(_ detail: String) -> LetheError {
        LetheError(.imagingUnavailable, detail)
    }

    /// The request ran past its wall-clock limit or used up its CPU budget (or was ended early).
    public static func processingDeadlineExceeded(_ reason: ProcessingDeadline.Reason, limits: ProcessingDeadline.Limits) -> LetheError {
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
        return LetheError(.processingDeadlineExceeded, message)
    }
}
