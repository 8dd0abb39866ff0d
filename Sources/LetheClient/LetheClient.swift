import Foundation
import LetheAPI
import LetheEnvelope
import LetheMemory
import LetheTransparency
import Synchronization

/// The device side of Lethe: fetches the worker's key configuration, encrypts the photo to it
/// (Oblivious HTTP, RFC 9458), sends it, and opens the encrypted result.
public struct LetheClient: Sendable {
    /// Where the worker listens, e.g. `http://127.0.0.1:8080`.
    public let serverURL: URL
    private let token: String
    /// Extra query parameters of every analysis: the device's scale and profile,
    /// e.g. `["profile": "trichoscope-20x"]` or `["mm_per_pixel": "0.0065"]`.
    public var analysisParameters: [String: String] = [:]
    /// Masks, overlay and after-care preview to render with every analysis (nil: none).
    public var simulation: SimulationOptions?
    /// A key configuration obtained out of band (RFC 9458 §7 wants clients to authenticate it);
    /// when set, the client encrypts to it instead of fetching the worker's key configurations.
    public var pinnedKeyConfig: OHTTPKeyConfig?
    /// Where the newest verified checkpoint of each log is persisted; with it, every newer
    /// checkpoint must come with a consistency proof from it (`proveInclusion`). Nil: nothing is
    /// remembered between calls (a device should always set it).
    public var checkpointState: CheckpointState?
    /// The witnesses whose cosignatures a checkpoint needs ("k of these n", C2SP
    /// tlog-cosignature) before `proveInclusion` trusts a proof against it. Nil: the log's own
    /// signature suffices (the operator alone could then show this device a fork).
    public var witnessPolicy: WitnessPolicy?
    /// The ledger verifier key pinned in the device's configuration. When set (or given to
    /// `analyzeWithReceipt`), the client encrypts only to a key configuration proven to be in the
    /// log signed with it (`proveKeyConfig`, docs/ledger.md §17), under `witnessPolicy` and
    /// consistent with `checkpointState`; otherwise `key_config_unlogged`.
    public var ledgerKey: NoteVerifier?
    /// The device's clock, which dates every request (RFC 9458 §6.5.1). Replaceable to play a
    /// device whose clock is wrong.
    public var clock: @Sendable () -> Date = { Date() }
    /// What the gateway's `Date` taught about this device's clock (RFC 9458 §6.5.2), shared by
    /// every copy of this client.
    private let clockCorrection = ClockCorrection()

    /// Seconds every exchange with the worker may take before it fails with `worker_timeout`.
    public var timeoutSeconds: TimeInterval = 60

    /// What carries the client's HTTP exchanges: the platform's URLSession unless replaced.
    public var transport: any LetheTransport = URLSessionTransport()

