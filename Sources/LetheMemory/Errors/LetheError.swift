/// Every failure Lethe reports: a stable code, what kind of failure it is, and a message for people.
///
/// One type for every module, in the style of swift-service-lifecycle's `ServiceGroupError` and
/// swift-certificates' `CertificateError`: clients, tests, metrics and the deletion ledger match on
/// `code`, which never changes; the message may be reworded. Each module adds its codes as static
/// members of `LetheError.Code` (and lists them, so that the README's error table can be checked),
/// and keeps small factory functions that write its messages. Modules below the server know nothing
/// of HTTP: the server maps a code's `disposition` to a status in one exhaustive switch.
///
/// A message names numbers, limits, formats and parameter names — never request content (pixels,
/// plaintext, tokens), never a Swift error description. Messages of start-up failures (key files,
/// the ledger directory) may name the operator's own paths; those never reach a device.
public struct LetheError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A stable snake_case code and the kind of failure it is. Equality and hashing are by
    /// `rawValue` alone.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The stable string clients and tests match on, e.g. `image_too_large`.
        public let rawValue: String
        /// What kind of failure this is; decides the HTTP status.
        public let disposition: Disposition

        /// Defines a code. Define each code once, as a static member in the module that raises it,
        /// and add it to that module's list of codes.
        public init(_ rawValue: String, _ disposition: Disposition) {
            self.rawValue = rawValue
            self.disposition = disposition
        }

        public static func == (lhs: Code, rhs: Code) -> Bool { lhs.rawValue == rhs.rawValue }

        public func hash(into hasher: inout Hasher) { hasher.combine(rawValue) }

        /// The raw value.
        public var description: String { rawValue }

        /// The code among `codes` spelled `rawValue`, for tools and tests that read codes as text.
        public static func named(_ rawValue: String, in codes: [Code]) -> Code? {
            codes.first { $0.rawValue == rawValue }
        }
    }

    /// What kind of failure a code is, from the caller's side: whether to fix the request, to
    /// authenticate, to retry later, or nothing the caller can do.
    public enum Disposition: String, Hashable, Sendable, CaseIterable {
        /// The request or input is not well formed, or a parameter is out of range: fix it.
        case malformed
        /// No credentials, or credentials that are not recognised.
        case unauthenticated
        /// Nothing exists at the place named.
        case notFound
        /// The resource exists but does not take this method.
        case methodNotAllowed
        /// The input is of a type that is not accepted.
        case unsupportedType
        /// The input is larger than a configured limit.
        case tooLarge
        /// The caller took longer to send the request than the worker waits.
        case timedOut
        /// Well formed, but its content cannot be used (a dark photo, no face, a damaged file).
        case unprocessable
        /// This caller sent too many requests; `retryAfterSeconds` says when to try again.
        case rateLimited
        /// The worker has no room right now; the same request may succeed later.
        case retryLater
        /// Something the worker needs is missing or failing (a model, libvips, memory, the ledger).
        case unavailable
        /// A fault of the worker or its configuration.
        case `internal`
    }

    /// The stable code.
    public let code: Code
    /// Explanation for people; wording may change. Never request content.
    public let message: String
    /// When set, the caller is told to wait this long before retrying.
    public var retryAfterSeconds: Int?

    /// Creates an error. Prefer the factory functions each module defines next to its codes.
    public init(_ code: Code, _ message: String, retryAfterSeconds: Int? = nil) {
        self.code = code
        self.message = message
        self.retryAfterSeconds = retryAfterSeconds
    }

    /// Equality by code: the message may change wording between releases.
    public static func == (lhs: LetheError, rhs: LetheError) -> Bool { lhs.code == rhs.code }

    public func hash(into hasher: inout Hasher) { hasher.combine(code) }

    /// `code: message`.
    public var description: String { "\(code.rawValue): \(message)" }
}

extension LetheError.Code {
    /// Nothing is published at the path or place named: the ledger's public routes and the
    /// server's (inner and outer) routes both answer it.
    public static let notFound = Self("not_found", .notFound)
    /// A failure nothing more specific describes (a fault of the worker).
    public static let internalError = Self("internal_error", .internal)

    /// The codes no single module owns.
    public static let sharedCodes: [Self] = [.notFound, .internalError]
}

extension LetheError {
    /// A failure nothing more specific describes; its details go to the operator's log only.
    public static let internalError = LetheError(.internalError, "the worker failed unexpectedly")

    /// The error a caller that matches on codes compares against (tests, tools): the code spelled
    /// `rawValue` among `codes`, with an empty message (equality is by code). A name that is not
    /// among `codes` gives the code `unregistered:<name>`, which equals nothing a module throws.
    public static func expected(_ rawValue: String, among codes: [Code]) -> LetheError {
        LetheError(Code.named(rawValue, in: codes) ?? Code("unregistered:\(rawValue)", .internal), "")
    }

    /// A failure to get working memory for `what`, as the module that needed it reports it: the
    /// memory budget's refusal keeps its code (the caller should retry later); anything else
    /// becomes `fallback` (e.g. `analysis_unavailable`), naming the memory failure's code.
    public static func allocationFailed(_ error: LetheError, _ what: String, reportedAs fallback: Code) -> LetheError {
        error.code.disposition == .retryLater
            ? error : LetheError(fallback, "could not allocate \(what) (\(error.code.rawValue))")
    }
}
