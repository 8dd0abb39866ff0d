import Foundation
import LetheAPI
import LetheEnvelope
import LetheTransparency

/// A deletion receipt whose signature was checked, whose record opens its commitment, and whose
/// commitment was found in its period's published batch and shown, with an RFC 9162 inclusion
/// proof, to be inside a signed checkpoint of the worker's log.
public struct ProvenDeletion: Sendable, Equatable {
    /// The signed receipt.
    public let receipt: DeletionReceipt
    /// The log entry that stands for the request, and its place.
    public let index: Int
    public let leafHash: Data
    /// The checkpoint the inclusion proof was checked against (signature verified).
    public let checkpoint: Checkpoint
    /// The witnesses of the client's `witnessPolicy` whose cosignatures of that checkpoint
    /// verify (at least its quorum); empty without a policy.
    public var cosigners: [String] = []
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

    /// `receipt` when it is bound to the answer it came with: its record names the answer's
    /// request id. A receipt for any other request (another device's, or an earlier one of this
    /// device) proves nothing about this request: it is treated as no receipt.
    /// - Throws: `receipt_unbound`.
    static func boundReceipt(_ receipt: DeletionReceipt, requestID: String?) throws(LetheClientError) -> DeletionReceipt {
        guard let requestID, receipt.record.requestID == requestID else {
            throw LetheClientError.receiptUnbound("the receipt is for request \(receipt.record.requestID), not for the answer's \(requestID ?? "(none)")")
        }
        return receipt
    }

    /// Accepts a checkpoint (signature already verified) only when it is consistent with the
    /// newest checkpoint of its log persisted in `checkpointState`: equal roots at equal sizes, and
    /// otherwise an RFC 9162 §2.1.4 consistency proof from the older to the newer of the two,
    /// fetched from the worker and checked against both signed roots. A newer checkpoint is then
    /// persisted. A worker that cannot prove consistency (a fork, or a log shorter than what the
    /// device saw) is refused.
    /// - Throws: `checkpoint_inconsistent`, `checkpoint_state_invalid`.
    func acceptCheckpoint(_ checkpoint: Checkpoint, note: String, verifier: NoteVerifier) async throws(LetheClientError) {
        guard let state = checkpointState else { return }
        guard let known = try state.newest(verifier: verifier)?.checkpoint else {
            try state.store(note: note, origin: verifier.name)
            return
        }
        if checkpoint.size == known.size {
            guard checkpoint.rootHash == known.rootHash else {
                throw LetheClientError.checkpointInconsistent("checkpoint \(checkpoint.size) of \(verifier.name) has another root than the one this device verified before: a fork")
            }
            return
        }
        let (old, new) = checkpoint.size > known.size ? (known, checkpoint) : (checkpoint, known)
        let proof: [Data]?
        do {
            let data = try await get("ledger/proof/consistency?old=\(old.size)&new=\(new.size)")
            proof = try? JSONDecoder().decode(ConsistencyProofDocument.self, from: data).proof.map { encoded in
                guard let hash = Data(base64Encoded: encoded) else { throw LetheClientError.checkpointInconsistent("bad hash") }
                return hash
            }
        } catch let error as LetheClientError where error.status != 0 {
            proof = nil
        } catch {
            throw LetheClientError.wrapping(error)
        }
        guard let proof, MerkleProof.verifyConsistency(oldSize: old.size, newSize: new.size, oldRoot: old.rootHash, newRoot: new.rootHash, proof: proof) else {
            throw LetheClientError.checkpointInconsistent("checkpoint \(checkpoint.size) of \(verifier.name) is not proven consistent with checkpoint \(known.size) this device verified before")
        }
        if checkpoint.size > known.size { try state.store(note: note, origin: verifier.name) }
    }

    /// Decrypts and verifies the sealed receipt header of one exchange.
    static func openReceipt(_ header: String?, context: OHTTPClientContext, verifier: NoteVerifier) throws -> DeletionReceipt {
        guard let header else {
            throw LetheClientError(code: "receipt_missing", status: 0, message: "the worker sent no Lethe-Receipt header")
        }
        let key = context.exportSecret(label: ReceiptEnvelope.receiptLabel, length: ReceiptEnvelope.keyByteCount)
        return try DeletionReceipt.open(try ReceiptEnvelope.open(header, key: key), verifier: verifier)
    }

    /// The worker's ledger verifier key from `/ledger/key`. Trust on first use, so for display
    /// only: a device verifies receipts and checkpoints with a key pinned in its configuration.
    public func fetchLedgerKey() async throws(LetheClientError) -> NoteVerifier {
        do {
            return try NoteVerifier(verifierKey: String(decoding: try await get("ledger/key"), as: UTF8.self))
        } catch {
            throw LetheClientError.wrapping(error)
        }
    }

