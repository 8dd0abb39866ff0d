import LetheAnalysis
import LetheImaging
import LetheMemory

// No Foundation, HTTP or Hummingbird here: the multipart fuzz target compiles this file on its own.

extension LetheError.Code {
    // The outer HTTP request, before any plaintext exists.
    /// A gateway request whose body is not `message/ohttp-req` (RFC 9458 §4.1).
    public static let unsupportedEnvelopeMediaType = Self("unsupported_envelope_media_type", .unsupportedType)
    /// The client went away mid-upload.
    public static let requestAborted = Self("request_aborted", .malformed)
    /// No admission slot within the queue limit or the queue timeout.
    public static let overloaded = Self("overloaded", .retryLater)
    /// The body arrived slower than the upload deadline allows (`UploadGuard`).
    public static let uploadTooSlow = Self("upload_too_slow", .timedOut)
    /// The worker began shutting down while the body was still arriving.
    public static let workerDraining = Self("worker_draining", .retryLater)

    // Replay protection (RFC 9458 §6.5), before any photo is looked at (the `Date` checks,
    // `date_required` and `request_stale`, are `LetheEnvelope`'s `RequestFreshness`).
    /// A copy of an encapsulated request already accepted within its window.
    public static let requestReplayed = Self("request_replayed", .malformed)
    /// Every slot of the replay cache holds a request still inside its window.
    public static let replayCacheFull = Self("replay_cache_full", .retryLater)

    // The decrypted inner request.
    /// The path exists but not for this method.
    public static let methodNotAllowed = Self("method_not_allowed", .methodNotAllowed)
    /// No `Authorization: Bearer` token.
    public static let missingToken = Self("missing_token", .unauthenticated)
    /// A token that is not recognised.
    public static let invalidToken = Self("invalid_token", .unauthenticated)
    /// The device is over its request rate.
    public static let rateLimited = Self("rate_limited", .rateLimited)
    /// A `kind` other than skin, face, scalp.
    public static let unknownKind = Self("unknown_kind", .malformed)
    /// A query parameter out of its range.
    public static let invalidParameter = Self("invalid_parameter", .malformed)
    /// A device profile that is not configured.
    public static let unknownProfile = Self("unknown_profile", .malformed)
    /// A device profile that does not take this kind.
    public static let profileKindMismatch = Self("profile_kind_mismatch", .malformed)
    /// A session body that does not follow RFC 7578.
    public static let malformedMultipart = Self("malformed_multipart", .malformed)
    /// More photos in a session than the worker analyses per request.
    public static let tooManyPhotos = Self("too_many_photos", .malformed)
    /// A session part whose name is not one of the device profile's captures.
    public static let unknownCapture = Self("unknown_capture", .malformed)

    // Simulation parameters (`SimulationQuery.parse`).
    /// Strength or output options without `simulate`.
    public static let simulateRequired = Self("simulate_required", .malformed)
    /// A concern name that is not known.
    public static let unknownConcern = Self("unknown_concern", .malformed)
    /// A concern of another kind (e.g. `hair` on a face).
    public static let concernKindMismatch = Self("concern_kind_mismatch", .malformed)
    /// `strength` or `strength.X` not a number in [0, 1].
    public static let invalidStrength = Self("invalid_strength", .malformed)
    /// `max_dimension` outside its range.
    public static let invalidOutputDimension = Self("invalid_output_dimension", .malformed)
    /// `format` not one of the offered output formats.
    public static let unsupportedOutputFormat = Self("unsupported_output_format", .malformed)
    /// `quality` not 1–100.
    public static let invalidOutputQuality = Self("invalid_output_quality", .malformed)

    // The worker itself.
    /// The device tokens file cannot be read.
    public static let tokensFileUnreadable = Self("tokens_file_unreadable", .internal)
    /// A line of the device tokens file is not `device-id token`.
    public static let tokensFileInvalid = Self("tokens_file_invalid", .internal)
    /// The configured memory budget leaves requests too little.
    public static let memoryBudgetTooSmall = Self("memory_budget_too_small", .internal)
    /// The listeners did not come up.
    public static let serverNotStarted = Self("server_not_started", .internal)
    /// The dashboard's resource files are not where the executable looks for them.
    public static let dashboardUnavailable = Self("dashboard_unavailable", .internal)
    /// `--serve-web-client`: the browser client's directory cannot be read or has no index.html.
    public static let webClientUnreadable = Self("web_client_unreadable", .internal)

