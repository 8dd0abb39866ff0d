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
    let admission: AdmissionControl

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
            // Admission comes before the body is read, so waiting requests hold no buffers.
            do {
                return try await admission.withAdmission { await handleEncapsulated(request) }
            } catch {
                let reason = (error as? AdmissionControl.Refusal)?.rawValue ?? "cancelled"
                return await refuse(.overloaded(reason: reason), reason: reason)
            }
        }
    }

    /// Answers a request refused before any plaintext existed: counted, recorded, no content.
    private func refuse(_ failure: LetheError, reason: String? = nil) async -> Response {
        pipeline.metrics.countRefusal(reason: reason ?? failure.code.rawValue)
        return Self.response(await pipeline.refuse(failure))
    }

    private func handleEncapsulated(_ request: Request) async -> Response {
        let mediaType = request.headers[.contentType]?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces)
        guard mediaType?.lowercased() == "message/ohttp-req" else {
            return await refuse(.unsupportedEnvelopeMediaType)
        }
        let limit = pipeline.configuration.maxEnvelopeBytes
        // Measured on a 28 MiB body: reading it (the buffer grows by doubling), its copy and its
        // decryption take up to four times its size before the plaintext moves into the arena
        // (which reserves its own bytes). Reserve that much for the declared size, or the limit.
        let declared = request.headers[.contentLength].flatMap { Int($0) }.map { min($0, limit) } ?? limit
        let reservation = 4 * declared
        guard MemoryBudget.reserve(reservation) else {
            return await refuse(.memoryBudgetExceeded(byteCount: reservation), reason: "memory_budget")
        }
        defer { MemoryBudget.release(reservation) }
        let envelope: ByteBuffer
        do {
            // Enforced while reading: nothing past the limit is buffered.
            envelope = try await request.body.collect(upTo: limit)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            return await refuse(.envelopeTooLarge(limit: limit))
        } catch {
            return await refuse(.requestAborted)
        }
        return Self.response(await pipeline.handle(Data(envelope.readableBytesView)))
    }

    private static func response(_ reply: GatewayReply) -> Response {
        switch reply {
        case .encapsulated(let body, let sealedReceipt):
            var headers: HTTPFields = [.contentType: "message/ohttp-res", .cacheControl: "no-store"]
            if let sealedReceipt { headers[.letheReceipt] = sealedReceipt }
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
        case .refused(let failure, let receipt):
            return failure.problemResponse(receipt: receipt)
        }
    }
}

extension HTTPField.Name {
    /// The signed deletion receipt, sealed to the request's OHTTP context (`ReceiptHeader`).
    static let letheReceipt = HTTPField.Name(ReceiptHeader.name)!
}
