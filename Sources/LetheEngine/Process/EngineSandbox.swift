import CLetheSystem

/// What an engine forbids itself once it has loaded everything it needs (issue 14, step 2).
public enum EngineSandbox {
    /// The lock-down in force.
    public enum Status: Sendable, Equatable {
        case notApplied

        /// One line for the gateway's log.
        public var summary: String {
            switch self {
            case .notApplied: "not-applied"
            }
        }
    }

    /// Locks the calling process down for the rest of its life.
    public static func lockDown() -> Status {
        .notApplied
    }
}
