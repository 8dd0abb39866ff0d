import Foundation
import LetheTransparency

/// Gathers witness cosignatures for each checkpoint the ledger signs, before it is published
/// (`LetheServer`'s `WitnessSubmitter` speaks tlog-witness over HTTP).
public protocol CheckpointCosigning: Sendable {
    /// Submits the signed checkpoint `note` and returns the cosignature lines obtained (verified,
    /// possibly none: a witness that is down or refuses is logged and left out).
    /// - Parameter consistencyProof: the RFC 6962 proof from an older size to the checkpoint's.
    func cosign(note: String, checkpoint: Checkpoint, consistencyProof: @escaping @Sendable (Int) async throws -> [Data]) async -> [SignedNote.Signature]
}
