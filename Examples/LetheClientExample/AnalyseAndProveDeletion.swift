import Foundation
import LetheClient

// An app's whole use of LetheClient: key discovery, one encrypted analysis, the results, and the
// proof that the worker deleted the photo. `ledgerKey` is the worker's C2SP verifier key, shipped
// with the app (pinned), e.g. "lethe.example+2771f138+Afvg…".
public func analyseAndProveDeletion(photo: Data, server: URL, token: String, ledgerKey: String) async throws -> String {
    let client = LetheClient(serverURL: server, token: token)
    let verifier = try NoteVerifier(verifierKey: ledgerKey)

    // 1. Key discovery (RFC 9540): the worker's HPKE keys. analyze… fetches them itself when
    //    needed; an app can also pin one (client.pinnedKeyConfig) instead of trusting discovery.
    let keys = try await client.fetchKeyConfigs()

    // 2. One request, encrypted to the worker (RFC 9458); the sealed receipt is checked on arrival.
    let (result, receipt) = try await client.analyzeWithReceipt(photo: photo, kind: "face", ledgerKey: verifier)

    // 3. The results: JSON documented in openapi.yaml, decoded into LetheAPI types.
    var lines = ["\(keys.count) keys; \(result.kind) \(result.image.width)×\(result.image.height) \(result.image.format)"]
    if let measures = result.measures {
        lines.append("skin tone ITA \(measures.skinTone.itaDegrees)° (\(measures.skinTone.category)), erythema \(measures.redness.erythemaIndex)")
    }
    if let face = result.face { lines.append("face regions: \(face.regions.count)") }

    // 4. The deletion receipt: signed by the ledger key, then proven in the public log (waits for
    //    the receipt's period to be published and a checkpoint to cover it).
    let proof = try await client.proveInclusion(of: receipt, verifier: verifier, timeout: .seconds(120))
    lines.append("deleted at \(receipt.wipedAt), \(receipt.bytesWiped) bytes, wipe verified \(receipt.wipeVerified), entry #\(proof.index) in checkpoint of size \(proof.checkpoint.size)")
    return lines.joined(separator: "\n")
}