    /// Seconds added to `clock` when dating a request, learnt from a `request_stale` refusal.
    public var clockOffsetSeconds: TimeInterval { clockCorrection.offset }

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
        let response = try await load(LetheHTTPRequest(url: gatewayURL, headerFields: [("Accept", "application/ohttp-keys")]))
        guard response.status == 200 else { throw Self.refusal(response, what: "key discovery") }
        return try OHTTPKeyConfig.decodeList(response.body)
    }

    /// Sends `request` through `transport` with this client's timeout. Transport failures become
    /// client errors (`worker_unreachable`, `worker_timeout`, …) naming the worker's host and port.
    func load(_ request: LetheHTTPRequest) async throws(LetheClientError) -> LetheHTTPResponse {
        var request = request
        request.timeoutSeconds = timeoutSeconds
        do {
            return try await transport.send(request)
        } catch {
            throw LetheClientError.wrapping(error, url: request.url)
        }
    }

    /// A non-200 answer as an error: the RFC 9457 problem document's code and title when the
    /// body is one (the worker's routes answer their failures so), `unexpected_response` otherwise.
    static func refusal(_ response: LetheHTTPResponse, what: String) -> LetheClientError {
        let problem = (try? JSONSerialization.jsonObject(with: response.body)) as? [String: Any]
        var error = LetheClientError(
            code: problem?["code"] as? String ?? "unexpected_response", status: response.status,
            message: problem?["title"] as? String ?? "\(what) answered \(response.status)", requestID: nil)
        error.retryAfterSeconds = response.value(of: "Retry-After").flatMap { Int($0) }
        return error
    }

    /// Analyses one photo end to end.
    /// - Parameters:
    ///   - photo: the photo file's bytes (JPEG, PNG, WebP or HEIF).
    ///   - kind: analysis kind: `skin`, `face` or `scalp` (scale via `analysisParameters`).
    ///   - postQuantum: encrypt to the X-Wing (ML-KEM-768 + X25519) key instead of X25519.
    /// - Throws: `LetheClientError` with the worker's code, or a client-side code
    ///   (`worker_unreachable`, `unexpected_response`, `no_usable_key`, envelope codes).
    public func analyze(photo: Data, kind: String = "skin", postQuantum: Bool = false) async throws(LetheClientError) -> AnalysisResponse {
        do {
            return try await analyzeUntyped(photo: photo, kind: kind, postQuantum: postQuantum, ledgerKey: nil).response
        } catch {
            throw LetheClientError.wrapping(error)
        }
    }

    /// Analyses several photos of one capture (normal/polarised/UV, or front/left/right) in one
    /// request, as `multipart/form-data` (RFC 7578): the answer has each photo's results in
    /// `photos` and the combined ones at the top level.
    /// - Parameters:
    ///   - photos: part name (e.g. `polarised`) and file bytes of each photo, in order.
    public func analyzeSession(photos: [(name: String, photo: Data)], kind: String = "skin", postQuantum: Bool = false) async throws(LetheClientError) -> AnalysisResponse {
        var generator = SystemRandomNumberGenerator()
        let boundary = "lethe-" + (0..<16).map { _ in String(format: "%02x", UInt8.random(in: .min ... .max, using: &generator)) }.joined()
        var body = Data()
        for (index, part) in photos.enumerated() {
            let name = part.name.filter { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }
            body.append(Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name.isEmpty ? "photo\(index + 1)" : name)\"\r\nContent-Type: \(Self.mediaType(of: part.photo))\r\n\r\n".utf8))
            body.append(part.photo)
            body.append(Data("\r\n".utf8))
        }
        body.append(Data("--\(boundary)--\r\n".utf8))
        defer { body.resetBytes(in: 0..<body.count) }
        do {
            return try await analyzeUntyped(
                photo: body, kind: kind, postQuantum: postQuantum, ledgerKey: nil,
                contentType: "multipart/form-data; boundary=\(boundary)").response
        } catch {
            throw LetheClientError.wrapping(error)
        }
    }

    func analyzeUntyped(
        photo: Data, kind: String, postQuantum: Bool, ledgerKey: NoteVerifier?, contentType: String? = nil
    ) async throws -> (response: AnalysisResponse, receipt: DeletionReceipt?) {
        let wanted: UInt16 = postQuantum ? OHTTPKEM.xWing.kemID : OHTTPKEM.x25519.kemID
        let configs: [OHTTPKeyConfig]
        if let pinnedKeyConfig { configs = [pinnedKeyConfig] } else { configs = try await fetchKeyConfigs() }
        guard let config = configs.first(where: { $0.kemID == wanted }) else {
            throw LetheClientError(code: "no_usable_key", status: 0, message: "the worker publishes no key for KEM \(wanted)", requestID: nil)
        }
        // RFC 9458 §7: a key given to this device alone would single it out; encrypt only to a logged one.
        if let verifier = ledgerKey ?? self.ledgerKey { _ = try await proveKeyConfig(config, verifier: verifier) }
        let path = "/v1/analyses?kind=\(Self.queryEscaped(kind))"
            + analysisParameters.merging(simulation?.queryParameters ?? [:]) { own, _ in own }.sorted { $0.key < $1.key }.map { "&\(Self.queryEscaped($0.key))=\(Self.queryEscaped($0.value))" }.joined()
        // RFC 9458 §6.5.2: a request refused as stale is dated again with the gateway's clock and
        // sent once more, as a new encapsulation (a resent copy would be refused as a replay).
        for attempt in 1...2 {
            // The device's own request id (128 random bits), sent inside the encryption: the
            // worker records it, so that a receipt proves the deletion of this request only.
            let requestID = Self.newRequestID()
            let inner = BinaryHTTPRequest.encode(
                method: "POST", scheme: serverURL.scheme ?? "https", authority: serverURL.host ?? "lethe", path: path,
                headerFields: [
                    BinaryHTTPField(name: "authorization", value: "Bearer \(token)"),
                    BinaryHTTPField(name: "content-type", value: contentType ?? LetheClient.mediaType(of: photo)),
                    BinaryHTTPField(name: "date", value: HTTPDate.format(clock().addingTimeInterval(clockCorrection.offset))),
                    BinaryHTTPField(name: "lethe-request-id", value: requestID),
                ],
                content: photo)
            let (head, content, receiptHeader, context) = try await exchange(inner, to: config)
            // The receipt is checked before the answer is used: a wrong signature is an error of its own.
            var receipt = try ledgerKey.map { try Self.openReceipt(receiptHeader, context: context, verifier: $0) }
            let decoder = JSONDecoder()
            guard head.status == 200 else {
                let failure = try? decoder.decode(ErrorResponse.self, from: content)
                // A refusal's receipt counts only when it is for the request the refusal names.
                if let signed = receipt, (try? Self.boundReceipt(signed, requestID: requestID)) == nil { receipt = nil }
                if failure?.error.code == LetheError.Code.requestStale.rawValue, attempt == 1,
                   let gatewayDate = head.field("date").flatMap({ HTTPDate.parse($0) }) {
                    // The gateway's Date came inside the encryption: no relay chose it.
                    clockCorrection.offset = gatewayDate.timeIntervalSince(clock())
                    continue
                }
                var error = LetheClientError(
                    code: failure?.error.code ?? "unexpected_response", status: head.status,
                    message: failure?.error.message ?? "the worker answered \(head.status)", requestID: failure?.requestID)
                error.receipt = receipt
                error.retryAfterSeconds = head.field("retry-after").flatMap { Int($0) }
                throw error
            }
            let response = try decoder.decode(AnalysisResponse.self, from: content)
            guard response.requestID == requestID else {
                throw LetheClientError.receiptUnbound("the answer is for request \(response.requestID), not for this device's \(requestID)")
            }
            return (response, try receipt.map { try Self.boundReceipt($0, requestID: requestID) })
        }
        throw LetheClientError(code: "unexpected_response", status: 0, message: "the worker refused the corrected request date")
    }

    /// A new request id: 128 random bits as 32 lowercase hex digits.
    static func newRequestID() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<16).map { _ in String(format: "%02x", UInt8.random(in: .min ... .max, using: &generator)) }.joined()
    }

    /// Percent-encodes a query component (also `&`, `=`, `+`, which `.urlQueryAllowed` keeps).
    static func queryEscaped(_ text: String) -> String {
        var allowed = CharacterSet.urlQueryAllowed
        allowed.remove(charactersIn: "&=+")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }

    /// Encapsulates an inner Binary HTTP request to `config`, posts it, and decapsulates the answer.
    /// The inner request must carry a `Date` field (`HTTPDate.format`) within the worker's replay
    /// window (RFC 9458 §6.5); `analyze` adds it, and corrects the clock, by itself.
    public func send(_ innerRequest: Data, to config: OHTTPKeyConfig) async throws -> (head: BinaryHTTPResponseHead, content: Data) {
        let (head, content, _, _) = try await exchange(innerRequest, to: config)
        return (head, content)
    }

    /// `send`, also returning the outer `Lethe-Receipt` header and the request's OHTTP context.
    func exchange(_ innerRequest: Data, to config: OHTTPKeyConfig) async throws -> (head: BinaryHTTPResponseHead, content: Data, receipt: String?, context: OHTTPClientContext) {
        let client = try OHTTPClient(keyConfig: config)
        let (encapsulated, context) = try client.encapsulate(innerRequest)
        let response = try await load(LetheHTTPRequest(
            method: "POST", url: gatewayURL, headerFields: [("Content-Type", "message/ohttp-req")], body: encapsulated))
        // RFC 9458 §5.2: the envelope itself was refused; the body is a problem document.
        guard response.status == 200 else { throw Self.refusal(response, what: "the gateway") }
        let (head, content) = try BinaryHTTPResponse.parse(try context.open(response.body))
        return (head, content, response.value(of: ReceiptHeader.name), context)
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

/// The offset between a device's clock and the gateway's, learnt from a `request_stale` refusal
/// (RFC 9458 §6.5.2). A class so that every copy of a `LetheClient` shares what one learnt.
final class ClockCorrection: Sendable {
    private let seconds = Mutex<TimeInterval>(0)

    /// Seconds to add to the device's clock.
    var offset: TimeInterval {
        get { seconds.withLock { $0 } }
        set { seconds.withLock { $0 = newValue } }
    }
}
