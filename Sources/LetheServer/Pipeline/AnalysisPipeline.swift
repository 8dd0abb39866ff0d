import Foundation
import LetheAPI
import LetheAnalysis
import LetheEngine
import LetheEnvelope
import LetheImaging
import LetheLedger
import LetheMemory
import LetheTransparency
import Logging
import NIOPosix

/// What goes back on the outer HTTP connection: ciphertext, or a problem document when the
/// envelope itself was broken or refused. Never plaintext.
enum GatewayReply: Sendable {
    /// `message/ohttp-res`, with the signed deletion receipt encrypted to the request's OHTTP
    /// context (`Lethe-Receipt`) once the request is recorded.
    case encapsulated(Data, sealedReceipt: String?)
    /// An RFC 9458 §5.2 refusal as a problem document. It carries no receipt: with no OHTTP
    /// context to seal it to, a relay would read the commitment that ties the request to its
    /// public entry.
    case refused(LetheError)
}

/// One request's whole life, from ciphertext in to ciphertext out:
/// replay check → decapsulate → parse BHTTP → freshness (`Date`) → authenticate → route → decode →
/// analyse → encode JSON → encapsulate → wipe → ledger entry.
///
/// Plaintext exists only between decapsulation and `arena.wipeAll()`, both in `handle(_:)`, and
/// every buffer in between belongs to that request's `PlaintextArena`, on every path.
struct AnalysisPipeline: Sendable {
    let gateway: OHTTPGateway
    let tokens: DeviceTokens
    let ledger: DeletionLedger
    let configuration: ServerConfiguration
    /// The engine processes that decode and analyse; nil with `--engine-processes 0` (the unsafe
    /// in-process path, for comparison only).
    let engines: EnginePool?
    /// The worker's cores (the engines', or in process its own), whose requests' count the
    /// admission keeps (`RequestThreads`).
    let cores: CoreLedger
    /// Trained models and device profiles, loaded once at start (`LetheWorker.init`); the models
    /// only when this process analyses (`--engine-processes 0`: engines load their own).
    let models: AnalysisModels?
    let profiles: [String: DeviceProfile]
    let metrics: WorkerMetrics
    /// Per-device request rates (429 beyond).
    let rateLimiter: DeviceRateLimiter
    /// Encapsulated keys seen within the freshness window (RFC 9458 §6.5).
    let replayGuard: ReplayGuard
    /// Pixels the engines may hold decoded at once; a job reserves its largest photo's.
    let decodeBudget: DecodeBudget
    let logger: Logger

    /// The `Date` check that goes with `replayGuard` (same window).
    var freshness: RequestFreshness { RequestFreshness(window: replayGuard.window) }

    /// What every stage of one request shares.
    private struct RequestScope: Sendable {
        let requestID: String
        let arena: PlaintextArena
        let timings: StageTimings
        let deadline: ProcessingDeadline
        /// The request's claim on its enc, confirmed once it is fresh and authenticated.
        let reservation: ReplayGuard.Reservation?
    }

    /// Facts about a request that may go into the ledger and the log: no content.
    private struct Trace {
        /// The request id the device chose (`lethe-request-id`, inside the encryption), which the
        /// record, the answer and so the receipt carry instead of the worker's: the device can
        /// then tell its own receipt from any other (docs/ledger.md §9).
        var deviceRequestID: String?
        var devicePseudonym: String?
        var kind: String?
        var errorCode: LetheError.Code?
        /// What the engine process wiped of the request in its own memory.
        var engineWipe: WipeReport?
    }

