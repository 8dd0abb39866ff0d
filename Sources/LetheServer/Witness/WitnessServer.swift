import Foundation
import Hummingbird
import LetheLedger
import LetheMemory
import Logging
import NIOCore
import ServiceLifecycle

/// `lethe witness serve`: a C2SP tlog-witness over HTTP (https://c2sp.org/tlog-witness), one
/// route, `POST /add-checkpoint`, with the submission and monitoring prefixes both `/`.
///
/// Answers: 200 with the cosignature line(s); 409 `text/x.tlog.size` with the size it last
/// cosigned when the old size is not it; and a problem document (`application/problem+json`
/// with `code`) for 400 `witness_request_malformed`, 403 `witness_signature_untrusted`, 404
/// `witness_origin_unknown`, 409 `witness_conflict` (same size, other root), 422
/// `witness_proof_invalid`, 503 `witness_state_unavailable`.
public struct WitnessServer: Sendable {
    public let witness: Witness
    let host: String
    let port: Int
    let logger: Logger

    public init(witness: Witness, host: String = "127.0.0.1", port: Int, logger: Logger) {
        self.witness = witness
        self.host = host
        self.port = port
        self.logger = logger
    }

    /// The HTTP service; `onListening` is called with the bound port.
    public func application(onListening: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol & Service {
        let router = Router()
        let witness = witness
        let logger = logger
        router.post("/add-checkpoint") { request, _ -> Response in
            let body: ByteBuffer
            do {
                body = try await request.body.collect(upTo: AddCheckpointRequest.maxBodyBytes)
            } catch {
                return Self.refusal(LetheError(.witnessRequestMalformed, "the body is larger than \(AddCheckpointRequest.maxBodyBytes) bytes"))
            }
            do {
                switch try await witness.addCheckpoint(Data(buffer: body)) {
                case .cosigned(let lines):
                    return Response(status: .ok, headers: [.contentType: "text/x.tlog.cosignature"], body: .init(byteBuffer: ByteBuffer(string: lines)))
                case .conflict(let size):
                    return Response(status: .conflict, headers: [.contentType: "text/x.tlog.size"], body: .init(byteBuffer: ByteBuffer(string: "\(size)\n")))
                }
            } catch let error as LetheError {
                logger.warning("add-checkpoint refused", metadata: ["error_code": "\(error.code)", "error": "\(error.message)"])
                return Self.refusal(error)
            } catch {
                return Self.refusal(LetheError(.witnessStateUnavailable, "unexpected \(type(of: error))"))
            }
        }
        return Application(
            router: router,
            configuration: .init(address: .hostname(host, port: port), serverName: "lethe-witness"),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? 0) },
            logger: logger)
    }

    /// Serves until SIGTERM or SIGINT.
    public func runUntilSignalled(onListening: @escaping @Sendable (Int) async -> Void) async throws {
        try await ServiceGroup(configuration: .init(
            services: [application(onListening: onListening)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)).run()
    }

    /// Starts the witness on its port, runs `body` with the bound port, then stops it.
    public func withRunning<Result: Sendable>(_ body: @escaping @Sendable (_ port: Int) async throws -> Result) async throws -> Result {
        let (bound, continuation) = AsyncStream.makeStream(of: Int.self)
        let group = ServiceGroup(configuration: .init(
            services: [application { continuation.yield($0); continuation.finish() }], gracefulShutdownSignals: [], logger: logger))
        return try await group.running(announcedOn: bound, notStarted: LetheError(.witnessStateUnavailable, "the witness did not start listening"), body)
    }

    /// The tlog-witness status of each refusal (the spec fixes 403 and 409, which the general
    /// disposition mapping does not produce), with the gateway's problem document.
    static func refusal(_ error: LetheError) -> Response {
        var response = error.problemResponse()
        switch error.code {
        case .witnessSignatureUntrusted: response.status = .forbidden
        case .witnessConflict: response.status = .conflict
        default: break
        }
        return response
    }
}
