import Foundation
import LetheEnvelope
import LetheTransparency

/// An OHTTP key configuration shown to be in the worker's log: its entry's place, and the
/// checkpoint (signed with the pinned ledger key, meeting the witness policy, consistent with the
/// device's persisted checkpoint) whose root includes it.
public struct ProvenKeyConfig: Sendable, Equatable {
    /// The index of the config's `ohttp_key` entry in the log.
    public let index: Int
    /// The checkpoint the inclusion proof was checked against.
    public let checkpoint: Checkpoint
    /// The witnesses of the client's `witnessPolicy` that cosigned that checkpoint.
    public let cosigners: [String]
}

extension LetheClient {
    /// Proves that `config` is logged (docs/ledger.md §17) before the device encrypts to it: reads
    /// `/ledger/ohttp-keys`, opens its checkpoint with `verifier` (the pinned ledger key), requires
    /// the `witnessPolicy`'s quorum of cosignatures and consistency with the checkpoint persisted
    /// in `checkpointState` (which it then advances), finds the `ohttp_key` entry holding exactly
    /// `config`'s bytes and checks its RFC 9162 inclusion proof against the checkpoint's root.
    /// A key served to this device alone (RFC 9458 §7, key targeting) is not in the log, or is in
    /// it for every monitor to see.
    /// - Throws: `key_config_unlogged` when the config is not proven to be in the log; signature,
    ///   `witness_quorum_missing`, `checkpoint_inconsistent` and `checkpoint_state_invalid` errors.
    public func proveKeyConfig(_ config: OHTTPKeyConfig, verifier: NoteVerifier) async throws(LetheClientError) -> ProvenKeyConfig {
        do {
            let data: Data
            do {
                data = try await get("ledger/ohttp-keys")
            } catch let error as LetheClientError where error.status != 0 {
                throw LetheClientError.keyConfigUnlogged("the worker serves no proof for its key configurations (\(error.code))")
            }
            let document = try JSONDecoder().decode(KeyConfigProofDocument.self, from: data)
            let checkpoint = try Checkpoint.open(document.checkpoint, verifier: verifier)
            let cosigners = try witnessPolicy?.check(document.checkpoint) ?? []
            try await acceptCheckpoint(checkpoint, note: document.checkpoint, verifier: verifier)
            let encoded = config.encoded()
            let logged = document.keys.first { logged in
                guard case .key(let entry)? = try? LogEntry.decode(Data(logged.entry.utf8)) else { return false }
                return entry.configBytes == encoded && entry.sequence == logged.index
            }
            guard let logged else {
                throw LetheClientError.keyConfigUnlogged("key configuration \(config.keyID) is not among the worker's logged key configurations")
            }
            guard logged.index < checkpoint.size, let proof = logged.proofHashes,
                MerkleProof.verifyInclusion(
                    index: logged.index, size: checkpoint.size, leafHash: MerkleHash.leaf(Data(logged.entry.utf8)), proof: proof,
                    root: checkpoint.rootHash)
            else {
                throw LetheClientError.keyConfigUnlogged("the entry of key configuration \(config.keyID) is not proven to be in checkpoint \(checkpoint.size)")
            }
            return ProvenKeyConfig(index: logged.index, checkpoint: checkpoint, cosigners: cosigners)
        } catch {
            throw LetheClientError.wrapping(error)
        }
    }
}

extension LetheClientError {
    static func keyConfigUnlogged(_ why: String) -> LetheClientError {
        LetheClientError(code: "key_config_unlogged", status: 0, message: why)
    }
}
