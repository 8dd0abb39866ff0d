import Foundation
import LetheMemory

/// Recomputes a ledger directory from its files alone and a verifier key, as a third party
/// would: every entry parsed and canonical, sequence numbers without gaps, timestamps never going
/// backwards, every wipe verified, segment files contiguous, every checkpoint signed by the key and
/// matching the recomputed tree, successive checkpoints consistent (RFC 9162 proofs), and what
/// retention removed bridged by its compact range and consistency proofs.
public enum LedgerAuditor {
    /// Verifies `directory` against `verifier`. Never throws: problems become findings.
    /// - Parameter entries: receives each parsed entry (for reports), in order.
    public static func verify(
        _ directory: URL, verifier: NoteVerifier?, entries: (DeletionRecord) -> Void = { _ in }
    ) -> LedgerAudit {
        var audit = LedgerAudit(directory: directory.path, origin: verifier?.name)
        let layout = LedgerLayout(directory: directory)
        var segments = layout.segments()
        if segments.isEmpty, FileManager.default.fileExists(atPath: layout.legacyEntriesFile.path) {
            segments = [(0, layout.legacyEntriesFile)]
        }

        // Retention's cut: the tree starts from the compact range of the removed entries.
        var tree = MerkleTree()
        var pruned: PrunedPrefix?
        if let data = FileManager.default.contents(atPath: layout.prunedFile.path) {
            do {
                let prefix = try JSONDecoder().decode(PrunedPrefix.self, from: data)
                let range = prefix.compactRange.compactMap { Data(base64Encoded: $0) }
                guard range.count == prefix.compactRange.count else { throw LetheError(.ledgerCorrupt, "the compact range is not base64") }
                tree = try MerkleTree(prunedSize: prefix.size, compactRange: range)
                pruned = prefix
                audit.removedCount = prefix.size
            } catch {
                audit.fail("pruned_invalid", "\(layout.prunedFile.lastPathComponent): not a valid record of removed entries")
                return audit
            }
        }

        // Entries.
        let decoder = JSONDecoder()
        var previous: DeletionRecord?
        for (position, (firstIndex, url)) in segments.enumerated() {
            let name = url.lastPathComponent
            guard firstIndex == tree.size else {
                if firstIndex < 0 {
                    audit.fail("segment_name_invalid", "segment file \(name) is not named after its first entry")
                } else if firstIndex > tree.size {
                    audit.fail("entries_missing", "entries #\(tree.size)…#\(firstIndex - 1) are missing: segment \(name) starts at #\(firstIndex)")
                } else {
                    audit.fail("segment_overlap", "segment \(name) starts at #\(firstIndex) but #\(tree.size - 1) was already read")
                }
                return finish(audit, tree: tree, layout: layout, verifier: verifier, pruned: pruned)
            }
            let data = FileManager.default.contents(atPath: url.path) ?? Data()
            let lines = data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
            for (lineNumber, line) in lines.enumerated() {
                let isTail = lineNumber == lines.count - 1
                if isTail && line.isEmpty { break }
                let index = tree.size
                let place = "entry #\(index) (\(name) line \(lineNumber + 1))"
                if isTail {
                    // No newline: written when the process died, never acknowledged.
                    if position == segments.count - 1 {
                        audit.warn("torn_tail", "\(line.count) bytes after \(index == 0 ? "the start" : "entry #\(index - 1)") in \(name) are an incomplete entry from a crash; it was never acknowledged and the worker cuts it off on its next start")
                    } else {
                        audit.fail("segment_truncated", "\(place) is cut off: segment \(name) ends inside an entry")
                        return finish(audit, tree: tree, layout: layout, verifier: verifier, pruned: pruned)
                    }
                    break
                }
                guard let entry = try? decoder.decode(DeletionRecord.self, from: Data(line)) else {
                    audit.fail("entry_malformed", "\(place) is not a valid deletion record")
                    return finish(audit, tree: tree, layout: layout, verifier: verifier, pruned: pruned)
                }
                guard let canonical = try? entry.canonicalJSON(), canonical == Data(line) else {
                    audit.fail("entry_not_canonical", "\(place) is not in canonical form: its bytes were edited")
                    return finish(audit, tree: tree, layout: layout, verifier: verifier, pruned: pruned)
                }
                guard entry.sequence == index else {
                    audit.fail("sequence_gap", "\(place) carries sequence \(entry.sequence): entries were removed, inserted or reordered")
                    return finish(audit, tree: tree, layout: layout, verifier: verifier, pruned: pruned)
                }
                if let previous, entry.wipedAt < previous.wipedAt {
                    audit.fail("time_backwards", "\(place) was wiped at \(entry.wipedAt), before entry #\(index - 1) (\(previous.wipedAt))")
                }
                if entry.receivedAt > entry.wipedAt {
                    audit.fail("time_backwards", "\(place) was wiped at \(entry.wipedAt), before it was received (\(entry.receivedAt))")
                }
                if !entry.wipeVerified {
                    audit.fail("wipe_unverified", "\(place) records a wipe whose read-back verify failed")
                }
                tree.append(leafHash: MerkleHash.leaf(line))
                entries(entry)
                previous = entry
            }
        }
        return finish(audit, tree: tree, layout: layout, verifier: verifier, pruned: pruned)
    }

    /// Checks the checkpoints against the recomputed tree and each other.
    private static func finish(
        _ audit: LedgerAudit, tree: MerkleTree, layout: LedgerLayout, verifier: NoteVerifier?, pruned: PrunedPrefix?
    ) -> LedgerAudit {
        var audit = audit
        audit.entryCount = tree.size
        audit.rootHash = tree.size >= tree.prunedSize ? tree.root().base64EncodedString() : nil
        guard let verifier else { return audit }
        var good: [Int: Checkpoint] = [:]
        var opened: [Checkpoint] = []
        for file in layout.checkpoints() {
            let name = "checkpoint \(file.url.lastPathComponent)"
            guard let text = try? String(contentsOf: file.url, encoding: .utf8) else {
                audit.fail("checkpoint_unreadable", "\(name) is not readable UTF-8")
                return audit
            }
            let checkpoint: Checkpoint
            do {
                checkpoint = try Checkpoint.open(text, verifier: verifier)
            } catch let error as LetheError {
                audit.fail(error.code.rawValue, "\(name): \(error.message)")
                return audit
            } catch {
                audit.fail("checkpoint_malformed", "\(name): \(error)")
                return audit
            }
            guard checkpoint.size == file.size else {
                audit.fail("checkpoint_misnamed", "\(name) signs size \(checkpoint.size), not the size in its name")
                return audit
            }
            guard checkpoint.size <= tree.size else {
                audit.fail("entries_missing", "\(name) covers \(checkpoint.size) entries but only \(tree.size) are present: entries #\(tree.size)…#\(checkpoint.size - 1) were removed after being acknowledged")
                return audit
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
                    return audit
                }
                if let lastGood, lastGood.size >= tree.prunedSize {
                    // Both roots come from the same entries, so this holds unless the proof code is
                    // wrong; it is what a verifier holding only the two checkpoints checks.
                    let proof = (try? tree.consistencyProof(oldSize: lastGood.size, newSize: checkpoint.size)) ?? []
                    guard MerkleProof.verifyConsistency(oldSize: lastGood.size, newSize: checkpoint.size, oldRoot: lastGood.rootHash, newRoot: checkpoint.rootHash, proof: proof) else {
                        audit.fail("checkpoint_inconsistent", "\(name) is not consistent with checkpoint \(LedgerLayout.paddedName(lastGood.size))")
                        return audit
                    }
                }
                lastGood = checkpoint
            }
            good[checkpoint.size] = checkpoint
            audit.checkpointCount += 1
            audit.checkpointedSize = max(audit.checkpointedSize, checkpoint.size)
        }

        // Checkpoints older than retention's cut must be linked to a checkpoint after it.
        if let pruned {
            var linked = Set(good.keys.filter { $0 >= pruned.size })
            guard !linked.isEmpty else {
                audit.fail("pruned_unanchored", "no checkpoint covers the removed entries #0…#\(pruned.size - 1) and the rest")
                return audit
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
                        return audit
                    }
                    linked.insert(old.size)
                    progress = true
                }
            }
            if let orphan = good.keys.sorted().first(where: { !linked.contains($0) }) {
                audit.fail("checkpoint_inconsistent", "checkpoint \(LedgerLayout.paddedName(orphan)) predates the retention cut and no kept proof links it to a later checkpoint")
                return audit
            }
        }
        if audit.checkpointCount == 0, tree.size > 0 {
            audit.warn("uncovered_entries", "no checkpoint yet: none of the \(tree.size) entries is covered by a signature")
        } else if audit.checkpointedSize < tree.size {
            audit.warn("uncovered_entries", "entries #\(audit.checkpointedSize)…#\(tree.size - 1) are not yet covered by a checkpoint (the next one covers them)")
        }
        return audit
    }
}
