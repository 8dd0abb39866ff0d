import Foundation
import LetheAPI
import LetheEnvelope

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A refused or failed analysis as the device sees it: the worker's stable code and message.
public struct LetheClientError: Error, Equatable, CustomStringConvertible {
    /// Stable code from the worker (`image_corrupt`, `invalid_token`, `unknown_key_id`, …) or from
    /// this client (`unexpected_response`, `no_usable_key`).
    public let code: String
    /// HTTP status: inner for analysis errors, outer for envelope errors.
    public let status: Int
    /// Human explanation.
    public let message: String
    /// The worker's request id when the worker got far enough to assign one.
    public let requestID: String?

    public var description: String { "\(code) (\(status)): \(message)" }

    public init(code: String, status: Int, message: String, requestID: String? = nil) {
        self.code = code
        self.status = status
        self.message = message
        self.requestID = requestID
    }

    /// Any failure below the client (transport, envelope, JSON) as a client error with a stable code.
    static func wrapping(_ error: any Error) -> LetheClientError {
        switch error {
        case let error as LetheClientError: error
        case let error as EnvelopeError: LetheClientError(code: error.code, status: 0, message: error.message)
        case is DecodingError: LetheClientError(code: "unexpected_response", status: 0, message: "the worker's answer is not the documented JSON")
        default: LetheClientError(code: "worker_unreachable", status: 0, message: "\(error)")
        }
    }
}

/// The device side of Lethe: fetches the worker's key configuration, encrypts the photo to it
/// (Oblivious HTTP, RFC 9458), sends it, and opens the encrypted result.
public struct LetheClient: Sendable {
    /// Where the worker listens, e.g. `http://127.0.0.1:8080`.
    public let serverURL: URL
    private let token: String

    /// - Parameters:
    ///   - serverURL: base URL of the worker (or of an OHTTP relay in front of it).
    ///   - token: the device's bearer token; it travels only inside the encrypted request.
    public init(serverURL: URL, token: String) {
        self.serverURL = serverURL
        self.token = token
    }

    private var gatewayURL: URL { serverURL.appendingPathComponent(".well-known/ohttp-gateway") }

    /// Fetches the worker's key configurations (RFC 9540).
    public func fetchKeyConfigs() async throws -> [OHTTPKeyConfig] {
        var request = URLRequest(url: gatewayURL)
        request.setValue("application/ohttp-keys", forHTTPHeaderField: "Accept")
        let (body, response) = try await URLSession.shared.data(for: request)
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        guard status == 200 else {
            throw LetheClientError(code: "unexpected_response", status: status, message: "key discovery answered \(status)", requestID: nil)
        }
        return try OHTTPKeyConfig.decodeList(body)
    }

    /// Analyses one photo end to end.
    /// - Parameters:
    ///   - photo: the photo file's bytes (JPEG, PNG, WebP or HEIF).
    ///   - kind: analysis kind, `skin`.
    ///   - postQuantum: encrypt to the X-Wing (ML-KEM-768 + X25519) key instead of X25519.
    /// - Throws: `LetheClientError` with the worker's code, or a client-side code
    ///   (`worker_unreachable`, `unexpected_response`, `no_usable_key`, envelope codes).
    public func analyze(photo: Data, kind: String = "skin", postQuantum: Bool = false) async throws(LetheClientError) -> AnalysisResponse {
        do {
            return try await analyzeUntyped(photo: photo, kind: kind, postQuantum: postQuantum)
        } catch {
            throw LetheClientError.wrapping(error)
        }
    }

    private func analyzeUntyped(photo: Data, kind: String, postQuantum: Bool) async throws -> AnalysisResponse {
        let configs = try await fetchKeyConfigs()
        let wanted: UInt16 = postQuantum ? OHTTPKEM.xWing.kemID : OHTTPKEM.x25519.kemID
        guard let config = configs.first(where: { $0.kemID == wanted }) else {
            throw LetheClientError(code: "no_usable_key", status: 0, message: "the worker publishes no key for KEM \(wanted)", requestID: nil)
        }
        let inner = BinaryHTTPRequest.encode(
            method: "POST", scheme: serverURL.scheme ?? "https", authority: serverURL.host ?? "lethe",
            path: "/v1/analyses?kind=\(kind.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) ?? kind)",
            headerFields: [
                BinaryHTTPField(name: "authorization", value: "Bearer \(token)"),
                BinaryHTTPField(name: "content-type", value: LetheClient.mediaType(of: photo)),
            ],
            content: photo)
        let (head, content) = try await send(inner, to: config)
        let decoder = JSONDecoder()
        guard head.status == 200 else {
            let failure = try? decoder.decode(ErrorResponse.self, from: content)
            throw LetheClientError(
                code: failure?.error.code ?? "unexpected_response", status: head.status,
                message: failure?.error.message ?? "the worker answered \(head.status)", requestID: failure?.requestID)
        }
        return try decoder.decode(AnalysisResponse.self, from: content)
    }

    /// Encapsulates an inner Binary HTTP request to `config`, posts it, and decapsulates the answer.
    public func send(_ innerRequest: Data, to config: OHTTPKeyConfig) async throws -> (head: BinaryHTTPResponseHead, content: Data) {
        let client = try OHTTPClient(keyConfig: config)
        let (encapsulated, context) = try client.encapsulate(innerRequest)
        var request = URLRequest(url: gatewayURL)
        request.httpMethod = "POST"
        request.setValue("message/ohttp-req", forHTTPHeaderField: "Content-Type")
        request.httpBody = encapsulated
        let (body, response) = try await URLSession.shared.data(for: request)
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        guard status == 200 else {
            // RFC 9458 §5.2: the envelope itself was refused; the body is a problem document.
            let problem = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any]
            throw LetheClientError(
                code: problem?["code"] as? String ?? "unexpected_response", status: status,
                message: problem?["title"] as? String ?? "the gateway answered \(status)", requestID: nil)
        }
        return try BinaryHTTPResponse.parse(try context.open(body))
    }

    /// The media type a photo's magic bytes announce (the worker sniffs again; this is a courtesy).
    static func mediaType(of photo: Data) -> String {
        let head = [UInt8](photo.prefix(12))
        if head.starts(with: [0xFF, 0xD8, 0xFF]) { return "image/jpeg" }
        if head.starts(with: [0x89, 0x50, 0x4E, 0x47]) { return "image/png" }
        if head.count >= 12, head[0..<4] == [0x52, 0x49, 0x46, 0x46], head[8..<12] == [0x57, 0x45, 0x42, 0x50] { return "image/webp" }
        if head.count >= 8, head[4..<8] == [0x66, 0x74, 0x79, 0x70] { return "image/heif" }
        return "application/octet-stream"
    }
}
