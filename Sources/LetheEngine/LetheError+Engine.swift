import LetheMemory

extension LetheError.Code {
    /// The engine process that had the request crashed, hung past the request's deadline or broke
    /// the channel's protocol: it was killed and replaced; the request's plaintext in the gateway
    /// was wiped and recorded.
    public static let engineFailed = Self("engine_failed", .internal)

    /// Every code `LetheEngine` raises.
    public static let engineCodes: [Self] = [.engineFailed]
}

extension LetheError {
    /// An engine failure; `reason` (for the operator's log) names what went wrong, never content.
    public static func engineFailed(_ reason: String) -> LetheError {
        LetheError(.engineFailed, "the engine process handling the photo failed (\(reason)); it was replaced, retry the request")
    }
}