    /// Every code `LetheServer` raises (it also passes on those of the modules below it).
    public static let serverCodes: [Self] = [
        .unsupportedEnvelopeMediaType, .requestAborted, .overloaded, .uploadTooSlow, .workerDraining,
        .requestReplayed, .replayCacheFull,
        .methodNotAllowed, .missingToken, .invalidToken, .rateLimited, .unknownKind, .invalidParameter,
        .unknownProfile, .profileKindMismatch, .malformedMultipart, .tooManyPhotos, .unknownCapture,
        .simulateRequired, .unknownConcern, .concernKindMismatch, .invalidStrength, .invalidOutputDimension,
        .unsupportedOutputFormat, .invalidOutputQuality,
        .tokensFileUnreadable, .tokensFileInvalid, .memoryBudgetTooSmall, .serverNotStarted, .dashboardUnavailable,
        .webClientUnreadable,
    ]
}

/// Messages carry numbers, limits and names of parameters, never request content; a value echoed
/// from a query is cut short.
extension LetheError {
    static let unsupportedEnvelopeMediaType = LetheError(
        .unsupportedEnvelopeMediaType, "requests to the gateway must be message/ohttp-req (RFC 9458 §4.1)")

    static let requestAborted = LetheError(.requestAborted, "the request body could not be read")

    static func envelopeTooLarge(limit: Int) -> LetheError {
        LetheError(.payloadTooLarge, "the encapsulated request exceeds \(limit) bytes")
    }

    static func overloaded(reason: String) -> LetheError {
        LetheError(
            .overloaded,
            reason == "queue_timeout"
                ? "the worker could not start this request in time; retry later"
                : "the worker is at capacity; retry later")
    }

    static func uploadTooSlow(timeoutSeconds: Double, minBytesPerSecond: Int) -> LetheError {
        LetheError(
            .uploadTooSlow,
            "the request body did not arrive within \(timeoutSeconds) s plus 1 s per \(minBytesPerSecond) bytes received")
    }

    static func photoOverDecodeBudget(pixels: Int, budgetPixels: Int) -> LetheError {
        LetheError(
            .imageTooLarge,
            "the photo declares \(pixels) pixels; this worker decodes at most \(budgetPixels) at once (--decode-budget-megapixels)")
    }

    /// The queue timeout passed before the decode budget had room: the same condition as a
    /// memory reservation that fails, only after waiting for it.
    static func decodeBudgetTimedOut(pixels: Int) -> LetheError {
        LetheError(
            .memoryBudgetExceeded,
            "the worker's decode budget had no room for \(pixels) more pixels within the queue timeout; retry later")
    }

    static let workerDraining = LetheError(
        .workerDraining, "the worker is shutting down; send the request again (another replica will take it)", retryAfterSeconds: 1)

    static let requestReplayed = LetheError(
        .requestReplayed, "this encapsulated request was already received; encapsulate a new one to retry")

    static func replayCacheFull(retryAfterSeconds: Int) -> LetheError {
        LetheError(
            .replayCacheFull, "the worker is remembering as many recent requests as it can; retry later",
            retryAfterSeconds: retryAfterSeconds)
    }

    static let notFound = LetheError(.notFound, "no resource at this path; analyses are posted to /v1/analyses")

    static func methodNotAllowed(_ method: String) -> LetheError {
        LetheError(.methodNotAllowed, "\(shown(method, limit: 16)) is not allowed on /v1/analyses; use POST")
    }

    static let missingToken = LetheError(.missingToken, "the inner request has no 'Authorization: Bearer <token>' field")
    static let invalidToken = LetheError(.invalidToken, "the device token is not recognised")

    static func rateLimited(requestsPerMinute: Int, retryAfterSeconds: Int) -> LetheError {
        LetheError(
            .rateLimited,
            "this device is over its rate of \(requestsPerMinute) analyses a minute; retry in \(retryAfterSeconds) s",
            retryAfterSeconds: retryAfterSeconds)
    }

