import Foundation
import LetheAPI
import LetheEnvelope
import LetheLedger

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A deletion receipt whose signature was checked and whose entry was shown, with an RFC 9162
/// inclusion proof, to be inside a signed checkpoint of the worker's log.
public struct ProvenDeletion: Sendable, Equatable {
    /// The signed receipt.
    public let receipt: DeletionReceipt
    /// The checkpoint the inclusion proof was checked against (signature verified).
    public let checkpoint: Checkpoint
}

extension LetheClient {
    /// Analyses a photo and returns the result with the worker's deletion receipt, decrypted from
    /// the `Lethe-Receipt` header and its signature checked against `ledgerKey`.
    /// - Throws: like `analyze`, plus `receipt_missing`, `receipt_malformed`, `note_unsigned` or
    ///   `note_signature_invalid` when the receipt is absent or does not verify. An inner refusal
    ///   carries its verified receipt in `LetheClientError.receipt`.
    public func analyzeWithReceipt(
        photo: Data, kind: String = "skin", postQuantum: Bool = false, ledgerKey: NoteVerifier
    ) async throws(LetheClientError) -> (response: AnalysisResponse, receipt: DeletionReceipt) {
        do {
            let (response, receipt) = try await analyzeUntyped(photo: photo, kind: kind, postQuantum: postQuantum, ledgerKey: ledgerKey)
            guard let receipt else { throw LetheClientError(code: "receipt_missing", status: 0, message: "the worker sent no receipt") }
            return (response, receipt)
        } catch {
            throw LetheClientError.wrapping(error)
        }
    }

    /// Decrypts and verifies the sealed receipt header of one exchange.
    static func openReceipt(_ header: String?, context: OHTTPClientContext, verifier: NoteVerifier) throws -> DeletionReceipt {
        guard let header else {
            throw LetheClientError(code: "receipt_missing", status: 0, message: "the worker sent no Lethe-Receipt header")
        }
        let key = context.exportSecret(label: ReceiptEnvelope.receiptLabel, length: ReceiptEnvelope.keyByteCount)
        return try DeletionReceipt.open(try ReceiptEnvelope.open(header, key: key), verifier: verifier)
    }

    /// The worker's ledger verifier key from `/ledger/key`. Trust on first use: pin the key you
    /// got out of band instead where you can.
    public func fetchLedgerKey() async throws(LetheClientError) -> NoteVerifier {
        do {
            return try NoteVerifier(verifierKey: String(decoding: try await get("ledger/key"), as: UTF8.self))
        } catch {
            throw LetheClientError.wrapping(error)
        }
    }

    /// Waits (polling `/ledger/checkpoint`) for a signed checkpoint covering the receipt's entry,
    /// fetches the inclusion proof, and checks it against the checkpoint's root and the receipt's
    /// leaf hash. Nothing the worker sends is trusted beyond what the signatures and hashes prove.
    /// - Throws: `checkpoint_timeout`, `inclusion_proof_invalid`, signature errors.
    public func proveInclusion(of receipt: DeletionReceipt, verifier: NoteVerifier, timeout: Duration = .seconds(30)) async throws(LetheClientError) -> ProvenDeletion {
        do {
            let deadline = ContinuousClock.now + timeout
            var checkpoint: Checkpoint?
            while checkpoint == nil {
                if let note = try? await get("ledger/checkpoint") {
                    let latest = try Checkpoint.open(String(decoding: note, as: UTF8.self), verifier: verifier)
                    if latest.size > receipt.index { checkpoint = latest }
                }
                if checkpoint == nil {
                    guard ContinuousClock.now < deadline else {
                        throw LetheClientError(code: "checkpoint_timeout", status: 0, message: "no checkpoint covered entry #\(receipt.index) within \(timeout)")
                    }
                    try await Task.sleep(for: .milliseconds(200))
                }
            }
            let covering = checkpoint!
            let data = try await get("ledger/proof/inclusion?index=\(receipt.index)&size=\(covering.size)")
            let document = try JSONDecoder().decode(InclusionProofDocument.self, from: data)
            guard let proof = document.proofHashes,
                MerkleProof.verifyInclusion(index: receipt.index, size: covering.size, leafHash: receipt.leafHash, proof: proof, root: covering.rootHash)
            else {
                throw LetheClientError(code: "inclusion_proof_invalid", status: 0, message: "entry #\(receipt.index) is not proven to be in checkpoint \(covering.size)")
            }
            return ProvenDeletion(receipt: receipt, checkpoint: covering)
        } catch {
            throw LetheClientError.wrapping(error)
        }
    }

    private func get(_ path: String) async throws -> Data {
        guard let url = URL(string: path, relativeTo: serverURL.appendingPathComponent("/")) else {
            throw LetheClientError(code: "unexpected_response", status: 0, message: "bad path \(path)")
        }
        let (body, response) = try await URLSession.shared.data(from: url)
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        guard status == 200 else {
            throw LetheClientError(code: "unexpected_response", status: status, message: "\(path) answered \(status)")
        }
        return body
    }
}
