/// The control data and header section of a binary HTTP request (RFC 9292 §3.4, §3.6).
public struct BinaryHTTPRequestHead: Sendable, Equatable {
    /// The request method, e.g. `POST`.
    public let method: String
    /// The scheme, e.g. `https`.
    public let scheme: String
    /// The authority; empty when the request had none.
    public let authority: String
    /// The path with query, e.g. `/v1/analyse`.
    public let path: String
    /// Header fields in message order, names lower-case.
    public let headerFields: [BinaryHTTPField]

    /// Creates a request head.
    public init(method: String, scheme: String, authority: String, path: String, headerFields: [BinaryHTTPField]) {
        self.method = method
        self.scheme = scheme
        self.authority = authority
        self.path = path
        self.headerFields = headerFields
    }

    /// The value of header field `name` (case-insensitive); repeated fields are combined with
    /// ", " as RFC 9110 §5.3 allows (`cookie` with "; "). Nil when absent.
    public func field(_ name: String) -> String? {
        headerFields.combinedValue(named: name)
    }
}
