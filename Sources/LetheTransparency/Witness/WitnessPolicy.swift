import Foundation
import LetheMemory

/// "k of these n witnesses": what a client or auditor demands of a checkpoint before it trusts
/// an inclusion proof against it (C2SP tlog-cosignature: a quorum of cosignatures prevents a
/// split view). A witness counts once, whatever number of lines it signed.
public struct WitnessPolicy: Sendable, Equatable {
    /// The trusted witnesses.
    public let witnesses: [CosignerVerifier]
    /// How many of them must have cosigned.
    public let quorum: Int

    /// - Throws: `witness_policy_invalid` when `quorum` is not in 1...n or a witness is listed twice.
    public init(witnesses: [CosignerVerifier], quorum: Int) throws {
        guard !witnesses.isEmpty, (1...witnesses.count).contains(quorum) else {
            throw LetheError(.witnessPolicyInvalid, "a quorum of \(quorum) out of \(witnesses.count) witnesses is not 1...\(witnesses.count)")
        }
        guard Set(witnesses.map(\.name)).count == witnesses.count else {
            throw LetheError(.witnessPolicyInvalid, "a witness name is listed twice")
        }
        self.witnesses = witnesses
        self.quorum = quorum
    }

    /// From vkey strings; `quorum` nil = all of them.
    public init(verifierKeys: [String], quorum: Int?) throws {
        try self.init(witnesses: verifierKeys.map(CosignerVerifier.init(verifierKey:)), quorum: quorum ?? verifierKeys.count)
    }

    /// The names of the policy's witnesses whose cosignature of `note` verifies (lines of unknown
    /// keys are ignored, as C2SP requires), in the policy's order.
    public func cosigners(of note: String) throws -> [String] {
        let parsed = try SignedNote.parse(note)
        return witnesses.filter { witness in
            parsed.signatures.contains { witness.timestamp(of: $0, checkpointBody: parsed.text) != nil }
        }.map(\.name)
    }

    /// Checks that `note` (a checkpoint whose log signature was already verified) carries valid
    /// cosignatures of at least `quorum` of the witnesses.
    /// - Returns: the names of those that cosigned.
    /// - Throws: `witness_quorum_missing`.
    @discardableResult
    public func check(_ note: String) throws -> [String] {
        let names = try cosigners(of: note)
        guard names.count >= quorum else {
            throw LetheError(.witnessQuorumMissing, "\(names.count) of the \(quorum) required witness cosignatures (of \(witnesses.count) witnesses) verify")
        }
        return names
    }
}
