import Foundation
import LetheLedger
import Logging
import ServiceLifecycle

/// Publishes each period's records into the public log when the period ends, with its summary,
/// and signs a checkpoint (`DeletionLedger.publish`); applies retention at start; publishes the
/// open period and signs a final checkpoint at shutdown. Registered in the worker's
/// `ServiceGroup` before the HTTP server, so the group stops it after the server has drained: the
/// final checkpoint then covers every request the server answered.
struct LedgerCheckpointService: Service {
    let ledger: DeletionLedger
    let logger: Logger

    func run() async throws {
        do {
            let removed = try await ledger.applyRetention()
            if removed > 0 { logger.notice("ledger retention", metadata: ["log_entries_removed": "\(removed)"]) }
        } catch {
            logger.error("ledger retention failed", metadata: ["error": "\(error)"])
        }
        // Records left unpublished by a crash are published at once.
        await publish(closingOpenPeriod: false)
        let interval = ledger.configuration.checkpointIntervalSeconds
        let tick = Duration.milliseconds(Int64(max(20, min(250, interval * 1000 / 4))))
        await cancelWhenGracefulShutdown {
            var stepsLogged = await ledger.clockStepCount
            while !Task.isCancelled {
                try? await Task.sleep(for: tick)
                // Cheap when nothing is due: a clock reading.
                await publish(closingOpenPeriod: false)
                let steps = await ledger.clockStepCount
                if steps > stepsLogged, let step = await ledger.latestClockStep {
                    logger.warning("wall clock stepped", metadata: ["from": "\(step.from)", "to": "\(step.to)"])
                    stepsLogged = steps
                }
            }
        }
        await publish(closingOpenPeriod: true)
    }

    private func publish(closingOpenPeriod: Bool) async {
        do {
            if let checkpoint = try await ledger.publish(closingOpenPeriod: closingOpenPeriod) {
                let records = await ledger.checkpointedRecords
                logger.info("ledger checkpoint", metadata: [
                    "origin": "\(checkpoint.origin)", "size": "\(checkpoint.size)", "root": "\(checkpoint.rootHash.base64EncodedString())",
                    "records": "\(records)",
                ])
            }
        } catch {
            // Records stay durable; the next tick publishes them. Operators must see this.
            logger.critical("ledger publication failed", metadata: ["error": "\(error)"])
        }
    }
}
