import Foundation
import LetheEnvelope
import LetheMemory
import LetheTransparency

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A refused or failed analysis as the device sees it: the worker's stable code and message, or
/// one of this client's own codes (`clientCodes`), and what a person should check (`check`).
public struct LetheClientError: Error, Equatable, CustomStringConvertible {
    /// Stable code from the worker (`image_corrupt`, `invalid_token`, `unknown_key_id`, …) or from
    /// this client (`worker_unreachable`, `worker_timeout`, `unexpected_response`, …: `clientCodes`).
    public let code: String
    /// HTTP status: inner for analysis errors, outer for envelope errors; 0 for failures on this
    /// side (no answer, or an answer that did not verify).
    public let status: Int
    /// Human explanation: numbers and names, never content.
    public let message: String
    /// The worker's request id when the worker got far enough to assign one.
    public let requestID: String?
    /// The verified deletion receipt of a request refused after decryption (with
    /// `analyzeWithReceipt`). A refused envelope held no plaintext and gets none: it is only
    /// counted in its period's summary.
    public var receipt: DeletionReceipt?
    /// Seconds the worker asks the device to wait before retrying (`Retry-After`, on 429 and 503).
    public var retryAfterSeconds: Int?

    public var description: String { "\(code) (\(status)): \(message)" }

    /// The whole failure on one line, for a person: code, status when the worker answered, the
    /// message and what to check, e.g. `worker_unreachable: 127.0.0.1:9 refused the connection;
    /// check that the worker runs and that the URL names its host and port`.
    public var line: String {
        let said = message.split(whereSeparator: \.isNewline).joined(separator: " ")
        return "\(code)\(status == 0 ? "" : " (HTTP \(status))"): \(said); check \(check)"
    }

    /// What to check about this failure: the specific advice for the code, else advice for the
    /// kind of refusal its status says.
    public var check: String {
        if let advice = Self.checks[code] { return advice }
        if let seconds = retryAfterSeconds { return "nothing on the device: the worker is busy, retry in \(seconds) s" }
        return switch status {
        case 400: "the request (photo, kind and parameters): the message says which part the worker refused"
        case 401: "the device token (--token, LetheClient's token)"
        case 404, 405: "the worker URL: it should be the worker's base URL, without a path"
        case 408: "the network's upload speed: the worker closes uploads slower than its minimum rate"
        case 413: "the photo's size against the worker's limits (--max-bytes, --max-pixels)"
        case 415: "the photo's format: JPEG, PNG, WebP or HEIF"
        case 422: "the photo itself (framing, focus, lighting): the message gives the measured value"
        case 429, 503: "nothing on the device: the worker is busy or not ready, retry later"
        case 500: "the worker's log: this is a fault of the worker, not of the request"
        default: "the worker's log and version: it answered a status this client does not know"
        }
    }

    /// What kind of failure the worker reported, read back from its status (and `Retry-After`,
    /// which tells a 503 worth retrying from one that is not): whether to fix the request,
    /// authenticate, or retry later. Nil for failures on this side (`status` 0) and for statuses
    /// the worker does not send.
    public var disposition: LetheError.Disposition? {
        switch status {
        case 400: .malformed
        case 401: .unauthenticated
        case 404: .notFound
        case 405: .methodNotAllowed
        case 408: .timedOut
        case 413: .tooLarge
        case 415: .unsupportedType
        case 422: .unprocessable
        case 429: .rateLimited
        case 503: retryAfterSeconds == nil ? .unavailable : .retryLater
        case 500: .internal
        default: nil
        }
    }

    /// True when the worker was not reached or its answer did not arrive whole (`transportCodes`):
    /// nothing was decided about the request; `lethe analyze` exits 3.
    public var isTransport: Bool { status == 0 && Self.transportCodes.contains(code) }

    public init(code: String, status: Int, message: String, requestID: String? = nil) {
        self.code = code
        self.status = status
        self.message = message
        self.requestID = requestID
    }

