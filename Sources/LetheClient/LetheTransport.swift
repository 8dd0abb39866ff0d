import Foundation
import LetheAPI

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// How a `LetheClient` reaches the worker: one HTTP exchange at a time, ciphertext and public
/// documents only (the OHTTP encapsulation, the key and ledger routes). Everything above it —
/// encryption, receipts, proofs, error codes — is the client's, whatever carries the bytes.
/// Devices use `URLSessionTransport` (the default); `lethe bench` plugs in a lighter one so that
/// its own CPU does not crowd the worker it measures.
public protocol LetheTransport: Sendable {
    /// Sends `request` and returns the whole answer, whatever its status.
    /// - Throws: a `URLError` (or `LetheClientError`) when no whole answer arrived; the client
    ///   maps URL errors to its transport codes (`worker_unreachable`, `worker_timeout`,
    ///   `response_truncated`, …).
    func send(_ request: LetheHTTPRequest) async throws -> LetheHTTPResponse
}

/// One HTTP request as the client makes it: a method, an absolute URL, a few header fields and,
/// for a POST, a body of known length.
public struct LetheHTTPRequest: Sendable {
    public var method: String
    public var url: URL
    /// Header fields besides `Host` and `Content-Length`, which the transport sets.
    public var headerFields: [(name: String, value: String)]
    public var body: Data?
    /// Seconds the whole exchange may take.
    public var timeoutSeconds: TimeInterval

    public init(method: String = "GET", url: URL, headerFields: [(name: String, value: String)] = [], body: Data? = nil, timeoutSeconds: TimeInterval = 60) {
        self.method = method
        self.url = url
        self.headerFields = headerFields
        self.body = body
        self.timeoutSeconds = timeoutSeconds
    }
}

/// The worker's answer: status, header fields and the whole body.
public struct LetheHTTPResponse: Sendable {
    public let status: Int
    public let headerFields: [(name: String, value: String)]
    public let body: Data

    public init(status: Int, headerFields: [(name: String, value: String)], body: Data) {
        self.status = status
        self.headerFields = headerFields
        self.body = body
    }

    /// The first value of the header field `name` (names compare case-insensitively, RFC 9110 §5.1).
    public func value(of name: String) -> String? {
        headerFields.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }
}

/// The platform's URL loading system (Foundation's URLSession; libcurl on Linux): what a device
/// uses, with the platform's proxies, TLS trust and HTTP/2.
public struct URLSessionTransport: LetheTransport {
    public init() {}

    public func send(_ request: LetheHTTPRequest) async throws -> LetheHTTPResponse {
        var urlRequest = URLRequest(url: request.url)
        urlRequest.httpMethod = request.method
        urlRequest.timeoutInterval = request.timeoutSeconds
        for field in request.headerFields { urlRequest.addValue(field.value, forHTTPHeaderField: field.name) }
        urlRequest.httpBody = request.body
        let (body, response) = try await URLSession.shared.dataCompletingDespiteCancellation(for: urlRequest)
        guard let response = response as? HTTPURLResponse else {
            throw LetheClientError(code: "unexpected_response", status: 0, message: "the answer is not HTTP")
        }
        let fields = response.allHeaderFields.compactMap { name, value in
            (name as? String).map { (name: $0, value: "\(value)") }
        }
        return LetheHTTPResponse(status: response.statusCode, headerFields: fields, body: body)
    }
}
