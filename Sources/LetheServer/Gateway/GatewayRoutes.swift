import Foundation
import LetheAPI
import HTTPTypes
import Hummingbird
import LetheEnvelope
import LetheLedger
import LetheMemory

/// The outer, plaintext HTTP surface: key discovery, the OHTTP gateway, liveness. Everything it
/// sees of a request is ciphertext and sizes.
struct GatewayRoutes: Sendable {
    let pipeline: AnalysisPipeline
    /// Processing slots: taken once a body is complete.
    let admission: AdmissionControl
    /// Upload slots: taken while a body arrives.
    let uploads: UploadSlots

    /// RFC 9540 §4 / RFC 9458 §5 well-known path for both key discovery and requests.
    static let gatewayPath = "/.well-known/ohttp-gateway"

    func register(on router: Router<BasicRequestContext>) {
        router.get("/healthz") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(string: #"{"status":"ok"}"#)))
        }
        router.get(RouterPath(Self.gatewayPath)) { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "application/ohttp-keys", .cacheControl: "max-age=3600"],
                body: .init(byteBuffer: ByteBuffer(bytes: pipeline.gateway.keyConfigs)))
        }
        router.post(RouterPath(Self.gatewayPath)) { request, _ in
            let arrived = ContinuousClock.now
            defer { pipeline.metrics.observeRequest(.now - arrived) }
            return await receive(request)
        }
    }

    /// Answers a request refused before any plaintext existed: counted, recorded, no content.
    private func refuse(_ failure: LetheError, reason: String? = nil) async -> Response {
        pipeline.metrics.countRefusal(reason: reason ?? failure.code.rawValue)
        return Self.response(await pipeline.refuse(failure))
    }

    /// Receives the body under an upload slot, then processes it under a processing slot: a slow
    /// sender holds only the former, and waiting requests hold no processing buffers.
    private func receive(_ request: Request) async -> Response {
        let mediaType = request.headers[.contentType]?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces)
        guard mediaType?.lowercased() == "message/ohttp-req" else {
            return await refuse(.unsupportedEnvelopeMediaType)
        }
        let limit = pipeline.configuration.maxEnvelopeBytes
        // Refused on the announcement, before a byte of the body is read (`UploadGuard` then
        // closes the connection instead of reading the rest).
        if let declared = request.headers[.contentLength].flatMap({ Int($0) }), declared > limit {
            return await refuse(.envelopeTooLarge(limit: limit))
        }
        guard uploads.tryTake() else {
            return await refuse(.overloaded(reason: "uploads_full"), reason: "uploads_full")
        }
        // The worker's from its first byte (its core ledger: no helper threads on the cores the
        // requests still arriving will need).
        await admission.arrive()
        let upload: ReceivedEnvelope
        do {
            defer { uploads.release() }
            upload = try await ReceivedEnvelope.read(request.body, limit: limit)
        } catch {
            await admission.leftBeforeAdmission()
            return await refuse(failure(for: error))
        }
        let pending = PendingEnvelope(consume upload)
        defer { pending.releaseMemory() }
        do {
            return try await admission.withAdmission(arrived: true) { await process(pending) }
        } catch {
            let reason = (error as? AdmissionControl.Refusal)?.rawValue ?? "cancelled"
            return await refuse(.overloaded(reason: reason), reason: reason)
        }
    }

    /// Decrypts, analyses and answers a complete envelope (holding a processing slot).
    private func process(_ pending: PendingEnvelope) async -> Response {
        guard let ciphertext = pending.take() else { return await refuse(.internalError) }
        // Measured on a 28 MiB body: its copy and its decryption take up to twice its size more
        // than the received buffer (reserved while it arrived) before the plaintext moves into
        // the arena (which reserves its own bytes).
        let reservation = 2 * ciphertext.byteCount
        guard MemoryBudget.reserve(reservation) else {
            return await refuse(.memoryBudgetExceeded(byteCount: reservation), reason: "memory_budget")
        }
        defer { MemoryBudget.release(reservation) }
        // The received chunks go once copied, the copy once decrypted (`handle` consumes it). An
        // array: the decapsulation reads the envelope as one, and shares this one's storage rather
        // than copying it again (a third copy of the body beside the plaintext's two).
        let envelope = (consume ciphertext).contiguousBytes()
        return Self.response(await pipeline.handle(consume envelope))
    }

    /// The refusal for a body that could not be read.
    private func failure(for error: ReceivedEnvelope.Failure) -> LetheError {
        let configuration = pipeline.configuration
        switch error {
        case .violation(.tooSlow):
            return .uploadTooSlow(timeoutSeconds: configuration.uploadTimeoutSeconds, minBytesPerSecond: configuration.minUploadBytesPerSecond)
        case .violation(.tooLarge), .tooLarge:
            return .envelopeTooLarge(limit: configuration.maxEnvelopeBytes)
        case .violation(.draining):
            return .workerDraining
        case .violation(.answeredEarly), .aborted:
            return .requestAborted
        case .memoryBudget(let bytes):
            return .memoryBudgetExceeded(byteCount: bytes)
        }
    }

    private static func response(_ reply: GatewayReply) -> Response {
        switch reply {
        case .encapsulated(let body, let sealedReceipt):
            var headers: HTTPFields = [.contentType: "message/ohttp-res", .cacheControl: "no-store"]
            if let sealedReceipt { headers[.letheReceipt] = sealedReceipt }
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
        case .refused(let failure):
            return failure.problemResponse()
        }
    }
}

extension HTTPField.Name {
    /// The signed deletion receipt, sealed to the request's OHTTP context (`ReceiptHeader`).
    static let letheReceipt = HTTPField.Name(ReceiptHeader.name)!
}
