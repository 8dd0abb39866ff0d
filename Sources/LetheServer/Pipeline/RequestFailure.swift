/// A refused or failed request: a stable machine code, the inner HTTP status, and a human message.
///
/// Codes are the contract with devices and tests; messages may change. Messages carry numbers and
/// limits, never request content.
public struct RequestFailure: Error, Equatable, CustomStringConvertible {
    /// Stable snake_case code, e.g. `image_too_large`.
    public let code: String
    /// Inner (or, for envelope failures, outer) HTTP status.
    public let status: Int
    /// Human explanation.
    public let message: String
    /// When set, the device is told to wait this long before retrying (`Retry-After`).
    public var retryAfterSeconds: Int?

    public init(code: String, status: Int, message: String, retryAfterSeconds: Int? = nil) {
        self.code = code
        self.status = status
        self.message = message
        self.retryAfterSeconds = retryAfterSeconds
    }

    public var description: String { "\(status) \(code): \(message)" }

    /// Maps a code raised by a lower module (imaging, analysis, envelope, memory) to its HTTP status.
    /// Codes that mean "not now" rather than "never" carry a default Retry-After.
    public init(code: String, message: String, retryAfterSeconds: Int? = nil) {
        self.init(
            code: code, status: RequestFailure.statusByCode[code] ?? 500, message: message,
            retryAfterSeconds: retryAfterSeconds ?? RequestFailure.retryAfterByCode[code])
    }

    /// Status for each code that lower modules raise; anything unlisted is a 500.
    static let statusByCode: [String: Int] = [
        // Envelope (outer): RFC 9458 §5.2 and §5.3 answer broken envelopes with 400.
        "unknown_key_id": 400, "unsupported_suite": 400, "malformed_envelope": 400, "decryption_failed": 400,
        // Inner request.
        "malformed_bhttp": 400, "not_found": 404, "method_not_allowed": 405,
        "missing_token": 401, "invalid_token": 401, "unknown_kind": 400,
        "empty_body": 400, "payload_too_large": 413, "image_too_large": 413,
        "unsupported_media_type": 415, "image_corrupt": 422, "image_too_complex": 422,
        // Quality gate.
        "image_too_small": 422, "lighting_too_dark": 422, "lighting_too_bright": 422,
        "image_blurry": 422, "no_skin_detected": 422, "colour_cast": 422,
        // Face and scalp analyses (issue 4).
        "face_not_found": 422, "multiple_faces": 422, "face_too_small": 422, "face_out_of_bounds": 422,
        "scale_required": 400, "invalid_parameter": 400, "unknown_profile": 400, "profile_kind_mismatch": 400,
        "malformed_multipart": 400, "too_many_photos": 400,
        // Simulations (issue 6).
        "unknown_concern": 400, "concern_kind_mismatch": 400, "invalid_strength": 400, "invalid_output_dimension": 400,
        "unsupported_output_format": 400, "invalid_output_quality": 400, "simulate_required": 400,
        "model_unreadable": 503, "profile_unreadable": 503, "analysis_unavailable": 503,
        // Worker-side.
        "imaging_unavailable": 503, "plaintext_allocation_failed": 503, "plaintext_arena_closed": 503,
        "ledger_unwritable": 503, "overloaded": 503, "memory_budget_exceeded": 503, "rate_limited": 429,
        "internal_error": 500,
        // Slow clients and runaway inputs (issue 12 §3).
        "upload_too_slow": 408, "worker_draining": 503, "processing_deadline_exceeded": 503,
        // Replay protection (RFC 9458 §6.5; issue 12 §4).
        "date_required": 400, "request_stale": 400, "request_replayed": 400, "replay_cache_full": 503,
        // Public ledger routes (outer, no envelope).
        "malformed_ledger_request": 400, "not_in_ledger": 404, "ledger_unreadable": 503,
    ]

    /// Seconds a device should wait before retrying, for refusals caused by load.
    static let retryAfterByCode: [String: Int] = [
        "overloaded": 2, "memory_budget_exceeded": 2, "worker_draining": 1, "processing_deadline_exceeded": 2,
    ]

    static func notFound(_ path: String) -> RequestFailure {
        RequestFailure(code: "not_found", message: "no resource at this path; analyses are posted to /v1/analyses")
    }

    static func methodNotAllowed(_ method: String) -> RequestFailure {
        RequestFailure(code: "method_not_allowed", message: "\(method) is not allowed on /v1/analyses; use POST")
    }

