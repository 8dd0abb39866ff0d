import Foundation
import LetheMemory
import LetheTransparency

extension DeletionLedger {
    /// Logs OHTTP key configurations before the worker accepts or publishes them: one
    /// `KeyConfigEntry` for each config not yet in the kept log (a config is logged once; one whose
    /// entry retention removed is logged again), written with one `write` and fsynced, then a
    /// checkpoint covering them is signed and, with witnesses, cosigned. Waits for a publication
    /// in progress, so that the entries never fall inside a batch.
    /// - Parameter configs: encoded key configurations (RFC 9458 §3).
    /// - Returns: the index of each config's entry, in `configs`' order.
    @discardableResult
    public func logKeyConfigs(_ configs: [Data]) async throws -> [Int] {
        while publishing { try await Task.sleep(for: .milliseconds(5)) }
        publishing = true
        defer { publishing = false }
        if let logBroken { throw logBroken }
        var fresh: [Data] = []
        for config in configs where !fresh.contains(config) && (keyEntries[config].map { $0 < log.firstIndex } ?? true) {
            fresh.append(config)
        }
        if !fresh.isEmpty {
            let period = LedgerTime.timestamp(LedgerTime.periodStart(readClock(), length: configuration.periodMilliseconds))
            let first = tree.size
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            let entries = try fresh.enumerated().map { offset, config in
                try encoder.encode(KeyConfigEntry(sequence: first + offset, period: period, config: config))
            }
            _ = try log.append(entries, day: String(period.prefix(10)))
            do {
                try log.sync()
            } catch {
                do { try log.truncate(to: first) } catch { logBroken = LetheError(.ledgerUnwritable, "the log could not be cut back after a failed write: restart the worker") }
                throw error
            }
            for (offset, entry) in entries.enumerated() {
                tree.append(leafHash: MerkleHash.leaf(entry))
                keyEntries[fresh[offset]] = first + offset
            }
            publishedTreeSize.store(tree.size, ordering: .releasing)
        }
        if latestCheckpoint?.size != tree.size { try await writeCheckpoint() }
        return configs.compactMap { keyEntries[$0] }
    }

    /// The proofs that `configs` are logged, against the latest checkpoint (`GET /ledger/ohttp-keys`).
    /// A config that is not logged, or not yet covered by the checkpoint, is left out: a device
    /// then refuses to encrypt to it.
    /// - Throws: `not_in_ledger` before the first checkpoint.
    public func keyConfigProofs(_ configs: [Data]) throws -> KeyConfigProofDocument {
        guard let latestCheckpoint else { throw LetheError.notInLedger("no checkpoint was signed yet") }
        let keys = try configs.compactMap { config -> LoggedKeyConfig? in
            guard let index = keyEntries[config], index >= log.firstIndex, index < latestCheckpoint.size else { return nil }
            let line = try log.lines(index..<(index + 1))[0]
            let proof = try tree.inclusionProof(index: index, size: latestCheckpoint.size)
            return LoggedKeyConfig(entry: String(decoding: line, as: UTF8.self), index: index, proof: proof.map { $0.base64EncodedString() })
        }
        return KeyConfigProofDocument(checkpoint: latestCheckpoint.note, keys: keys)
    }

    /// Every logged key configuration still in the kept log, with its entry's index.
    public var loggedKeyConfigs: [(config: Data, index: Int)] {
        keyEntries.filter { $0.value >= log.firstIndex }.map { ($0.key, $0.value) }.sorted { $0.index < $1.index }
    }
}
