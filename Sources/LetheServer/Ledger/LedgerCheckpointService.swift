import Foundation
import LetheLedger
import Logging
import ServiceLifecycle

/// Signs a checkpoint every N entries or T seconds (`LedgerConfiguration`), applies retention at
/// start, and signs a final checkpoint at shutdown. Registered in the worker's `ServiceGroup`
/// before the HTTP server, so the group stops it after the server has drained: the final
/// checkpoint then covers every request the server answered.
struct LedgerCheckpointService: Service {
    let ledger: DeletionLedger
    let logger: Logger

    func run() async throws {
        do {
            let removed = try await ledger.applyRetention()
            if removed > 0 { logger.notice("ledger retention", metadata: ["entries_removed": "\(removed)"]) }
        } catch {
            logger.error("ledger retention failed", metadata: ["error": "\(error)"])
        }
        let interval = ledger.configuration.checkpointIntervalSeconds
        let tick = Duration.milliseconds(Int64(max(20, min(250, interval * 1000 / 4))))
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: tick)
                if await ledger.checkpointDue { await checkpoint() }
            }
        }
        await checkpoint()
    }

    private func checkpoint() async {
        do {
            if let checkpoint = try await ledger.writeCheckpoint() {
                logger.info("ledger checkpoint", metadata: [
                    "origin": "\(checkpoint.origin)", "size": "\(checkpoint.size)", "root": "\(checkpoint.rootHash.base64EncodedString())",
                ])
            }
        } catch {
            // Entries stay fsynced; the next checkpoint covers them. Operators must see this.
            logger.critical("ledger checkpoint failed", metadata: ["error": "\(error)"])
        }
    }
}
