import Foundation
import LetheEnvelope
import Logging
import ServiceLifecycle
import UnixSignals

/// Picks up rotated OHTTP keys without a restart: checks the key file or directory every
/// `interval` (by inode, size and time, without reading secrets) and at once on SIGHUP, and
/// swaps the gateway's key set when it changed. A broken or half-written file is logged and the
/// keys in use are kept.
struct KeyReloadService: Service {
    let keyRing: OHTTPKeyRing
    let interval: Duration
    /// How long keys that disappear from the source stay accepted.
    let gracePeriodSeconds: Double
    /// Reload on SIGHUP (only for the real process: tests share theirs).
    let reloadOnHangup: Bool
    let logger: Logger

    func run() async throws {
        guard keyRing.source != nil else { return }
        let hangups = reloadOnHangup ? await UnixSignalsSequence(trapping: .sighup) : nil
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { tasks in
                if let hangups {
                    tasks.addTask {
                        for await _ in hangups { reload(force: true, reason: "SIGHUP") }
                    }
                }
                tasks.addTask {
                    while !Task.isCancelled {
                        do { try await Task.sleep(for: interval) } catch { return }
                        reload(force: false, reason: "changed")
                    }
                }
                await tasks.waitForAll()
            }
        }
    }

    private func reload(force: Bool, reason: String) {
        do {
            switch try keyRing.reload(force: force, gracePeriod: gracePeriodSeconds) {
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
