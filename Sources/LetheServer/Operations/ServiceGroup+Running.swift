import LetheMemory
import ServiceLifecycle

extension ServiceGroup {
    /// Runs the group, waits for what its listener announces first on `listening` (the bound
    /// ports), runs `body` with it, then shuts the group down gracefully and waits for it, whether
    /// `body` returned or threw. Throws `notStarted` when the group ends before announcing.
    /// Off the group's actor: `body` and the wait run on the caller's side, as calls from outside
    /// the group would. (The worker's `withRunningServer` and the witness's `withRunning`.)
    nonisolated func running<Announced: Sendable, Result: Sendable>(
        announcedOn listening: AsyncStream<Announced>, notStarted: LetheError,
        _ body: @escaping @Sendable (Announced) async throws -> Result
    ) async throws -> Result {
        try await withThrowingTaskGroup(of: Result?.self) { tasks in
            tasks.addTask {
                try await self.run()
                return nil
            }
            defer { tasks.cancelAll() }
            var iterator = listening.makeAsyncIterator()
            guard let announced = await iterator.next() else { throw notStarted }
            do {
                let result = try await body(announced)
                await triggerGracefulShutdown()
                try await tasks.waitForAll()
                return result
            } catch {
                await triggerGracefulShutdown()
                throw error
            }
        }
    }
}
