/// The final status and header section of a binary HTTP response (RFC 9292 §3.5, §3.6).
public struct BinaryHTTPResponseHead: Sendable, Equatable {
    /// The final status code (200...599); informational responses are skipped when parsing.
    public let status: Int
    /// Header fields of the final response in message order, names lower-case.
    public let headerFields: [BinaryHTTPField]

    /// Creates a response head.
    public init(status: Int, headerFields: [BinaryHTTPField]) {
        self.status = status
        self.headerFields = headerFields
    }

    /// The value of header field `name` (case-insensitive); repeated fields are combined with
    /// ", " as RFC 9110 §5.3 allows (`cookie` with "; "). Nil when absent.
    public func field(_ name: String) -> String? {
        headerFields.combinedValue(named: name)
    }
}
