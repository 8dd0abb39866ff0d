import Foundation
import LetheAPI
import LetheLedger
import LetheTransparency
import Logging
import Synchronization

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Submits each new checkpoint to the configured witnesses with the C2SP tlog-witness
/// `add-checkpoint` call, concurrently, and returns the cosignatures that verify.
///
/// It remembers, per witness, the size the witness last cosigned, and sends the consistency proof
/// from there. A witness it has not talked to yet (or that restarted with other state) answers
/// 409 with its size (`text/x.tlog.size`); the submitter then retries once with the proof from
/// that size. A witness that is down, refuses, or answers a cosignature that does not verify is
/// logged (`witness_cosignature_missing`) and left out: the checkpoint is published with the
/// cosignatures it has, and clients judge it by their own policy.
public final class WitnessSubmitter: CheckpointCosigning {
    let witnesses: [WitnessEndpoint]
    let logger: Logger
    let timeoutSeconds: Double
    private let knownSizes = Mutex<[String: Int]>([:])

    public init(witnesses: [WitnessEndpoint], logger: Logger, timeoutSeconds: Double = 10) {
        self.witnesses = witnesses
        self.logger = logger
        self.timeoutSeconds = timeoutSeconds
    }

    public func cosign(note: String, checkpoint: Checkpoint, consistencyProof: @escaping @Sendable (Int) async throws -> [Data]) async -> [SignedNote.Signature] {
        await withTaskGroup(of: SignedNote.Signature?.self) { group in
            for witness in witnesses {
                group.addTask { await self.cosignature(from: witness, note: note, checkpoint: checkpoint, consistencyProof: consistencyProof) }
            }
            var lines: [SignedNote.Signature] = []
            for await line in group { if let line { lines.append(line) } }
            // The configuration's order, whatever order they answered in.
            return witnesses.compactMap { witness in lines.first { $0.name == witness.verifier.name } }
        }
    }

    private func cosignature(
        from witness: WitnessEndpoint, note: String, checkpoint: Checkpoint, consistencyProof: @escaping @Sendable (Int) async throws -> [Data]
    ) async -> SignedNote.Signature? {
        let name = witness.verifier.name
        var oldSize = knownSizes.withLock { $0[name] } ?? 0
        do {
            for attempt in 0..<2 {
                let proof = oldSize == 0 || oldSize == checkpoint.size ? [] : try await consistencyProof(oldSize)
                let request = AddCheckpointRequest(oldSize: oldSize, proof: proof, note: note)
                let (status, body) = try await post(request.body, to: witness.addCheckpointURL)
                switch status {
                case 200:
                    let parsed = try SignedNote.parse(checkpoint.body + "\n" + body)
                    guard let line = parsed.signatures.first(where: { witness.verifier.timestamp(of: $0, checkpointBody: checkpoint.body) != nil }) else {
                        logger.error("witness_cosignature_missing", metadata: ["witness": "\(name)", "reason": "no cosignature in the answer verifies"])
                        return nil
                    }
                    knownSizes.withLock { $0[name] = checkpoint.size }
                    return line
                case 409 where attempt == 0:
                    guard let size = AddCheckpointRequest.decimal(Substring(body.trimmingCharacters(in: .newlines))), size <= checkpoint.size, size != oldSize else {
                        logger.error("witness_cosignature_missing", metadata: ["witness": "\(name)", "status": "409", "reason": "the witness holds another checkpoint of this size or a larger one: a fork?"])
                        return nil
                    }
                    oldSize = size
                default:
                    logger.error("witness_cosignature_missing", metadata: ["witness": "\(name)", "status": "\(status)", "answer": "\(body.prefix(200))"])
                    return nil
                }
            }
        } catch {
            logger.error("witness_cosignature_missing", metadata: ["witness": "\(name)", "error": "\(error)"])
        }
        return nil
    }

    private func post(_ body: String, to url: URL) async throws -> (Int, String) {
        var request = URLRequest(url: url, timeoutInterval: timeoutSeconds)
        request.httpMethod = "POST"
        request.httpBody = Data(body.utf8)
        request.setValue("text/plain; charset=utf-8", forHTTPHeaderField: "Content-Type")
        let (data, response) = try await URLSession.shared.dataCompletingDespiteCancellation(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data.prefix(64 * 1024), as: UTF8.self))
    }
}