    static func unknownKind(_ kind: String, supported: [String]) -> LetheError {
        LetheError(.unknownKind, "kind '\(shown(kind, limit: 32))' is not supported; supported kinds: \(supported.joined(separator: ", "))")
    }

    static func invalidParameter(_ name: String, _ why: String) -> LetheError {
        LetheError(.invalidParameter, "query parameter \(name) \(why)")
    }

    static func unknownProfile(_ name: String, known: [String]) -> LetheError {
        LetheError(
            .unknownProfile,
            "device profile '\(shown(name, limit: 40))' is not configured; configured: \(known.isEmpty ? "none" : known.sorted().joined(separator: ", "))")
    }

    static func profileKindMismatch(_ profile: String, kind: AnalysisKind, kinds: [AnalysisKind]) -> LetheError {
        LetheError(.profileKindMismatch, "device profile '\(profile)' takes \(kinds.map(\.rawValue).joined(separator: ", ")), not \(kind.rawValue)")
    }

    static let emptyPhoto = LetheError(.emptyBody, "the request carries no photo")

    static func photoTooLarge(_ byteCount: Int, limit: Int) -> LetheError {
        LetheError(.payloadTooLarge, "the photo has \(byteCount) bytes; the limit is \(limit)")
    }

    static let malformedMultipart = LetheError(.malformedMultipart, "the multipart/form-data body does not follow RFC 7578")

    static func tooManyPhotos(_ count: Int, limit: Int) -> LetheError {
        LetheError(.tooManyPhotos, "the session has \(count) photos; at most \(limit) are analysed per request")
    }

    static func unknownCapture(_ part: String, profile: String, captures: [String]) -> LetheError {
        LetheError(
            .unknownCapture,
            "session part '\(shown(part, limit: 40))' is not a capture of device profile '\(profile)'; its captures: \(captures.sorted().joined(separator: ", "))")
    }

    static func simulateRequired(parameter: String) -> LetheError {
        LetheError(.simulateRequired, "\(shown(parameter, limit: 32)) needs simulate=<concerns>")
    }

    static func unknownConcern(_ name: String) -> LetheError {
        LetheError(
            .unknownConcern,
            "'\(shown(name, limit: 32))' is not a concern that can be simulated; known: \(SimulationConcern.allCases.map(\.rawValue).joined(separator: ", "))")
    }

    static func concernKindMismatch(_ concern: SimulationConcern, kind: AnalysisKind) -> LetheError {
        LetheError(
            .concernKindMismatch,
            "\(concern.rawValue) cannot be simulated for kind=\(kind.rawValue); it exists for \(concern.kinds.map(\.rawValue).joined(separator: ", "))")
    }

    static func invalidStrength(_ text: String, parameter: String) -> LetheError {
        LetheError(.invalidStrength, "\(shown(parameter, limit: 32)) must be a number from 0 to 1, got '\(shown(text, limit: 32))'")
    }

    static func invalidOutputDimension(_ text: String, range: ClosedRange<Int>) -> LetheError {
        LetheError(
            .invalidOutputDimension,
            "max_dimension must be a whole number of pixels from \(range.lowerBound) to \(range.upperBound), got '\(shown(text, limit: 32))'")
    }

    static func unsupportedOutputFormat(_ text: String, offered: [ImageFormat]) -> LetheError {
        LetheError(
            .unsupportedOutputFormat,
            "format '\(shown(text, limit: 32))' is not offered; use \(offered.map(\.rawValue).joined(separator: ", "))")
    }

    static func invalidOutputQuality(_ text: String) -> LetheError {
        LetheError(.invalidOutputQuality, "quality must be a whole number from 1 to 100, got '\(shown(text, limit: 32))'")
    }

    static func webClientUnreadable(_ detail: String) -> LetheError {
        LetheError(.webClientUnreadable, detail)
    }

    /// Request text echoed in a message, cut short.
    static func shown(_ text: String, limit: Int) -> String {
        text.count > limit ? String(text.prefix(limit)) + "…" : text
    }
}
