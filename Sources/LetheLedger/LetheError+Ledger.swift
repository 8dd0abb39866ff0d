import LetheMemory
import LetheTransparency

extension LetheError.Code {
    // The worker's own log.
    /// An entry or checkpoint could not be written durably; the deletion cannot be proven.
    public static let ledgerUnwritable = Self("ledger_unwritable", .unavailable)
    /// The files on disk disagree with themselves (`lethe audit verify` says where).
    public static let ledgerCorrupt = Self("ledger_corrupt", .internal)
    /// A configured ledger signing key file inside the ledger directory, or open to others.
    public static let ledgerKeyInsecure = Self("ledger_key_insecure", .internal)
    /// A proof, root, leaf or entry range outside what the log holds.
    public static let proofOutOfRange = Self("proof_out_of_range", .notFound)

    // The public `/ledger/` routes (`LedgerRequest`).
    /// A ledger request whose numbers are missing or not acceptable.
    public static let malformedLedgerRequest = Self("malformed_ledger_request", .malformed)
    /// A well-formed request for something the log does not hold (yet, or any more).
    public static let notInLedger = Self("not_in_ledger", .notFound)
    /// The ledger could not be read to answer (the cause is in the operator's log).
    public static let ledgerUnreadable = Self("ledger_unreadable", .unavailable)

    /// Every code `LetheLedger` and `LetheTransparency` (whose checks the ledger and its auditor
    /// run) raise.
    public static let ledgerCodes: [Self] = [
        .ledgerUnwritable, .ledgerCorrupt, .ledgerKeyInsecure, .proofOutOfRange,
        .malformedLedgerRequest, .notInLedger, .ledgerUnreadable,
    ] + transparencyCodes + witnessCodes + [.monitorStateInvalid]
}

/// Messages (written where each error is thrown) name sizes, indexes, key names and, for the
/// operator, the ledger's own files; never a device, never content.
extension LetheError {
    /// What a request is told when its deletion record could not be appended (the details, with
    /// the ledger's paths, go to the operator's log).
    public static let ledgerNotRecorded = LetheError(.ledgerUnwritable, "the deletion ledger could not record this request")

    /// `ledger_key_insecure`: a configured ledger signing key file that the ledger directory's
    /// writer, or anyone else, could replace or read (docs/ledger.md §7). The worker does not start.
    static func ledgerKeyInsecure(_ why: String) -> LetheError {
        LetheError(.ledgerKeyInsecure, why)
    }

    /// `malformed_ledger_request`: a ledger request whose numbers are missing or not acceptable.
    static func malformedLedgerRequest(_ why: String) -> LetheError {
        LetheError(.malformedLedgerRequest, why)
    }

    /// `not_found`: a path under `/ledger/` that names no resource.
    static let ledgerResourceNotFound = LetheError(
        .notFound, "no ledger resource at this path; see the README's Publication section")

    /// `not_in_ledger`: a well-formed request for something the log does not hold (yet, or any more).
    public static func notInLedger(_ what: String) -> LetheError {
        LetheError(.notInLedger, what)
    }

    /// `ledger_unreadable`, for the public: the cause, which may name a file, goes to the log.
    public static let ledgerUnreadable = LetheError(.ledgerUnreadable, "the ledger could not be read; the operator's log has the cause")
}
