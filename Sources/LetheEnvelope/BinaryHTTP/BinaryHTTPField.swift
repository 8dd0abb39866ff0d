/// One field line of a binary HTTP header or trailer section (RFC 9292 §3.6).
public struct BinaryHTTPField: Sendable, Equatable, Hashable {
    /// The field name; lower-case when parsed (and lower-cased when encoded).
    public let name: String
    /// The field value.
    public let value: String

    /// Creates a field line.
    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

extension Array where Element == BinaryHTTPField {
    /// RFC 9110 §5.3: every value of the named field, in order, joined by ", " (or "; " for
    /// `cookie`, RFC 9292 §3.6); nil when the field is absent. Names compare case-insensitively.
    func combinedValue(named name: String) -> String? {
        let wanted = name.lowercased()
        let values = filter { $0.name.lowercased() == wanted }.map(\.value)
        guard !values.isEmpty else { return nil }
        return values.joined(separator: wanted == "cookie" ? "; " : ", ")
    }
}
