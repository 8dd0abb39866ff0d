/// Reads samples from a Prometheus text exposition (format 0.0.4), as `/metrics` serves it.
public struct PrometheusText: Sendable {
    public let text: String

    public init(_ text: String) { self.text = text }

    /// The value of the sample written exactly `sample` — a name, with its labels when it has
    /// any, e.g. `lethe_wipes_total` or `lethe_requests_total{kind="skin",outcome="ok",code="none",disposition="none"}` —
    /// or nil when there is none.
    public func value(_ sample: String) -> Double? {
        text.split(separator: "\n").first { $0.hasPrefix(sample + " ") }
            .flatMap { Double($0.split(separator: " ").last ?? "") }
    }
}
