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
}
