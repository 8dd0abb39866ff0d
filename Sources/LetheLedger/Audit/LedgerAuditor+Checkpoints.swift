import Foundation
import LetheMemory
import LetheTransparency

extension LedgerAuditor {
    /// Checks the checkpoints against the recomputed tree and each other, and fills in the totals.
    static func finish(_ audit: inout LedgerAudit, scan: LogScan, layout: LedgerLayout, verifier: NoteVerifier?) {
        let tree = scan.tree
        audit.entryCount = tree.size
        audit.rootHash = tree.size >= tree.prunedSize ? tree.root().base64EncodedString() : nil
        if !audit.recordsPresent, audit.recordCount == 0 { audit.recordCount = audit.recordsPublished }
        guard let verifier else { return }
        var good: [Int: Checkpoint] = [:]
        var opened: [Checkpoint] = []
        for file in layout.checkpoints() {
            let name = "checkpoint \(file.url.lastPathComponent)"
            guard let text = try? String(contentsOf: file.url, encoding: .utf8) else {
                audit.fail("checkpoint_unreadable", "\(name) is not readable UTF-8")
                return
            }
            let checkpoint: Checkpoint
            do {
                checkpoint = try Checkpoint.open(text, verifier: verifier)
            } catch let error as LetheError {
                audit.fail(error.code.rawValue, "\(name): \(error.message)")
                return
            } catch {
                audit.fail("checkpoint_malformed", "\(name): the note does not parse")
                return
            }
            guard checkpoint.size == file.size else {
                audit.fail("checkpoint_misnamed", "\(name) signs size \(checkpoint.size), not the size in its name")
                return
            }
            guard checkpoint.size <= tree.size else {
                audit.fail("entries_missing", "\(name) covers \(checkpoint.size) entries but only \(tree.size) are present: entries #\(tree.size)…#\(checkpoint.size - 1) were removed after being signed")
                return
            }
            opened.append(checkpoint)
        }
        func matches(_ checkpoint: Checkpoint) -> Bool {
            checkpoint.size < tree.prunedSize || checkpoint.rootHash == tree.root(size: checkpoint.size)
        }
        var lastGood: Checkpoint?
        for (position, checkpoint) in opened.enumerated() {
            let name = "checkpoint \(LedgerLayout.paddedName(checkpoint.size))"
            if checkpoint.size >= tree.prunedSize {
                guard matches(checkpoint) else {
                    if let later = opened[(position + 1)...].first(where: matches) {
                        // The entries agree with a later signed tree: this checkpoint is the odd one out.
                        let earlier = lastGood.map { "checkpoint \(LedgerLayout.paddedName($0.size)) and " } ?? ""
                        audit.fail("checkpoint_inconsistent", "\(name) is inconsistent with \(earlier)checkpoint \(LedgerLayout.paddedName(later.size)): its root is not on the same tree (a forked or rewritten history)")
                    } else {
                        let from = max(lastGood?.size ?? 0, tree.prunedSize)
                        audit.fail("entries_changed", "\(name) does not match the entries: one of entries #\(from)…#\(checkpoint.size - 1) was changed, removed or reordered after it was signed")
                    }
                    return
                }
                if let lastGood, lastGood.size >= tree.prunedSize {
                    // Both roots come from the same entries, so this holds unless the proof code is
                    // wrong; it is what a verifier holding only the two checkpoints checks.
                    let proof = (try? tree.consistencyProof(oldSize: lastGood.size, newSize: checkpoint.size)) ?? []
                    guard MerkleProof.verifyConsistency(oldSize: lastGood.size, newSize: checkpoint.size, oldRoot: lastGood.rootHash, newRoot: checkpoint.rootHash, proof: proof) else {
                        audit.fail("checkpoint_inconsistent", "\(name) is not consistent with checkpoint \(LedgerLayout.paddedName(lastGood.size))")
                        return
                    }
                }
                lastGood = checkpoint
            }
            good[checkpoint.size] = checkpoint
            audit.checkpointCount += 1
            audit.checkpointedSize = max(audit.checkpointedSize, checkpoint.size)
        }
        audit.checkpointedRecords = scan.batches.last { $0.summary.sequence < audit.checkpointedSize }?.summary.journalEnd ?? 0

        // Checkpoints older than retention's cut must be linked to a checkpoint after it.
        if let pruned = scan.pruned {
            var linked = Set(good.keys.filter { $0 >= pruned.size })
            guard !linked.isEmpty else {
                audit.fail("pruned_unanchored", "no checkpoint covers the removed entries #0…#\(pruned.size - 1) and the rest")
                return
            }
            var progress = true
            while progress {
                progress = false
                for (key, hashes) in pruned.consistencyProofs {
                    let sizes = key.split(separator: "-").compactMap { Int($0) }
                    guard sizes.count == 2, let old = good[sizes[0]], let new = good[sizes[1]], !linked.contains(old.size), linked.contains(new.size) else { continue }
                    let proof = hashes.compactMap { Data(base64Encoded: $0) }
                    guard MerkleProof.verifyConsistency(oldSize: old.size, newSize: new.size, oldRoot: old.rootHash, newRoot: new.rootHash, proof: proof) else {
                        audit.fail("checkpoint_inconsistent", "checkpoint \(LedgerLayout.paddedName(old.size)) is not consistent with checkpoint \(LedgerLayout.paddedName(new.size)) (proof kept at the retention cut)")
                        return
                    }
                    linked.insert(old.size)
                    progress = true
                }
            }
            if let orphan = good.keys.sorted().first(where: { !linked.contains($0) }) {
                audit.fail("checkpoint_inconsistent", "checkpoint \(LedgerLayout.paddedName(orphan)) predates the retention cut and no kept proof links it to a later checkpoint")
                return
            }
        }
        if audit.checkpointCount == 0, tree.size > 0 {
            audit.warn("uncovered_entries", "no checkpoint yet: none of the \(tree.size) log entries is covered by a signature")
        } else if audit.checkpointedSize < tree.size {
            audit.warn("uncovered_entries", "log entries #\(audit.checkpointedSize)…#\(tree.size - 1) are not yet covered by a checkpoint (the next one covers them)")
        }
    }
}
