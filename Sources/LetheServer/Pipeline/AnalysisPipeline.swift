import Foundation
import LetheAPI
import LetheAnalysis
import LetheEnvelope
import LetheImaging
import LetheLedger
import LetheMemory
import Logging
import NIOPosix

/// What goes back on the outer HTTP connection: ciphertext, or a problem document when the
/// envelope itself was broken or refused. Never plaintext.
enum GatewayReply: Sendable {
    /// `message/ohttp-res`, with the signed deletion receipt encrypted to the request's OHTTP
    /// context (`Lethe-Receipt`) once the request is recorded.
    case encapsulated(Data, sealedReceipt: String?)
    /// An RFC 9458 §5.2 refusal as a problem document; with no OHTTP context to seal to, the
    /// signed receipt joins the document in the clear (it holds no content).
    case refused(LetheError, receipt: String?)
}

/// One request's whole life, from ciphertext in to ciphertext out:
/// decapsulate → parse BHTTP → authenticate → route → decode → analyse → encode JSON →
/// encapsulate → wipe → ledger entry.
///
/// Plaintext exists only between decapsulation and `arena.wipeAll()`, both in `handle(_:)`, and
/// every buffer in between belongs to that request's `PlaintextArena`, on every path.
struct AnalysisPipeline: Sendable {
    let gateway: OHTTPGateway
    let tokens: DeviceTokens
    let ledger: DeletionLedger
    let configuration: ServerConfiguration
    /// Trained models and device profiles, loaded once at start (`LetheWorker.init`).
    let models: AnalysisModels
    let profiles: [String: DeviceProfile]
    let metrics: WorkerMetrics
    /// Per-device request rates (429 beyond).
    let rateLimiter: DeviceRateLimiter
    let logger: Logger

    /// Facts about a request that may go into the ledger and the log: no content.
    private struct Trace {
        var devicePseudonym: String?
        var kind: String?
        var errorCode: LetheError.Code?
    }

    func handle(_ encapsulatedRequest: some DataProtocol & Sendable) async -> GatewayReply {
        let requestID = RequestID.random()
        let receivedAt = Date()
        let arena = PlaintextArena()
        let timings = StageTimings(metrics: metrics)
        var trace = Trace()
        // Measured from the start of decryption: an upper bound on how long plaintext existed.
        let plaintextSince = ContinuousClock.now
        let reply: GatewayReply
        // Kept past the wipe: it holds only the exported secret, which seals the receipt.
        var receiptResponder: OHTTPResponder?

        do {
            let (request, responder) = try timings.measure(.decapsulate) { try gateway.decapsulate(encapsulatedRequest, into: arena) }
            receiptResponder = responder
            let response = try await respond(to: request, requestID: requestID, arena: arena, timings: timings, trace: &trace)
            reply = .encapsulated(try timings.measure(.encapsulate) { try responder.encapsulate(response) }, sealedReceipt: nil)
        } catch {
            // Only the envelope and plaintext memory fail here; request failures are answered inside it.
            let failure = error as? LetheError ?? .internalError
            trace.errorCode = failure.code
            reply = .refused(failure, receipt: nil)
        }

        let report = timings.measure(.wipe) { arena.wipeAll() }
        let lifetime = report.bufferCount > 0 ? ContinuousClock.now - plaintextSince : .zero
        return await record(
            reply, requestID: requestID, receivedAt: receivedAt, trace: trace, report: report, plaintextLifetime: lifetime,
            timings: timings, responder: receiptResponder)
    }

    /// Answers a request refused before any plaintext existed (wrong media type, oversized or
    /// aborted body), still leaving its ledger entry.
    func refuse(_ failure: LetheError) async -> GatewayReply {
        await record(
            .refused(failure, receipt: nil), requestID: RequestID.random(), receivedAt: Date(),
            trace: Trace(errorCode: failure.code), report: WipeReport(), plaintextLifetime: .zero,
            timings: StageTimings(metrics: metrics))
    }

