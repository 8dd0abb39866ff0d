import Foundation
import Hummingbird
import LetheLedger
import LetheMemory
import Logging

/// Publication of the deletion log (outer, plaintext; entries carry no personal data), under
/// `/ledger/`:
///
/// | path | body |
/// | --- | --- |
/// | `checkpoint` | latest signed checkpoint (C2SP tlog-checkpoint in a signed note) |
/// | `tile/<L>/<N>[.p/<W>]`, `tile/entries/<N>[.p/<W>]` | C2SP tlog-tiles hash tiles and entry bundles |
/// | `checkpoints/<size>` | the kept checkpoint of exactly that size |
/// | `key` | the C2SP verifier key (for convenience; pin it out of band) |
/// | `entries?start=S&end=E` | entries S..<E (at most 1000) as canonical JSON lines |
/// | `proof/inclusion?index=I&size=N` | RFC 9162 inclusion proof (JSON, base64 hashes) |
/// | `proof/consistency?old=M&new=N` | RFC 9162 consistency proof (JSON, base64 hashes) |
///
/// Failures are problem documents like every other route's: `not_found` or `proof_out_of_range`
/// (404) for what the log does not hold, `invalid_parameter` (400) for a query without its numbers.
struct LedgerRoutes: Sendable {
    let ledger: DeletionLedger

    static let prefix = "/ledger"

    func register(on router: Router<BasicRequestContext>) {
        router.get("\(Self.prefix)/checkpoint") { _, _ in
            guard let note = await ledger.latestCheckpointNote else { throw LetheError(.notFound, "no checkpoint yet") }
            return Self.text(note, cache: "no-cache")
        }
        router.get("\(Self.prefix)/checkpoints/:size") { _, context in
            guard let size = context.parameters.get("size", as: Int.self), let note = await ledger.checkpointNote(size: size) else {
                throw LetheError(.notFound, "no checkpoint of that size")
            }
            return Self.text(note, cache: "max-age=31536000, immutable")
        }
        router.get("\(Self.prefix)/key") { _, _ in
            Self.text(ledger.verifierKey + "\n", cache: "max-age=3600")
        }
        router.get("\(Self.prefix)/tile/**") { _, context in
            guard let tile = TilePath(components: context.parameters.getCatchAll()), let data = await ledger.tile(tile) else {
                throw LetheError(.notFound, "no such tile")
            }
            return Response(
                status: .ok,
                headers: [.contentType: "application/octet-stream", .cacheControl: "max-age=31536000, immutable"],
                body: .init(byteBuffer: ByteBuffer(bytes: data)))
        }
        router.get("\(Self.prefix)/entries") { request, context in
            guard let start = request.uri.queryParameters.get("start", as: Int.self),
                let end = request.uri.queryParameters.get("end", as: Int.self), start >= 0, end > start, end - start <= 1000
            else { throw LetheError(.invalidParameter, "start and end (at most 1000 apart) are required") }
            do {
                var body = Data()
                for entry in try await ledger.entryBytes(start..<end) {
                    body.append(entry)
                    body.append(0x0A)
                }
                return Response(status: .ok, headers: [.contentType: "application/x-ndjson"], body: .init(byteBuffer: ByteBuffer(bytes: body)))
            } catch {
                throw Self.publicationFailure(error, logger: context.logger)
            }
        }
        router.get("\(Self.prefix)/proof/inclusion") { request, context in
            guard let index = request.uri.queryParameters.get("index", as: Int.self),
                let size = request.uri.queryParameters.get("size", as: Int.self)
            else { throw LetheError(.invalidParameter, "index and size are required") }
            do {
                let proof = try await ledger.inclusionProof(index: index, size: size)
                return Self.json(InclusionProofDocument(
                    index: index, size: size, leafHash: try await ledger.leafHash(index: index).base64EncodedString(),
                    rootHash: try await ledger.rootHash(size: size).base64EncodedString(), proof: proof.map { $0.base64EncodedString() }))
            } catch {
                throw Self.publicationFailure(error, logger: context.logger)
            }
        }
        router.get("\(Self.prefix)/proof/consistency") { request, context in
            guard let old = request.uri.queryParameters.get("old", as: Int.self),
                let new = request.uri.queryParameters.get("new", as: Int.self)
            else { throw LetheError(.invalidParameter, "old and new are required") }
            do {
                let proof = try await ledger.consistencyProof(oldSize: old, newSize: new)
                return Self.json(ConsistencyProofDocument(oldSize: old, newSize: new, proof: proof.map { $0.base64EncodedString() }))
            } catch {
                throw Self.publicationFailure(error, logger: context.logger)
            }
        }
    }

    static func text(_ text: String, cache: String) -> Response {
        Response(
            status: .ok, headers: [.contentType: "text/plain; charset=utf-8", .cacheControl: cache],
            body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static func json<Document: Encodable>(_ document: Document) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Response(
            status: .ok, headers: [.contentType: "application/json", .cacheControl: "no-cache"],
            body: .init(byteBuffer: ByteBuffer(bytes: (try? encoder.encode(document)) ?? Data())))
    }

    /// What the public is told when the ledger cannot answer: sizes and indexes of what it does
    /// not hold, as they are; anything else without its details (they may name the ledger's
    /// files), which go to the log.
    static func publicationFailure(_ error: any Error, logger: Logger) -> LetheError {
        if let error = error as? LetheError, [.notFound, .malformed].contains(error.code.disposition) { return error }
        logger.error("ledger publication failed", metadata: ["error": "\(error)"])
        return LetheError((error as? LetheError)?.code ?? .internalError, "the deletion ledger could not answer this request")
    }
}