    /// Any failure below the client (transport, envelope, receipt verification, JSON) as a client
    /// error with a stable code: never a platform error's description.
    static func wrapping(_ error: any Error, url: URL? = nil) -> LetheClientError {
        if let error = error as? LetheClientError { return error }
        if let error = error as? LetheError { return LetheClientError(code: error.code.rawValue, status: 0, message: error.message) }
        if error is DecodingError {
            return LetheClientError(code: "unexpected_response", status: 0, message: "the worker's answer is not the documented JSON")
        }
        if let error = error as? URLError {
            // Foundation on Linux (curl) reports a body cut short of its Content-Length as an
            // unknown error whose description is curl's CURLE_PARTIAL_FILE text; Apple's as
            // `networkConnectionLost`.
            if error.code == .unknown, error.localizedDescription.hasPrefix("transfer closed with") {
                return transport(.networkConnectionLost, url: error.failingURL ?? url)
            }
            // Likewise a certificate it does not trust or a failed handshake, as curl's text
            // ("SSL certificate problem: …", "OpenSSL SSL_connect: …"); Apple's as the
            // `serverCertificate…` and `secureConnectionFailed` codes.
            if error.code == .unknown, ["SSL", "TLS", "certificate"].contains(where: { error.localizedDescription.contains($0) }) {
                return transport(.secureConnectionFailed, url: error.failingURL ?? url)
            }
            return transport(error.code, url: error.failingURL ?? url)
        }
        // Foundation on Linux reports some transport failures as plain NSErrors.
        let error = error as NSError
        if error.domain == NSURLErrorDomain, let code = URLError.Code(rawValue: error.code) { return transport(code, url: url) }
        return LetheClientError(code: "unexpected_response", status: 0, message: "the exchange failed (\(error.domain) \(error.code))")
    }

    /// A URL loading failure as one of the transport codes, naming the host and port.
    static func transport(_ failure: URLError.Code, url: URL?) -> LetheClientError {
        let place = url.map { url in
            guard let host = url.host else { return url.absoluteString }
            return url.port.map { "\(host):\($0)" } ?? host
        } ?? "the worker"
        let (code, message): (String, String) = switch failure {
        case .cannotConnectToHost: ("worker_unreachable", "\(place) refused the connection")
        case .notConnectedToInternet: ("worker_unreachable", "no network to reach \(place)")
        case .cannotFindHost, .dnsLookupFailed: ("worker_host_unknown", "the host name of \(place) does not resolve")
        case .timedOut: ("worker_timeout", "\(place) did not answer in time")
        case .secureConnectionFailed, .serverCertificateUntrusted, .serverCertificateHasBadDate, .serverCertificateNotYetValid,
            .serverCertificateHasUnknownRoot, .clientCertificateRejected, .clientCertificateRequired:
            ("tls_failed", "the TLS connection to \(place) failed (URL error \(failure.rawValue))")
        case .networkConnectionLost: ("response_truncated", "the connection to \(place) ended before the whole answer arrived")
        case .badServerResponse, .cannotParseResponse, .cannotDecodeRawData, .cannotDecodeContentData, .zeroByteResource:
            ("unexpected_response", "\(place) did not answer with valid HTTP (URL error \(failure.rawValue))")
        default: ("worker_unreachable", "\(place) could not be reached (URL error \(failure.rawValue))")
        }
        return LetheClientError(code: code, status: 0, message: message)
    }

    /// The codes this client raises itself (never sent by the worker), each documented in the
    /// README's "Client error codes" table.
    public static let clientCodes: [String] = [
        "worker_unreachable", "worker_host_unknown", "worker_timeout", "tls_failed", "response_truncated",
        "unexpected_response", "no_usable_key", "receipt_missing", "receipt_unbound", "checkpoint_inconsistent",
        "checkpoint_state_invalid", "checkpoint_timeout", "inclusion_proof_invalid", "key_config_unlogged",
    ]

    /// The codes of failures to reach the worker or to receive its whole answer.
    public static let transportCodes: Set<String> = ["worker_unreachable", "worker_host_unknown", "worker_timeout", "tls_failed", "response_truncated"]

