import Foundation
import Hummingbird
import LetheLedger

/// Publication of the deletion log (outer, plaintext), under `/ledger/`. Only the public log is
/// here: commitments and period summaries, nothing a relay could match with a request's time or
/// size (docs/ledger.md §2). The private records are served on the operator listener only.
///
/// | path | body |
/// | --- | --- |
/// | `checkpoint` | latest signed checkpoint (C2SP tlog-checkpoint in a signed note) |
/// | `tile/<L>/<N>[.p/<W>]`, `tile/entries/<N>[.p/<W>]` | C2SP tlog-tiles hash tiles and entry bundles |
/// | `checkpoints/<size>` | the kept checkpoint of exactly that size |
/// | `key` | the C2SP verifier key (for convenience; pin it out of band) |
/// | `entries?start=S&end=E` | entries S..<E (at most 1000) as canonical JSON lines |
/// | `period?start=T` | where the published batches of the period starting at T (RFC 3339, as in a receipt) are |
/// | `proof/inclusion?index=I&size=N` | RFC 9162 inclusion proof (JSON, base64 hashes) |
/// | `proof/consistency?old=M&new=N` | RFC 9162 consistency proof (JSON, base64 hashes) |
struct LedgerRoutes: Sendable {
    let ledger: DeletionLedger

    static let prefix = "/ledger"

    func register(on router: Router<BasicRequestContext>) {
        router.get("\(Self.prefix)/checkpoint") { _, _ in
            guard let note = await ledger.latestCheckpointNote else { return Self.notFound("no checkpoint yet") }
            return Self.text(note, cache: "no-cache")
        }
        router.get("\(Self.prefix)/checkpoints/:size") { _, context in
            guard let size = context.parameters.get("size", as: Int.self), let note = await ledger.checkpointNote(size: size) else {
                return Self.notFound("no checkpoint of that size")
            }
            return Self.text(note, cache: "max-age=31536000, immutable")
        }
        router.get("\(Self.prefix)/key") { _, _ in
            Self.text(ledger.verifierKey + "\n", cache: "max-age=3600")
        }
        router.get("\(Self.prefix)/tile/**") { _, context in
            guard let tile = TilePath(components: context.parameters.getCatchAll()), let data = await ledger.tile(tile) else {
                return Self.notFound("no such tile")
            }
            return Response(
                status: .ok,
                headers: [.contentType: "application/octet-stream", .cacheControl: "max-age=31536000, immutable"],
                body: .init(byteBuffer: ByteBuffer(bytes: data)))
        }
        router.get("\(Self.prefix)/entries") { request, _ in
            guard let start = request.uri.queryParameters.get("start", as: Int.self),
                let end = request.uri.queryParameters.get("end", as: Int.self), start >= 0, end > start, end - start <= 1000
            else { return Self.badRequest("start and end (at most 1000 apart) are required") }
            do {
                var body = Data()
                for entry in try await ledger.entryBytes(start..<end) {
                    body.append(entry)
                    body.append(0x0A)
                }
                return Response(status: .ok, headers: [.contentType: "application/x-ndjson"], body: .init(byteBuffer: ByteBuffer(bytes: body)))
            } catch {
                return Self.notFound("\(error)")
            }
        }
        router.get("\(Self.prefix)/period") { request, _ in
            guard let start = request.uri.queryParameters.get("start"), start.count <= 64 else {
                return Self.badRequest("start (the period start from the receipt) is required")
            }
            let batches = await ledger.batches(period: String(start))
            guard !batches.isEmpty else { return Self.notFound("no batch of that period is published yet") }
            return Self.json(PeriodDocument(period: String(start), batches: batches))
        }
        router.get("\(Self.prefix)/proof/inclusion") { request, _ in
            guard let index = request.uri.queryParameters.get("index", as: Int.self),
                let size = request.uri.queryParameters.get("size", as: Int.self)
            else { return Self.badRequest("index and size are required") }
            do {
                let proof = try await ledger.inclusionProof(index: index, size: size)
                return Self.json(InclusionProofDocument(
                    index: index, size: size, leafHash: try await ledger.leafHash(index: index).base64EncodedString(),
                    rootHash: try await ledger.rootHash(size: size).base64EncodedString(), proof: proof.map { $0.base64EncodedString() }))
            } catch {
                return Self.notFound("\(error)")
            }
        }
        router.get("\(Self.prefix)/proof/consistency") { request, _ in
            guard let old = request.uri.queryParameters.get("old", as: Int.self),
                let new = request.uri.queryParameters.get("new", as: Int.self)
            else { return Self.badRequest("old and new are required") }
            do {
                let proof = try await ledger.consistencyProof(oldSize: old, newSize: new)
                return Self.json(ConsistencyProofDocument(oldSize: old, newSize: new, proof: proof.map { $0.base64EncodedString() }))
            } catch {
                return Self.notFound("\(error)")
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

    static func notFound(_ message: String) -> Response {
        Response(status: .notFound, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: message + "\n")))
    }

    static func badRequest(_ message: String) -> Response {
        Response(status: .badRequest, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: message + "\n")))
    }
}