    /// Answers one encapsulated request; the ciphertext is let go of once decrypted.
    func handle(_ encapsulatedRequest: consuming some DataProtocol & Sendable) async -> GatewayReply {
        // RFC 9458 §6.5: a copy of a request accepted within its window is refused before it is
        // decrypted, with no ledger record (nothing was decrypted, and a per-copy record would let
        // whoever replays multiply them): it is only counted, in the metrics and in its period's
        // ledger summary.
        var reservation: ReplayGuard.Reservation?
        if let enc = gateway.encapsulatedKey(of: encapsulatedRequest) {
            do {
                reservation = try replayGuard.reserve(enc)
            } catch {
                switch error {
                case .replayed:
                    metrics.countReplay()
                    await ledger.countRefusal(code: LetheError.Code.requestReplayed.rawValue)
                    return .refused(.requestReplayed)
                case .full(let retryAfterSeconds):
                    metrics.countRefusal(reason: "replay_cache_full")
                    return await refuse(.replayCacheFull(retryAfterSeconds: retryAfterSeconds))
                }
            }
        }
        defer {
            // Given back unless the request was confirmed fresh and authenticated.
            if let reservation { replayGuard.release(reservation) }
            metrics.replayCacheEntries.store(replayGuard.count(), ordering: .relaxed)
        }
        let requestID = RequestID.random()
        // The ledger's clock, like the wipe time it is compared with.
        let receivedAt = ledger.configuration.clock.wallTime()
        let arena = PlaintextArena()
        let timings = StageTimings(metrics: metrics)
        var trace = Trace()
        // Measured from the start of decryption: an upper bound on how long plaintext existed.
        let plaintextSince = ContinuousClock.now
        let reply: GatewayReply
        // Kept past the wipe: it holds only the exported secret, which seals the receipt.
        var receiptResponder: OHTTPResponder?

        do {
            // The processing deadline runs from decryption to the end of analysis.
            let deadline = ProcessingDeadline(limits: configuration.processingLimits)
            let (request, responder) = try timings.measure(.decapsulate) { try gateway.decapsulate(encapsulatedRequest, into: arena) }
            // Not held beside the plaintext and the engine's memory file for the whole analysis.
            _ = consume encapsulatedRequest
            receiptResponder = responder
            let scope = RequestScope(requestID: requestID, arena: arena, timings: timings, deadline: deadline, reservation: reservation)
            let response = try await respond(to: request, scope: scope, trace: &trace)
            reply = .encapsulated(try timings.measure(.encapsulate) { try responder.encapsulate(response) }, sealedReceipt: nil)
        } catch {
            // Only the envelope and plaintext memory fail here; request failures are answered inside it.
            let failure = error as? LetheError ?? .internalError
            trace.errorCode = failure.code
            reply = .refused(failure)
        }

        let report = timings.measure(.wipe) { arena.wipeAll() }
        WipedPagePool.shared.trimAfterRequest()
        guard report.bufferCount > 0 else {
            // The envelope was refused before decryption produced a byte: nothing to wipe.
            return await countRefusal(reply, code: trace.errorCode ?? .internalError)
        }
        let lifetime = ContinuousClock.now - plaintextSince
        return await record(
            reply, requestID: trace.deviceRequestID ?? requestID, receivedAt: receivedAt, trace: trace, report: report, plaintextLifetime: lifetime,
            timings: timings, responder: receiptResponder)
    }

    /// Answers a request refused before any plaintext existed (wrong media type, oversized or
    /// aborted body, overload).
    func refuse(_ failure: LetheError) async -> GatewayReply {
        await countRefusal(.refused(failure), code: failure.code)
    }

    /// A request that never held plaintext has nothing to wipe and nothing to prove one by one:
    /// it is counted in its period's summary in the ledger (no disk write, no fsync, so that
    /// unauthenticated traffic cannot grow the ledger), in the metrics and in the log.
    private func countRefusal(_ reply: GatewayReply, code: LetheError.Code) async -> GatewayReply {
        metrics.countRequest(kind: nil, error: code)
        await ledger.countRefusal(code: code.rawValue)
        logger.info("request refused", metadata: ["outcome": "error", "error_code": "\(code.rawValue)", "bytes_wiped": "0"])
        return reply
    }

