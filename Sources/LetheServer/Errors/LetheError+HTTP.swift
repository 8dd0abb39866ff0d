import Foundation
import HTTPTypes
import Hummingbird
import LetheEnvelope
import LetheMemory

extension LetheError.Disposition {
    /// The HTTP status of a failure of this kind (RFC 9110 §15). The one place where Lethe chooses
    /// statuses: every code of every module gets its status from its disposition here.
    var status: HTTPResponse.Status {
        switch self {
        case .malformed: .badRequest
        case .unauthenticated: .unauthorized
        case .notFound: .notFound
        case .methodNotAllowed: .methodNotAllowed
        case .unsupportedType: .unsupportedMediaType
        case .tooLarge: .contentTooLarge
        case .timedOut: .requestTimeout
        case .unprocessable: .unprocessableContent
        case .rateLimited: .tooManyRequests
        case .retryLater, .unavailable: .serviceUnavailable
        case .internal: .internalServerError
        }
    }

    /// `Retry-After` for refusals caused by load when the error does not carry its own: the
    /// request may succeed as soon as another one finishes.
    var defaultRetryAfterSeconds: Int? {
        self == .retryLater ? 2 : nil
    }
}

/// Failures answer as RFC 9457 problem documents, like Hummingbird's own errors answer for
/// themselves (`HTTPResponseError`). Routes throw a `LetheError`; `ProblemMiddleware` turns every
/// other error into one first.
extension LetheError: HTTPResponseError {
    /// The HTTP status of this error's code.
    public var status: HTTPResponse.Status { code.disposition.status }

    /// Seconds the caller should wait before retrying, if any.
    var retryAfter: Int? { retryAfterSeconds ?? code.disposition.defaultRetryAfterSeconds }

    /// The problem document of this error (see `problemResponse(receipt:)`).
    public func response(from request: Request, context: some RequestContext) throws -> Response {
        problemResponse()
    }

    /// Codes about the gateway's keys take the `ohttp-key` problem type (RFC 9458 §5.3).
    private static let keyProblemCodes: Set<Code> = [.unknownKeyID, .unsupportedSuite]

    /// `application/problem+json` (RFC 9457): `type`, `title` (the message) and `code`, all strings;
    /// `receipt` carries the signed deletion receipt of a refused gateway request. `Retry-After`
    /// and, for 401, `WWW-Authenticate` (RFC 9110 §11.6.1) go in the headers.
    func problemResponse(receipt: String? = nil) -> Response {
        let type = Self.keyProblemCodes.contains(code) ? "https://iana.org/assignments/http-problem-types#ohttp-key" : "about:blank"
        var document = ["type": type, "title": message, "code": code.rawValue]
        document["receipt"] = receipt
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var headers: HTTPFields = [.contentType: "application/problem+json", .cacheControl: "no-store"]
        if let retryAfter { headers[.retryAfter] = String(retryAfter) }
        if status == .unauthorized { headers[.wwwAuthenticate] = "Bearer" }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: (try? encoder.encode(document)) ?? Data())))
    }
}
