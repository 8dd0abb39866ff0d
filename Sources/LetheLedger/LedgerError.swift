/// Errors from the deletion ledger, with a stable code.
public struct LedgerError: Error, Equatable, CustomStringConvertible {
    /// Stable machine code, e.g. `ledger_unwritable`.
    public let code: String
    /// Human explanation (paths and errno text, never request content).
    public let message: String

    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }

    /// `malformed_ledger_request`: a ledger request whose numbers are missing or not acceptable.
    static func malformedLedgerRequest(_ why: String) -> LedgerError {
        LedgerError(code: "malformed_ledger_request", message: why)
    }

    /// `not_found`: a path under `/ledger/` that names no resource.
    static let ledgerResourceNotFound = LedgerError(
        code: "not_found", message: "no ledger resource at this path; see the README's Publication section")

    /// `not_in_ledger`: a well-formed request for something the log does not hold (yet, or any more).
    public static func notInLedger(_ what: String) -> LedgerError {
        LedgerError(code: "not_in_ledger", message: what)
    }

    /// `ledger_key_insecure`: a configured ledger signing key file that the ledger directory's
    /// writer, or anyone else, could replace or read (docs/ledger.md §7). The worker does not start.
    static func ledgerKeyInsecure(_ why: String) -> LedgerError {
        LedgerError(code: "ledger_key_insecure", message: why)
    }
}
