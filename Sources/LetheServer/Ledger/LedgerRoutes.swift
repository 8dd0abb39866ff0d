import Foundation
import Hummingbird
import LetheLedger
import LetheMemory
import LetheTransparency
import Logging

/// Publication of the deletion log (outer, plaintext), under `/ledger/` (the resources are listed
/// on `LedgerRequest`). Only the public log is here: commitments and period summaries, nothing a
/// relay could match with a request's time or size (docs/ledger.md §1). The private records are
/// served on the operator listener only.
///
/// Every request is parsed by `LedgerRequest` from the raw request target, with checked
/// arithmetic. Every failure is the gateway's problem document (`application/problem+json` with
/// `code` and `title`, RFC 9457): `malformed_ledger_request` (400), `not_found` (404, no such
/// resource), `not_in_ledger` (404, not in the log yet or any more), `ledger_unreadable` (503).
/// A response never carries a Swift error description or a file path; the operator's log has
/// the cause of a 503.
struct LedgerRoutes: Sendable {
    let ledger: DeletionLedger
    /// The encoded OHTTP key configurations the gateway accepts now (`/ledger/ohttp-keys`).
    let keyConfigs: @Sendable () -> [Data]
    let logger: Logger

    func register(on router: Router<BasicRequestContext>) {
        router.get("/ledger") { request, _ in await respond(to: request) }
        router.get("/ledger/**") { request, _ in await respond(to: request) }
    }

    private func respond(to request: Request) async -> Response {
        let query = request.uri.query.map { Substring($0) }
        do {
            return try await serve(try LedgerRequest(path: Substring(request.uri.path), query: query))
        } catch let error as LetheError {
            return problem(error)
        } catch {
            return problem(LetheError(.ledgerUnreadable, "unexpected \(type(of: error))"))
        }
    }

    private func serve(_ request: LedgerRequest) async throws -> Response {
        switch request {
        case .checkpoint:
            guard let note = await ledger.latestCheckpointNote else { throw LetheError.notInLedger("no checkpoint has been signed yet") }
            return Self.text(note, cache: "no-cache")
        case .checkpointOfSize(let size):
            guard let note = await ledger.checkpointNote(size: size) else {
                throw LetheError.notInLedger("no checkpoint of size \(size) is kept")
            }
            return Self.text(note, cache: Self.immutable)
        case .verifierKey:
            return Self.text(ledger.verifierKey + "\n", cache: "max-age=3600")
        case .tile(let tile):
            // A full hash tile is a file that never changes: read without the ledger's actor, so
            // that mirrors and monitors fetching tiles never queue behind appends and fsyncs.
            if let data = ledger.storedFullTile(tile) {
                return Self.tile(data, cache: Self.immutable)
            }
            guard let data = try await ledger.tileData(tile) else {
                throw LetheError.notInLedger("\(tile.path) is not in the log (yet, or any more)")
            }
            // A partial tile (`.p/W`) is replaced by a wider one as the log grows; a full entry
            // bundle is as immutable as a full hash tile.
            return Self.tile(data, cache: tile.width == TilePath.width ? Self.immutable : "no-cache")
        case .entries(let range):
            var body = Data()
            for entry in try await ledger.entryBytes(range) {
                body.append(entry)
                body.append(0x0A)
            }
            return Response(status: .ok, headers: [.contentType: "application/x-ndjson"], body: .init(byteBuffer: ByteBuffer(bytes: body)))
        case .inclusionProof(let index, let size):
            let proof = try await ledger.inclusionProof(index: index, size: size)
            return Self.json(InclusionProofDocument(
                index: index, size: size, leafHash: try await ledger.leafHash(index: index).base64EncodedString(),
                rootHash: try await ledger.rootHash(size: size).base64EncodedString(), proof: proof.map { $0.base64EncodedString() }))
        case .period(let start):
            let batches = await ledger.batches(period: start)
            guard !batches.isEmpty else { throw LetheError.notInLedger("no batch of the period \(start) is published yet") }
            return Self.json(PeriodDocument(period: start, batches: batches))
        case .ohttpKeys:
            return Self.json(try await ledger.keyConfigProofs(keyConfigs()))
        case .consistencyProof(let old, let new):
            let proof = try await ledger.consistencyProof(oldSize: old, newSize: new)
            return Self.json(ConsistencyProofDocument(oldSize: old, newSize: new, proof: proof.map { $0.base64EncodedString() }))
        }
    }

    /// The gateway's problem document for a ledger failure. Codes about the request keep their
    /// message (numbers and limits only); anything else is a read failure whose message may name
    /// a file: it goes to the operator's log, and the response says only `ledger_unreadable`.
    private func problem(_ error: LetheError) -> Response {
        let failure: LetheError
        switch error.code {
        case .malformedLedgerRequest, .notFound, .notInLedger:
            failure = error
        case .proofOutOfRange:
            failure = .notInLedger(error.message)
        default:
            logger.error("ledger read failed", metadata: ["error_code": "\(error.code)", "error": "\(error.message)"])
            failure = .ledgerUnreadable
        }
        return failure.problemResponse()
    }

    /// For what never changes once published: full tiles and entry bundles, kept checkpoints.
    static let immutable = "public, max-age=31536000, immutable"

    static func tile(_ data: Data, cache: String) -> Response {
        Response(
            status: .ok, headers: [.contentType: "application/octet-stream", .cacheControl: cache],
            body: .init(byteBuffer: ByteBuffer(bytes: data)))
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
}