    /// What to check, by code: every client code, the envelope and transparency codes the client
    /// raises (by their definitions), and the worker's codes whose cause is on the device.
    static let checks: [String: String] = [
        "worker_unreachable": "that the worker runs and that the URL names its host and port (and that no firewall is in between)",
        "worker_host_unknown": "the host name in the worker URL, and the device's DNS",
        "worker_timeout": "that the worker is up and not overloaded (its /healthz and metrics), or allow more time (timeoutSeconds, --timeout-seconds)",
        "tls_failed": "the URL's scheme (http or https), the worker's certificate and the device's trusted roots",
        "response_truncated": "the network and any proxy or relay between the device and the worker: the answer was cut off",
        "unexpected_response": "that the URL is a Lethe worker's (or its OHTTP relay's), not another service or a captive portal",
        "no_usable_key": "the worker's key configurations (/.well-known/ohttp-gateway): --post-quantum needs an X-Wing key",
        LetheError.Code.malformedKeyConfig.rawValue: "the key configuration: the pinned one, or what the URL serves at /.well-known/ohttp-gateway, is not RFC 9458 §3",
        LetheError.Code.malformedResponse.rawValue: "any proxy or relay between the device and the worker: the encrypted answer is cut short or not OHTTP",
        LetheError.Code.responseDecryptionFailed.rawValue: "any proxy or relay between the device and the worker: the encrypted answer was altered, or is another request's",
        LetheError.Code.encapsulationFailed.rawValue: "the key configuration: its public key is not usable for HPKE",
        "receipt_missing": "the worker's version and any relay that drops headers: the Lethe-Receipt header did not arrive",
        "receipt_unbound": "the worker and any relay: the receipt (or answer) is for another request than this one",
        LetheError.Code.receiptMalformed.rawValue: "any relay between the device and the worker: the receipt does not decrypt or is not a receipt",
        LetheError.Code.verifierKeyInvalid.rawValue: "the pinned ledger key (--ledger-key): it should be what `lethe keys ledger` prints, name+keyid+base64",
        LetheError.Code.noteMalformed.rawValue: "the worker URL and any relay: the signed note is not of its documented form",
        LetheError.Code.noteUnsigned.rawValue: "the pinned ledger key (--ledger-key): it is not the key of this worker's log",
        LetheError.Code.noteSignatureInvalid.rawValue: "the worker and any relay: a signature does not verify, so the receipt or checkpoint was altered",
        LetheError.Code.checkpointMalformed.rawValue: "the worker URL and any relay: the checkpoint is not of its documented form",
        LetheError.Code.checkpointOriginMismatch.rawValue: "the pinned ledger key (--ledger-key): the checkpoint is of another log",
        "checkpoint_inconsistent": "the worker's log: it showed a fork or a rollback against the checkpoint this device verified before",
        "checkpoint_state_invalid": "the checkpoint state file (--checkpoint-state): it must be readable, writable and of this ledger key",
        "checkpoint_timeout": "the worker's checkpoint period and its /ledger routes: no checkpoint covered the receipt in time",
        "inclusion_proof_invalid": "the worker's log: the published entry or its proof does not match the receipt",
        "key_config_unlogged": "the worker's key configuration: it is not proven to be in the worker's log (a key given to this device alone, or a worker older than key logging)",
        "proof_out_of_range": "the worker's log: it does not hold the proof asked for",
        LetheError.Code.unknownKeyID.rawValue: "the pinned key configuration: the worker rotated its keys, fetch /.well-known/ohttp-gateway again",
        LetheError.Code.decryptionFailed.rawValue: "the key configuration: it is not this worker's key (a wrong pin, or a relay that alters requests)",
        LetheError.Code.unsupportedSuite.rawValue: "the key configuration's KDF and AEAD against what the worker offers",
        LetheError.Code.requestStale.rawValue: "the device's clock: it is further from the worker's than its replay window",
        "missing_token": "the device token (--token, LetheClient's token): none was sent",
        "invalid_token": "the device token (--token, LetheClient's token): the worker does not know it",
        "request_replayed": "nothing on the device: send the request again, newly encrypted",
    ]
}
