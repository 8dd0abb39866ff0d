import LetheMemory

extension LetheError.Code {
    // Signing notes (the ledger).
    /// The ledger's signing or pseudonymisation key is missing or does not fit.
    public static let ledgerKeyInvalid = Self("ledger_key_invalid", .internal)

    // Reading signed notes (clients, auditors).
    /// A C2SP verifier key that is not `name+keyid+base64`.
    public static let verifierKeyInvalid = Self("verifier_key_invalid", .malformed)
    /// A signed note that does not follow the C2SP signed-note format.
    public static let noteMalformed = Self("note_malformed", .malformed)
    /// The note carries no signature of the expected key.
    public static let noteUnsigned = Self("note_unsigned", .unprocessable)
    /// The expected key's signature does not verify.
    public static let noteSignatureInvalid = Self("note_signature_invalid", .unprocessable)
    /// A checkpoint body that is not a C2SP tlog-checkpoint.
    public static let checkpointMalformed = Self("checkpoint_malformed", .malformed)
    /// A checkpoint of another log than the key's.
    public static let checkpointOriginMismatch = Self("checkpoint_origin_mismatch", .unprocessable)
    /// A deletion receipt that is not one, is of another log, or does not decrypt.
    public static let receiptMalformed = Self("receipt_malformed", .malformed)

    /// Every code of signing and reading notes, checkpoints and receipts (the witness codes are
    /// `witnessCodes`).
    public static let transparencyCodes: [Self] = [
        .ledgerKeyInvalid, .verifierKeyInvalid, .noteMalformed, .noteUnsigned, .noteSignatureInvalid,
        .checkpointMalformed, .checkpointOriginMismatch, .receiptMalformed,
    ]
}