    static let missingToken = RequestFailure(
        code: "missing_token", message: "the inner request has no 'Authorization: Bearer <token>' field")
    static let invalidToken = RequestFailure(code: "invalid_token", message: "the device token is not recognised")

    static func unknownKind(_ kind: String, supported: [String]) -> RequestFailure {
        let shown = kind.count > 32 ? String(kind.prefix(32)) + "…" : kind
        return RequestFailure(
            code: "unknown_kind",
            message: "kind '\(shown)' is not supported; supported kinds: \(supported.joined(separator: ", "))")
    }

    static func invalidParameter(_ name: String, _ why: String) -> RequestFailure {
        RequestFailure(code: "invalid_parameter", message: "query parameter \(name) \(why)")
    }

    static func unknownProfile(_ name: String, known: [String]) -> RequestFailure {
        let shown = name.count > 40 ? String(name.prefix(40)) + "…" : name
        return RequestFailure(
            code: "unknown_profile",
            message: "device profile '\(shown)' is not configured; configured: \(known.isEmpty ? "none" : known.sorted().joined(separator: ", "))")
    }

    static func profileKindMismatch(_ profile: String, kind: String, kinds: [String]) -> RequestFailure {
        RequestFailure(
            code: "profile_kind_mismatch",
            message: "device profile '\(profile)' takes \(kinds.joined(separator: ", ")), not \(kind)")
    }

    static let emptyBody = RequestFailure(code: "empty_body", message: "the request carries no photo")

    static func overloaded(reason: String) -> RequestFailure {
        RequestFailure(
            code: "overloaded",
            message: reason == "queue_timeout"
                ? "the worker could not start this request in time; retry later"
                : "the worker is at capacity; retry later")
    }

    static func rateLimited(requestsPerMinute: Int, retryAfterSeconds: Int) -> RequestFailure {
        RequestFailure(
            code: "rate_limited",
            message: "this device is over its rate of \(requestsPerMinute) analyses a minute; retry in \(retryAfterSeconds) s",
            retryAfterSeconds: retryAfterSeconds)
    }

    static func payloadTooLarge(_ byteCount: Int, limit: Int) -> RequestFailure {
        RequestFailure(code: "payload_too_large", message: "the photo has \(byteCount) bytes; the limit is \(limit)")
    }

    /// The encapsulated request is (or is announced as) larger than the gateway reads.
    static func envelopeTooLarge(limit: Int) -> RequestFailure {
        RequestFailure(code: "payload_too_large", message: "the encapsulated request exceeds \(limit) bytes")
    }

    /// The body arrived slower than the upload deadline allows (`UploadGuard`).
    static func uploadTooSlow(timeoutSeconds: Double, minBytesPerSecond: Int) -> RequestFailure {
        RequestFailure(
            code: "upload_too_slow",
            message: "the request body did not arrive within \(timeoutSeconds) s plus 1 s per \(minBytesPerSecond) bytes received")
    }

    /// The worker began shutting down while the body was still arriving.
    static let workerDraining = RequestFailure(
        code: "worker_draining", message: "the worker is shutting down; send the request again (another replica will take it)")

    /// The inner request has no usable `Date` field (RFC 9458 §6.5.1).
    static let dateRequired = RequestFailure(
        code: "date_required", message: "the inner request needs a Date field (an HTTP-date, RFC 9110 §5.6.7) for replay protection")

    /// The inner request's `Date` is outside the freshness window (RFC 9458 §6.5.2).
    static func requestStale(offsetSeconds: Double, windowSeconds: Double) -> RequestFailure {
        let direction = offsetSeconds < 0 ? "behind" : "ahead of"
        return RequestFailure(
            code: "request_stale",
            message: "the request's Date is \(Int(abs(offsetSeconds).rounded())) s \(direction) the gateway's clock, outside the ±\(Int(windowSeconds)) s window; correct the clock by the response's Date and retry once")
    }

    /// A copy of an encapsulated request already accepted within its freshness window.
    static let requestReplayed = RequestFailure(
        code: "request_replayed", message: "this encapsulated request was already received; encapsulate a new one to retry")

    /// Every slot of the replay cache holds a request still inside its window.
    static func replayCacheFull(retryAfterSeconds: Int) -> RequestFailure {
        RequestFailure(
            code: "replay_cache_full", message: "the worker is remembering as many recent requests as it can; retry later",
            retryAfterSeconds: retryAfterSeconds)
    }
}
