import Foundation
import LetheEnvelope
import Logging
import ServiceLifecycle
import UnixSignals

/// Picks up rotated OHTTP keys without a restart: checks the key file or directory every
/// `interval` (by inode, size and time, without reading secrets) and at once on SIGHUP, and
/// swaps the gateway's key set when it changed. The new keys' configurations are logged in the
/// ledger (and a checkpoint covering them signed) before the swap, so that no key is accepted or
/// published before it is in the log (docs/ledger.md §17). A broken or half-written file, or a
/// log that cannot be written, is logged and the keys in use are kept.
struct KeyReloadService: Service {
    let keyRing: OHTTPKeyRing
    let interval: Duration
    /// How long keys that disappear from the source stay accepted.
    let gracePeriodSeconds: Double
    /// Reload on SIGHUP (only for the real process: tests share theirs).
    let reloadOnHangup: Bool
    /// Logs key configurations durably and returns once a checkpoint covers them.
    let logKeys: @Sendable ([OHTTPKeyConfig]) async throws -> Void
    let logger: Logger

    func run() async throws {
        guard keyRing.source != nil else { return }
        let hangups = reloadOnHangup ? await UnixSignalsSequence(trapping: .sighup) : nil
        // One loop performs every reload, so that an older read never replaces a newer one.
        let (triggers, trigger) = AsyncStream.makeStream(of: (force: Bool, reason: String).self, bufferingPolicy: .bufferingNewest(4))
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { tasks in
                if let hangups {
                    tasks.addTask {
                        for await _ in hangups { trigger.yield((true, "SIGHUP")) }
                    }
                }
                tasks.addTask {
                    while !Task.isCancelled {
                        do { try await Task.sleep(for: interval) } catch { break }
                        trigger.yield((false, "changed"))
                    }
                    trigger.finish()
                }
                tasks.addTask {
                    for await request in triggers { await reload(force: request.force, reason: request.reason) }
                }
                await tasks.waitForAll()
            }
        }
    }

    private func reload(force: Bool, reason: String) async {
        do {
            guard let candidate = try keyRing.changedKeys(force: force) else { return }
            let now = Date()
            try await logKeys(candidate.keys.filter { $0.isAccepted(at: now) }.map(\.key.config))
            switch keyRing.install(candidate, gracePeriod: gracePeriodSeconds, now: now) {
            case .unchanged:
                break
            case .reloaded(let published, let accepted):
                logger.notice("ohttp keys reloaded", metadata: [
                    "reason": "\(reason)", "key_source": "\(keyRing.source.map(\.path) ?? "")",
                    "published_key_ids": "\(published.map(String.init).joined(separator: ","))",
                    "accepted_key_ids": "\(accepted.map(String.init).joined(separator: ","))",
                ])
            }
        } catch {
            logger.error("ohttp key reload failed; the keys in use stay", metadata: [
                "key_source": "\(keyRing.source.map(\.path) ?? "")", "error": "\(error)",
            ])
        }
    }
}
