import LetheMemory

extension LetheError.Code {
    // Witnesses (C2SP tlog-witness, tlog-cosignature): the keys, the policy, the witness's answers.
    /// A cosigner key or vkey that is not an Ed25519 cosignature/v1 key (type 0x04).
    public static let witnessKeyInvalid = Self("witness_key_invalid", .malformed)
    /// A witness policy whose quorum is not 1...n, or that names a witness twice.
    public static let witnessPolicyInvalid = Self("witness_policy_invalid", .malformed)
    /// A checkpoint without valid cosignatures of the policy's quorum of witnesses.
    public static let witnessQuorumMissing = Self("witness_quorum_missing", .unprocessable)
    /// An `add-checkpoint` body that is not `old N`, proof lines, a blank line and a checkpoint (400).
    public static let witnessRequestMalformed = Self("witness_request_malformed", .malformed)
    /// A checkpoint of a log the witness does not know (404).
    public static let witnessOriginUnknown = Self("witness_origin_unknown", .notFound)
    /// No signature of the checkpoint verifies with the log's key the witness trusts (403).
    public static let witnessSignatureUntrusted = Self("witness_signature_untrusted", .unauthenticated)
    /// The old size is not the witness's, or the same size has another root: a fork (409).
    public static let witnessConflict = Self("witness_conflict", .unprocessable)
    /// The consistency proof from the witness's checkpoint does not verify (422).
    public static let witnessProofInvalid = Self("witness_proof_invalid", .unprocessable)
    /// The witness's state cannot be read or written durably; it answers nothing (503).
    public static let witnessStateUnavailable = Self("witness_state_unavailable", .unavailable)

    /// Every code of witnesses.
    public static let witnessCodes: [Self] = [
        .witnessKeyInvalid, .witnessPolicyInvalid, .witnessQuorumMissing, .witnessRequestMalformed, .witnessOriginUnknown,
        .witnessSignatureUntrusted, .witnessConflict, .witnessProofInvalid, .witnessStateUnavailable,
    ]
}
