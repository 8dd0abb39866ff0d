import Foundation
import LetheEnvelope

/// What the decrypted inner request asks for, after routing and query parsing (no photo bytes).
struct InnerRoute: Equatable {
    /// Analysis kinds this worker measures.
    static let supportedKinds = ["skin"]

    let kind: String

    /// Routes `POST /v1/analyses?kind=…`; `kind` defaults to `skin`.
    init(_ head: BinaryHTTPRequestHead) throws(RequestFailure) {
        let parts = head.path.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let path = String(parts.first ?? "")
        guard path == "/v1/analyses" else { throw .notFound(path) }
        guard head.method == "POST" else { throw .methodNotAllowed(head.method) }
        var kind = "skin"
        if parts.count == 2 {
            for pair in parts[1].split(separator: "&") {
                let keyValue = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                if keyValue.first == "kind" {
                    kind = keyValue.count == 2 ? String(keyValue[1]).removingPercentEncodingOrSelf : ""
                }
            }
        }
        guard InnerRoute.supportedKinds.contains(kind) else {
            throw .unknownKind(kind, supported: InnerRoute.supportedKinds)
        }
        self.kind = kind
    }
}

extension String {
    var removingPercentEncodingOrSelf: String { removingPercentEncoding ?? self }
}
