extension LetheError.Code {
    /// No memory could be mapped for plaintext.
    public static let plaintextAllocationFailed = Self("plaintext_allocation_failed", .unavailable)
    /// The request's arena was already wiped, so no more plaintext may be allocated in it.
    public static let plaintextArenaClosed = Self("plaintext_arena_closed", .unavailable)
    /// The process's memory budget has no room for this request now.
    public static let memoryBudgetExceeded = Self("memory_budget_exceeded", .retryLater)

    /// Every code `LetheMemory` raises.
    public static let memoryCodes: [Self] = [.plaintextAllocationFailed, .plaintextArenaClosed, .memoryBudgetExceeded]
}

extension LetheError {
    static func plaintextAllocationFailed(byteCount: Int) -> LetheError {
        LetheError(.plaintextAllocationFailed, "could not map \(byteCount) bytes for plaintext")
    }

    static let plaintextArenaClosed = LetheError(.plaintextArenaClosed, "request memory was already wiped")

    /// The refusal a request gets when `byteCount` more bytes do not fit in the memory budget.
    public static func memoryBudgetExceeded(byteCount: Int) -> LetheError {
        LetheError(.memoryBudgetExceeded, "the worker's memory budget has no room for \(byteCount) more bytes now; retry later")
    }
}