    /// Waits for the receipt's period to be published, finds the request's commitment among the
    /// period's entries, waits for a signed checkpoint covering it, and checks the inclusion proof
    /// against the checkpoint's root. The entry's bytes are rebuilt from the receipt, so nothing
    /// the worker sends is trusted beyond what the signatures and hashes prove. Reads the whole
    /// period's entries, not just its own, so that the fetches do not single the request out.
    /// - Parameter timeout: how long to wait; the period ends at `receipt.periodEnd`.
    /// - Throws: `checkpoint_timeout`, `inclusion_proof_invalid`, signature errors; with
    ///   `witnessPolicy`, `witness_quorum_missing` when the covering checkpoint lacks the quorum's
    ///   cosignatures; with `checkpointState`, `checkpoint_inconsistent` for a checkpoint not consistent with the
    ///   newest one this device verified before.
    public func proveInclusion(of receipt: DeletionReceipt, verifier: NoteVerifier, timeout: Duration = .seconds(150)) async throws(LetheClientError) -> ProvenDeletion {
        do {
            let deadline = ContinuousClock.now + timeout
            func waitOrGiveUp(_ what: String) async throws {
                guard ContinuousClock.now < deadline else {
                    throw LetheClientError(code: "checkpoint_timeout", status: 0, message: "\(what) within \(timeout)")
                }
                try await Task.sleep(for: .milliseconds(200))
            }
            // 1–2. The period's batches, as they are published (a period can have several: one
            // closed early at --checkpoint-entries, the rest at the period's end), until one holds
            // the receipt's commitment.
            let period = Self.queryEscaped(receipt.period)
            var scanned: Set<PublishedBatch> = []
            var found: (index: Int, line: Data)?
            while found == nil {
                let data = try? await get("ledger/period?start=\(period)")
                let batches = data.flatMap { try? JSONDecoder().decode(PeriodDocument.self, from: $0).batches } ?? []
                for batch in batches where found == nil && !scanned.contains(batch) {
                    var start = batch.first
                    while start <= batch.summary, found == nil {
                        let end = min(batch.summary + 1, start + 1000)
                        let lines = try await get("ledger/entries?start=\(start)&end=\(end)").split(separator: 0x0A)
                        for (offset, line) in lines.enumerated() where (try? LogEntry.decode(Data(line))).map({
                            if case .wipe(let entry) = $0 { entry.commitment == receipt.commitment } else { false }
                        }) == true {
                            found = (start + offset, Data(line))
                        }
                        start = end
                    }
                    scanned.insert(batch)
                }
                if found == nil { try await waitOrGiveUp("the commitment of record #\(receipt.record.sequence) was not published in the period \(receipt.period)") }
            }
            guard let (index, line) = found, line == (try receipt.expectedEntry(sequence: index)) else {
                throw LetheClientError(code: "inclusion_proof_invalid", status: 0, message: "the published entry of record #\(receipt.record.sequence) is not the one its receipt promises")
            }
            // 3. A signed checkpoint that covers it, and the proof.
            var checkpoint: Checkpoint?
            var cosigners: [String] = []
            while checkpoint == nil {
                if let note = try? await get("ledger/checkpoint") {
                    let text = String(decoding: note, as: UTF8.self)
                    let latest = try Checkpoint.open(text, verifier: verifier)
                    // The covering checkpoint must meet the witness policy (an earlier one that
                    // does not is neither used nor persisted); every checkpoint used must extend
                    // (or be a prefix of) the one persisted.
                    var witnessed: [String]?
                    if let witnessPolicy {
                        witnessed = latest.size > index ? try witnessPolicy.check(text) : try? witnessPolicy.check(text)
                    }
                    if witnessPolicy == nil || witnessed != nil {
                        try await acceptCheckpoint(latest, note: text, verifier: verifier)
                    }
                    if latest.size > index {
                        checkpoint = latest
                        cosigners = witnessed ?? []
                    }
                }
                if checkpoint == nil { try await waitOrGiveUp("no checkpoint covered entry #\(index)") }
            }
            let covering = checkpoint!
            let leaf = MerkleHash.leaf(line)
            let data = try await get("ledger/proof/inclusion?index=\(index)&size=\(covering.size)")
            let document = try JSONDecoder().decode(InclusionProofDocument.self, from: data)
            guard let proof = document.proofHashes,
                MerkleProof.verifyInclusion(index: index, size: covering.size, leafHash: leaf, proof: proof, root: covering.rootHash)
            else {
                throw LetheClientError(code: "inclusion_proof_invalid", status: 0, message: "entry #\(index) is not proven to be in checkpoint \(covering.size)")
            }
            return ProvenDeletion(receipt: receipt, index: index, leafHash: leaf, checkpoint: covering, cosigners: cosigners)
        } catch {
            throw LetheClientError.wrapping(error)
        }
    }

    func get(_ path: String) async throws -> Data {
        guard let url = URL(string: path, relativeTo: serverURL.appendingPathComponent("/")) else {
            throw LetheClientError(code: "unexpected_response", status: 0, message: "bad path \(path)")
        }
        let response = try await load(LetheHTTPRequest(url: url))
        guard response.status == 200 else { throw Self.refusal(response, what: path) }
        return response.body
    }
}
