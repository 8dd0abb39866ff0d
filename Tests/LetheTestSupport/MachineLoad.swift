import Testing

/// Keeps the suites that load the machine away from the ones whose outcome depends on it.
///
/// All test targets run in one process, in parallel. A suite that loads the machine (thousands of
/// requests, a hostile corpus, replicas behind a proxy, kill -9 under load, a contract fuzzer) runs
/// its tests alone: while one of them runs, no other test marked with either trait runs. Suites
/// whose assertions need the machine not to be swamped (a deadline that must be reached inside a
/// decode, a peak resident set, an upload held across a drain) run beside each other, never beside
/// a loading one. Unmarked tests run as before.
public struct MachineLoadTrait: TestTrait, SuiteTrait, TestScoping {
    /// True for a suite that loads the machine; false for one that is sensitive to load.
    let loadsTheMachine: Bool

    public var isRecursive: Bool { true }

    public func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        // Recursive: called for the suite, its functions and their cases. Only a case runs code
        // (the suite and function scopes hold no lock, so the same lock is never taken twice).
        guard testCase != nil else { return try await function() }
        if loadsTheMachine {
            try await MachineLock.shared.exclusively(function)
        } else {
            try await MachineLock.shared.sharing(function)
        }
    }
}

extension Trait where Self == MachineLoadTrait {
    /// The suite loads the machine: its tests run alone among the marked suites.
    public static var loadsTheMachine: Self { MachineLoadTrait(loadsTheMachine: true) }
    /// The suite's results depend on a machine that is not swamped: never beside `loadsTheMachine`.
    public static var sensitiveToLoad: Self { MachineLoadTrait(loadsTheMachine: false) }
}

/// A readers–writer lock for async code, first come first served (a waiting exclusive holder
/// stops later sharers from jumping ahead, so neither kind starves).
actor MachineLock {
    static let shared = MachineLock()

    private enum Holder { case shared(Int), exclusive, none }
    private var holder = Holder.none
    private var waiting: [(exclusive: Bool, resume: CheckedContinuation<Void, Never>)] = []

    func exclusively(_ body: @Sendable () async throws -> Void) async throws {
        await acquire(exclusive: true)
        defer { release() }
        try await body()
    }

    func sharing(_ body: @Sendable () async throws -> Void) async throws {
        await acquire(exclusive: false)
        defer { release() }
        try await body()
    }

    private func acquire(exclusive: Bool) async {
        if waiting.isEmpty, canEnter(exclusive: exclusive) {
            enter(exclusive: exclusive)
            return
        }
        await withCheckedContinuation { waiting.append((exclusive, $0)) }
    }

    private func canEnter(exclusive: Bool) -> Bool {
        switch holder {
        case .none: true
        case .shared: !exclusive
        case .exclusive: false
        }
    }

    private func enter(exclusive: Bool) {
        if exclusive {
            holder = .exclusive
        } else if case .shared(let count) = holder {
            holder = .shared(count + 1)
        } else {
            holder = .shared(1)
        }
    }

    private func release() {
        if case .shared(let count) = holder, count > 1 {
            holder = .shared(count - 1)
        } else {
            holder = .none
        }
        // Wake waiters in order while they fit (several sharers at once, or one exclusive).
        while let next = waiting.first, canEnter(exclusive: next.exclusive) {
            waiting.removeFirst()
            enter(exclusive: next.exclusive)
            next.resume.resume()
        }
    }
}
