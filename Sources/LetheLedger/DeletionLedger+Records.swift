import Foundation
import LetheMemory
import LetheTransparency

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension DeletionLedger {
    /// Appends the record of a request that held plaintext and waits until it is durable.
    /// - Returns: the record as written.
    @discardableResult
    public func append(_ record: DeletionRecord) async throws -> DeletionRecord {
        try await appendWithReceipt(record).entry
    }

    /// Stamps the record (sequence, `wiped_at` from the ledger's clock, period, salt), appends it
    /// to the private records, waits until an fsync covers it — shared with the appends that
    /// arrived meanwhile (group commit) — and only then signs its receipt.
    /// - Returns: the record as written and its signed receipt note (`DeletionReceipt`).
    public func appendWithReceipt(_ record: DeletionRecord) async throws -> (entry: DeletionRecord, receipt: String) {
        if let recordsBroken { throw recordsBroken }
        let now = readClock()
        let period = LedgerTime.periodStart(now, length: configuration.periodMilliseconds)
        useBatch(for: period, addingRecord: true)
        var entry = record
        entry.version = 2
        entry.sequence = records.count
        entry.wipedAt = LedgerTime.timestamp(now)
        entry.period = LedgerTime.timestamp(period)
        entry.periodEnd = LedgerTime.timestamp(period + configuration.periodMilliseconds)
        entry.salt = DeletionRecord.randomSalt()
        if let step = openBatch?.clockStep, openBatch?.stepInRecord == false { entry.clockStep = step }
        let json = try entry.canonicalJSON()
        let rolled = try records.append([json], day: String(entry.wipedAt.prefix(10)))
        if rolled {
            // Closing the previous segment fsynced everything before this record.
            recordsSynced = max(recordsSynced, entry.sequence)
            _ = try? applyRetention()
        }
        openBatch?.add(entry, at: entry.sequence, canonicalJSON: json)
        if entry.clockStep != nil { openBatch?.stepInRecord = true }
        if configuration.checkpointEveryEntries > 0, let open = openBatch, open.recordCount >= configuration.checkpointEveryEntries {
            closeOpenBatch()
        }
        try await waitUntilDurable(entry.sequence + 1)
        let receipt = try DeletionReceipt(origin: origin, record: entry, canonicalJSON: json).signed(by: signer)
        return (entry, receipt)
    }

    /// Counts a request refused before any plaintext existed (nothing to wipe, nothing to
    /// record one by one): it joins its period's summary. Costs no disk write; a crash loses the
    /// counts of the open period.
    public func countRefusal(code: String) {
        let now = readClock()
        useBatch(for: LedgerTime.periodStart(now, length: configuration.periodMilliseconds), addingRecord: false)
        openBatch?.refused[code, default: 0] += 1
    }

    /// Waits until records 0..<count are durable. One appender at a time runs an fsync, off the
    /// actor so that others keep appending; the others wait for it and the next one covers
    /// everything appended meanwhile.
    func waitUntilDurable(_ count: Int) async throws {
        while recordsSynced < count {
            if let recordsBroken { throw recordsBroken }
            if syncInFlight {
                await withCheckedContinuation { syncWaiters.append($0) }
                continue
            }
            syncInFlight = true
            // Let appends already queued on the actor write their lines first: they share this fsync.
            await Task.yield()
            let goal = records.count
            let path = records.segment.path
            // A duplicate, so that a segment closed meanwhile cannot close the descriptor under the fsync.
            let descriptor = dup(records.segment.descriptor)
            let failure: Int32 = await withCheckedContinuation { continuation in
                Self.syncQueue.async {
                    guard descriptor >= 0 else { return continuation.resume(returning: errno) }
                    let result = fsync(descriptor) == 0 ? 0 : errno
                    close(descriptor)
                    continuation.resume(returning: result)
                }
            }
            recordSyncCount += 1
            if failure == 0 {
                recordsSynced = max(recordsSynced, goal)
            } else {
                // After a failed fsync the kernel may have dropped the pages: never trust this file again.
                recordsBroken = LetheError(.ledgerUnwritable, "fsync \(path): \(String(cString: strerror(failure)))")
            }
            syncInFlight = false
            let waiters = syncWaiters
            syncWaiters = []
            for waiter in waiters { waiter.resume() }
        }
    }

    /// fsyncs of the records run here, never on the cooperative thread pool.
    static let syncQueue = DispatchQueue(label: "lethe.ledger.fsync")

    /// True while appends and publication work (no failed fsync or unrepairable log write).
    public var isWritable: Bool { recordsBroken == nil && logBroken == nil }

    /// Reads the ledger's clock. A step of the wall clock closes the open batch (its records
    /// and the next ones must not share a period summary) and is attached to the next batch.
    func readClock() -> Int64 {
        let (now, step) = stamps.read(configuration.clock)
        if let step {
            closeOpenBatch()
            pendingStep = ClockStep(from: pendingStep?.from ?? step.from, to: step.to)
            clockStepCount += 1
            latestClockStep = step
        }
        return now
    }

    /// Makes sure the open batch is for `period`, closing the current one when its period is
    /// another or (for a record) it holds `checkpointEveryEntries` records.
    func useBatch(for period: Int64, addingRecord: Bool) {
        if let open = openBatch {
            let full = addingRecord && configuration.checkpointEveryEntries > 0 && open.recordCount >= configuration.checkpointEveryEntries
            if open.period == period && !full { return }
            closeOpenBatch()
        }
        openBatch = Batch(
            period: period, periodEnd: period + configuration.periodMilliseconds, recordStart: records.count, recordEnd: records.count,
            clockStep: pendingStep)
        pendingStep = nil
    }

    /// Queues the open batch for publication (an empty one is dropped, keeping its clock step).
    func closeOpenBatch() {
        guard let open = openBatch else { return }
        openBatch = nil
        if open.isEmpty {
            if let step = open.clockStep, pendingStep == nil { pendingStep = step }
            return
        }
        closedBatches.append(open)
    }
}
