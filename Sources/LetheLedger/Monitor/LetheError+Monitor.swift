import LetheMemory

extension LetheError.Code {
    /// `lethe audit monitor`'s state file is not its format (the alerts themselves are findings, not errors).
    public static let monitorStateInvalid = Self("monitor_state_invalid", .malformed)
}
