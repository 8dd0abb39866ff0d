/// Races a wait against its deadline for the admission queues (`AdmissionControl`,
/// `DecodeBudget`): `wait` returns true once it was let in; `expire`, run after `timeout` or as
/// soon as the waiting task is cancelled, ends the wait and returns true only if `wait` had been
/// let in meanwhile. Both run on the queue's actor, so exactly one of them decides.
func waitOrExpire(
    after timeout: Duration, wait: @escaping @Sendable () async -> Bool, expire: @escaping @Sendable () async -> Bool
) async -> Bool {
    await withTaskGroup(of: Bool.self) { group in
        group.addTask { await wait() }
        group.addTask {
            try? await Task.sleep(for: timeout)
            return await expire()
        }
        let first = await group.next() ?? false
        group.cancelAll()
        return first
    }
}