    /// Appends the request's deletion record, after its buffers are wiped, and logs its outcome.
    /// With a responder (an OHTTP response is going back), the signed receipt rides along in the
    /// reply, encrypted to the request's context.
    private func record(
        _ reply: GatewayReply, requestID: String, receivedAt: Date, trace: Trace, report: WipeReport,
        plaintextLifetime: Duration, timings: StageTimings, responder: OHTTPResponder? = nil
    ) async -> GatewayReply {
        // Each process's wipes count: the gateway's and, when an engine had the photos, the engine's.
        var report = report
        if let engineWipe = trace.engineWipe { report.add(engineWipe) }
        let record = DeletionRecord(
            requestID: requestID, devicePseudonym: trace.devicePseudonym, kind: trace.kind,
            receivedAt: receivedAt, plaintextLifetimeMicroseconds: Int(plaintextLifetime.wholeMicroseconds),
            bytesWiped: report.bytesByClass, buffersWiped: report.bufferCount, wipeVerified: report.verified,
            errorCode: trace.errorCode?.rawValue, engineBytesWiped: trace.engineWipe?.bytesByClass)
        if !report.verified {
            logger.critical("wipe verify failed", metadata: ["request_id": "\(requestID)"])
        }
        metrics.countRequest(kind: trace.kind, error: trace.errorCode)
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
            guard case .encapsulated(let body, _) = reply, let responder else { return reply }
            // Sealed to the request's OHTTP context: a relay must not see it (it names the
            // commitment, the one thing that ties the request to its public entry).
            let key = responder.exportSecret(label: ReceiptEnvelope.receiptLabel, length: ReceiptEnvelope.keyByteCount)
            return .encapsulated(body, sealedReceipt: try? ReceiptEnvelope.seal(receipt, key: key))
        } catch {
            // The plaintext is gone, but without its record the deletion cannot be proven: fail closed.
            logger.critical("ledger append failed", metadata: ["request_id": "\(requestID)", "error": "\(error)"])
            return .refused(.ledgerNotRecorded)
        }
    }

    /// Produces the plaintext BHTTP response (in arena buffers) for a decrypted inner request.
    /// Every request failure becomes an inner error response with a stable code; only running out
    /// of plaintext memory throws (a `LetheError`).
    private func respond(to request: SecureBuffer, scope: RequestScope, trace: inout Trace) async throws -> SecureBuffer {
        let arena = scope.arena
        let status: Int
        // RFC 9110 §6.6.1, RFC 9458 §6.5.2: the gateway's clock, inside the encryption, so that a
        // device refused as stale corrects its own and no relay can alter it.
        var fields = [
            BinaryHTTPField(name: "content-type", value: "application/json"),
            BinaryHTTPField(name: "date", value: HTTPDate.format(Date())),
        ]
        let body: SecureBuffer
        do {
            body = try await analyse(request, scope: scope, trace: &trace)
            status = 200
        } catch {
            let failure = error as? LetheError ?? .internalError
            trace.errorCode = failure.code
            status = Int(failure.status.code)
            if let seconds = failure.retryAfter { fields.append(BinaryHTTPField(name: "retry-after", value: String(seconds))) }
            var json = (try? Self.encoder.encode(
                ErrorResponse(requestID: trace.deviceRequestID ?? scope.requestID, error: .init(code: failure.code.rawValue, message: failure.message)))) ?? Data()
            body = try arena.adopt(&json, bufferClass: .response)
        }
        return try body.withUnsafeBytes { content throws(LetheError) in
            try BinaryHTTPResponse.encode(status: status, headerFields: fields, content: content, in: arena)
        }
    }

    /// Parses, checks freshness, authenticates and routes the inner request, and has the engine
    /// analyse its photos; returns the result's JSON (in the request's arena). Throws `LetheError`.
    private func analyse(_ request: SecureBuffer, scope: RequestScope, trace: inout Trace) async throws -> SecureBuffer {
        let (arena, timings, deadline) = (scope.arena, scope.timings, scope.deadline)
        // In place: chunked (indeterminate-length) content is joined inside the same wiped buffer.
        let (head, contentRange) = try request.withUnsafeMutableBytes { bytes throws(LetheError) in try BinaryHTTPRequest.parse(inPlace: bytes) }
        // Taken before any check, so that a refusal's receipt is bound to the device's request too.
        if let chosen = head.field("lethe-request-id"), RequestID.isWellFormed(chosen) { trace.deviceRequestID = chosen }
        let requestID = trace.deviceRequestID ?? scope.requestID
        // RFC 9458 §6.5.1: before anything else, and before authentication, so that a stale copy
        // tells nothing about its device.
        let requestDate = try freshness.check(dateField: head.field("date"))
        let route = try InnerRoute(head, simulationLimits: configuration.simulation)
        let deviceID = try tokens.authenticate(authorization: head.field("authorization"))
        // Fresh and authenticated: remember its enc for its window, so that no copy gets further
        // than this one did (not even to the rate limiter, whose allowance a copy would spend).
        if let reservation = scope.reservation { replayGuard.confirm(reservation, requestDate: requestDate) }
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
        // Each photo's light: a session's part by its name among the profile's captures, a single
        // photo the profile's light; without a profile, normal.
        let photos = try parts.map { part throws(LetheError) in
            guard let profile = settings.profile else { return AnalysisJob.Photo(name: part.name, range: part.range) }
            guard let light = profile.light(ofPart: boundary == nil ? nil : part.name) else {
                throw LetheError.unknownCapture(part.name, profile: profile.name, captures: Array((profile.captures ?? [:]).keys))
            }
            return AnalysisJob.Photo(name: part.name, range: part.range, light: light)
        }
        let job = AnalysisJob(
            requestID: requestID, settings: settings, photos: photos,
            isSession: boundary != nil, simulation: route.simulation, decodeLimits: limits)
        // Pixels are the engine's: the server hands it the photos and gets the result's JSON back,
        // in the request's arena. In an engine process (keyless, locked down) unless configured
        // off; in process, it is CPU-bound: the blocking pool, not the event loop.
        let engineWipe: WipeReport?
        let response: Result<SecureBuffer, LetheError>
        (response, engineWipe) = try await withDecodeRoom(for: photos, in: request, limits: limits) {
            if let engines {
                // Nothing reads the request after its photos are the engine's: wiped then, not at the end.
                let (response, engineWipe) = try await engines.run(job, photosIn: request, releasingRequest: true, arena: arena, timings: timings)
                return (response, engineWipe)
            }
            deadline.useCores(cores, threads: configuration.requestThreads)
            let response = try await NIOThreadPool.singleton.runIfActive {
                try AnalysisEngine.run(job, photosIn: request, arena: arena, deadline: deadline) { stage, duration in
                    timings.record(WorkerMetrics.Stage(stage), duration)
                }
            }
            return (.success(response), nil)
        }
        trace.engineWipe = engineWipe
        return try response.get()
    }

    /// Runs `body` holding room in the decode budget for the largest of `photos` (they are decoded
    /// one after the other, each wiped before the next), by the size their headers declare.
    /// - Throws: `image_too_large` when it exceeds the whole budget, `memory_budget_exceeded` when
    ///   no room came within the queue timeout.
    private func withDecodeRoom<Result: Sendable>(
        for photos: [AnalysisJob.Photo], in request: SecureBuffer, limits: DecodeLimits, _ body: () async throws -> Result
    ) async throws -> Result {
        let budget = decodeBudget.capacityPixels
        // A header read without a decoder (HEIF) is bounded only by --max-pixels.
        let pixels = request.withUnsafeBytes { bytes in
            photos.map { limits.declaredPixels(UnsafeRawBufferPointer(rebasing: bytes[$0.range])) ?? min(limits.maxPixels, budget) }.max() ?? 0
        }
        do {
            return try await decodeBudget.withReservation(pixels: pixels, body)
        } catch let refusal as DecodeBudget.Refusal {
            switch refusal {
            case .tooLarge: throw LetheError.photoOverDecodeBudget(pixels: pixels, budgetPixels: budget)
            case .timedOut: throw LetheError.decodeBudgetTimedOut(pixels: pixels)
            }
        }
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

    /// 32 lowercase hex digits (128 bits), the only form a device's own request id may take.
    static func isWellFormed(_ text: String) -> Bool {
        text.utf8.count == 32 && text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }
}