    /// Appends the request's deletion record, after its buffers are wiped, and logs its outcome.
    /// The signed receipt rides along in the reply: encrypted to the request's context when an
    /// OHTTP response is going back, in the clear in a refusal's problem document.
    private func record(
        _ reply: GatewayReply, requestID: String, receivedAt: Date, trace: Trace, report: WipeReport,
        plaintextLifetime: Duration, timings: StageTimings, responder: OHTTPResponder? = nil
    ) async -> GatewayReply {
        let record = DeletionRecord(
            requestID: requestID, devicePseudonym: trace.devicePseudonym, kind: trace.kind,
            receivedAt: receivedAt, wipedAt: Date(), plaintextLifetimeMicroseconds: Int(plaintextLifetime.wholeMicroseconds),
            bytesWiped: report.bytesByClass, buffersWiped: report.bufferCount, wipeVerified: report.verified,
            errorCode: trace.errorCode?.rawValue)
        if !report.verified {
            logger.critical("wipe verify failed", metadata: ["request_id": "\(requestID)"])
        }
        metrics.countRequest(kind: trace.kind, errorCode: trace.errorCode?.rawValue)
        metrics.recordWipe(report, plaintextLifetime: plaintextLifetime)
        do {
            let appendStarted = ContinuousClock.now
            let (entry, receipt) = try await ledger.appendWithReceipt(record)
            timings.record(.ledgerAppend, .now - appendStarted)
            logger.info("request finished", metadata: timings.logMetadata.merging([
                "request_id": "\(requestID)", "outcome": "\(entry.outcome)", "error_code": "\(entry.errorCode ?? "-")",
                "bytes_wiped": "\(report.totalBytes)", "wipe_verified": "\(report.verified)",
                "plaintext_lifetime_us": "\(entry.plaintextLifetimeMicroseconds)", "ledger_sequence": "\(entry.sequence)",
            ]) { $1 })
            switch reply {
            case .encapsulated(let body, _):
                let key = responder.map { $0.exportSecret(label: ReceiptEnvelope.receiptLabel, length: ReceiptEnvelope.keyByteCount) }
                return .encapsulated(body, sealedReceipt: key.flatMap { try? ReceiptEnvelope.seal(receipt, key: $0) })
            case .refused(let failure, _):
                // The receipt holds no content (a random id, the entry index, zero plaintext bytes).
                return .refused(failure, receipt: receipt)
            }
        } catch {
            // The plaintext is gone, but without its record the deletion cannot be proven: fail closed.
            logger.critical("ledger append failed", metadata: ["request_id": "\(requestID)", "error": "\(error)"])
            return .refused(.ledgerNotRecorded, receipt: nil)
        }
    }

    /// Produces the plaintext BHTTP response (in arena buffers) for a decrypted inner request.
    /// Every request failure becomes an inner error response with a stable code; only running out
    /// of plaintext memory for the response throws.
    private func respond(
        to request: SecureBuffer, requestID: String, arena: PlaintextArena, timings: StageTimings, trace: inout Trace
    ) async throws -> SecureBuffer {
        let status: Int
        var json: Data
        var fields = [BinaryHTTPField(name: "content-type", value: "application/json")]
        var images = EmbeddedImages()
        do {
            let result = try await analyse(request, requestID: requestID, arena: arena, timings: timings, trace: &trace, images: &images)
            json = try Self.encoder.encode(result)
            status = 200
        } catch {
            let failure = error as? LetheError ?? .internalError
            trace.errorCode = failure.code
            status = Int(failure.status.code)
            if let seconds = failure.retryAfter { fields.append(BinaryHTTPField(name: "retry-after", value: String(seconds))) }
            json = (try? Self.encoder.encode(
                ErrorResponse(requestID: requestID, error: .init(code: failure.code.rawValue, message: failure.message)))) ?? Data()
        }
        var body = try arena.adopt(&json, bufferClass: .response)
        if status == 200, !images.isEmpty { body = try images.splice(body, arena: arena) }
        return try body.withUnsafeBytes { content throws(LetheError) in
            try BinaryHTTPResponse.encode(status: status, headerFields: fields, content: content, in: arena)
        }
    }

