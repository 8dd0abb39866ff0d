import Foundation
import LetheMemory
import LetheTransparency

extension LedgerAudit {
    /// The latest checkpoint's witness cosignatures, checked against a policy.
    public struct Witnessing: Sendable, Codable, Equatable {
        /// Size of the latest checkpoint file.
        public var checkpointSize: Int
        /// The policy's witnesses whose cosignatures verify, in the policy's order.
        public var cosigners: [String]
        public var quorum: Int
        public var witnesses: Int

        enum CodingKeys: String, CodingKey {
            case cosigners, quorum, witnesses
            case checkpointSize = "checkpoint_size"
        }
    }
}

extension LedgerAuditor {
    /// Checks that the newest checkpoint in `directory` carries the cosignatures of `policy`'s
    /// quorum; records them in `audit.witnessing`, and a `witness_quorum_missing` failure when
    /// there are too few (or no checkpoint at all).
    public static func checkWitnesses(_ audit: inout LedgerAudit, directory: URL, policy: WitnessPolicy) {
        let latest = LedgerLayout(directory: directory).checkpoints().last
        let note = latest.flatMap { try? String(contentsOf: $0.url, encoding: .utf8) }
        let cosigners = note.flatMap { try? policy.cosigners(of: $0) } ?? []
        audit.witnessing = LedgerAudit.Witnessing(checkpointSize: latest?.size ?? 0, cosigners: cosigners, quorum: policy.quorum, witnesses: policy.witnesses.count)
        if cosigners.count < policy.quorum {
            audit.failures.append(LedgerAudit.Finding(
                code: LetheError.Code.witnessQuorumMissing.rawValue,
                message: "checkpoint \(latest?.size ?? 0) carries \(cosigners.count) of the \(policy.quorum) required witness cosignatures"))
        }
    }
}