    /// Parses, authenticates, routes, decodes and analyses. Throws `LetheError`.
    private func analyse(
        _ request: SecureBuffer, requestID: String, arena: PlaintextArena, timings: StageTimings, trace: inout Trace,
        images: inout EmbeddedImages
    ) async throws -> AnalysisResponse {
        // In place: chunked (indeterminate-length) content is joined inside the same wiped buffer.
        let (head, contentRange) = try request.withUnsafeMutableBytes { bytes throws(LetheError) in try BinaryHTTPRequest.parse(inPlace: bytes) }
        let route = try InnerRoute(head, simulationLimits: configuration.simulation)
        let deviceID = try tokens.authenticate(authorization: head.field("authorization"))
        trace.devicePseudonym = ledger.pseudonymizer.pseudonym(for: deviceID, on: Date())
        trace.kind = route.kind.rawValue
        try rateLimiter.admit(deviceID)
        guard !contentRange.isEmpty else { throw LetheError.emptyPhoto }
        let limits = configuration.decodeLimits
        guard contentRange.count <= limits.maxBytes else {
            throw LetheError.photoTooLarge(contentRange.count, limit: limits.maxBytes)
        }

        var settings = AnalysisSettings(
            kind: route.kind, millimetresPerPixel: route.millimetresPerPixel, quality: configuration.skinAnalysis,
            face: configuration.faceAnalysis, measures: configuration.skinMeasures, scalp: configuration.scalpAnalysis,
            landmarks: route.landmarks)
        if let name = route.profile {
            guard let profile = profiles[name] else { throw LetheError.unknownProfile(name, known: Array(profiles.keys)) }
            guard profile.kinds.contains(route.kind) else {
                throw LetheError.profileKindMismatch(name, kind: route.kind, kinds: profile.kinds)
            }
            settings.profile = profile
        }
        if route.kind == .face { settings.models = models }
        let analysisSettings = settings
        // One photo as the body, or a session of several as multipart/form-data (RFC 7578); the
        // parts are ranges inside the same wiped request buffer.
        let parts: [MultipartPhotos.Part]
        let boundary = MultipartPhotos.boundary(contentType: head.field("content-type"))
        if let boundary {
            parts = try request.withUnsafeBytes { bytes throws(LetheError) in
                try MultipartPhotos.parts(of: bytes, content: contentRange, boundary: boundary)
            }
            guard !parts.isEmpty, parts.allSatisfy({ !$0.range.isEmpty }) else { throw LetheError.emptyPhoto }
            guard parts.count <= configuration.maxPhotosPerSession else {
                throw LetheError.tooManyPhotos(parts.count, limit: configuration.maxPhotosPerSession)
            }
        } else {
            parts = [MultipartPhotos.Part(name: "photo", range: contentRange)]
        }
        let simulation = route.simulation
        // libvips and pixel loops are CPU-bound: run them on the blocking pool, not the event loop.
        typealias Measured = (name: String, info: AnalysisResponse.ImageInfo, result: PhotoAnalysisResult, rendering: SimulationRendering?)
        let results = try await NIOThreadPool.singleton.runIfActive { () throws -> [Measured] in
            // The codecs' and filters' dead frames on this pool thread hold pieces of the photo
            // and its renderings once they return: zero them before the thread takes other work.
            defer { ThreadStack.wipeBelowCaller() }
            return try request.withUnsafeBytes { bytes in
                try parts.enumerated().map { index, part in
                    let photo = UnsafeRawBufferPointer(rebasing: bytes[part.range])
                    let image = try timings.measure(.decode) { () throws(LetheError) in try ImageDecoder.decode(photo, limits: limits, arena: arena) }
                    // Each photo's pixels are wiped (and counted in the request's record) as soon as it is measured.
                    defer { arena.release(image.pixels) }
                    let info = AnalysisResponse.ImageInfo(width: image.width, height: image.height, format: image.format.rawValue)
                    let result = try timings.measure(.analyse) { () throws(LetheError) in
                        try PhotoAnalysis.run(image, settings: analysisSettings, arena: arena)
                    }
                    // Simulations are rendered for the first photo (the only one, outside sessions).
                    guard index == 0, let simulation else { return (part.name, info, result, nil) }
                    let rendering = try timings.measure(.simulate) { () throws(LetheError) in
                        try SimulationRenderer.render(image, analysis: result, settings: analysisSettings, request: simulation, arena: arena)
                    }
                    return (part.name, info, result, rendering)
                }
            }
        }
        let (_, info, result, rendering) = results[0]
        var response: AnalysisResponse
        if boundary == nil {
            response = AnalysisResponse(requestID: requestID, kind: route.kind.rawValue, image: info, measures: result.measures, face: result.face, scalp: result.scalp)
        } else {
            response = AnalysisResponse(
                requestID: requestID, kind: route.kind.rawValue, image: info,
                measures: SessionCombination.combine(results.compactMap(\.result.measures)),
                face: results.count == 1 ? result.face : nil,
                scalp: SessionCombination.combine(results.compactMap(\.result.scalp)),
                photos: results.map { SessionPhotoResult(name: $0.name, image: $0.info, measures: $0.result.measures, face: $0.result.face, scalp: $0.result.scalp) })
        }
        if let rendering { Self.attach(rendering, to: &response, images: &images) }
        return response
    }

    /// The simulation's images as placeholders in the response (spliced in after JSON encoding).
    private static func attach(_ rendering: SimulationRendering, to response: inout AnalysisResponse, images: inout EmbeddedImages) {
        response.preview = rendering.preview.map { images.wire($0) }
        response.overlay = rendering.overlay.map { images.wire($0) }
        if !rendering.masks.isEmpty {
            response.masks = Dictionary(uniqueKeysWithValues: rendering.masks.map { mask in
                (mask.concern.rawValue, ConcernMask(colour: mask.concern.legendHex, pixelFraction: mask.pixelFraction, image: images.wire(mask.image)))
            })
        }
        let request = rendering.request
        response.simulation = SimulationSummary(
            concerns: request.concerns.map(\.rawValue),
            strengths: Dictionary(uniqueKeysWithValues: request.concerns.map { ($0.rawValue, request.strength(of: $0)) }),
            legend: Dictionary(uniqueKeysWithValues: request.concerns.filter(\.hasMask).map { ($0.rawValue, $0.legendHex) }),
            format: request.output.format.rawValue, quality: request.output.quality, width: rendering.width, height: rendering.height)
    }

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()
}

/// Random 128-bit request identifiers.
enum RequestID {
    static func random() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<16).map { _ in String(format: "%02x", UInt8.random(in: .min ... .max, using: &generator)) }.joined()
    }
}
