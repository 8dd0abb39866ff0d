import Foundation
import LetheMemory
import LetheTransparency

/// Follows one live log over HTTP, reading only its checkpoint and C2SP tlog-tiles entry bundles
/// (`lethe audit monitor`, docs/ledger.md §18): each round it verifies the latest checkpoint's
/// signature and witness quorum, reads every entry since the last verified checkpoint, checks
/// each (canonical form, sequence, batch rules, verified wipes), extends the verified tree's
/// compact range with them and requires the new checkpoint's root — which proves the new
/// checkpoint consistent with the last one. Every problem is an alert with a stable code.
public struct LogMonitor: Sendable {
    /// One alert: a stable code (`checkpoint_inconsistent` for a fork or rollback,
    /// `sequence_gap` / `entries_missing` for a gap, `checkpoint_stale`, `wipe_unverified`,
    /// `witness_quorum_missing`, `log_unreachable`, and the auditor's entry codes) and a message.
    public typealias Alert = LedgerAudit.Finding

    /// What one round found.
    public struct Round: Sendable {
        /// The state to keep: advanced only to a checkpoint whose every entry verified.
        public var state: MonitorState.Log?
        public var alerts: [Alert] = []
        /// Entries read and verified this round.
        public var entriesVerified = 0
        /// `ohttp_key` entries among them (docs/ledger.md §17).
        public var keysLogged = 0
        /// Size of the checkpoint the log serves (0 when unreadable).
        public var checkpointSize = 0
    }

    /// The log's pinned verifier key.
    public let verifier: NoteVerifier
    /// The witnesses' quorum every checkpoint must meet, if any.
    public let policy: WitnessPolicy?
    /// A checkpoint seen unchanged for longer than this is `checkpoint_stale`; nil: never.
    public let maxAgeSeconds: Int64?
    /// Reads a path below the log's URL (`ledger/checkpoint`, `ledger/tile/entries/…`).
    public let fetch: @Sendable (String) async throws -> Data

    public init(verifier: NoteVerifier, policy: WitnessPolicy?, maxAgeSeconds: Int64?, fetch: @escaping @Sendable (String) async throws -> Data) {
        self.verifier = verifier
        self.policy = policy
        self.maxAgeSeconds = maxAgeSeconds
        self.fetch = fetch
    }

    /// One round against the log, from `state` (nil: from the first entry).
    public func check(from state: MonitorState.Log?, now: Date = Date()) async -> Round {
        var round = Round(state: state)
        let name = verifier.name
        func alert(_ code: String, _ message: String) { round.alerts.append(Alert(code: code, message: "\(name): \(message)")) }
        let note: String
        let checkpoint: Checkpoint
        do {
            note = String(decoding: try await fetch("ledger/checkpoint"), as: UTF8.self)
        } catch {
            alert("log_unreachable", "the checkpoint could not be read")
            return round
        }
        do {
            checkpoint = try Checkpoint.open(note, verifier: verifier)
        } catch let error as LetheError {
            alert(error.code.rawValue, "the served checkpoint does not verify: \(error.message)")
            return round
        } catch {
            alert("checkpoint_malformed", "the served checkpoint does not verify")
            return round
        }
        round.checkpointSize = checkpoint.size
        if let policy {
            do { try policy.check(note) } catch let error as LetheError { alert(error.code.rawValue, "checkpoint \(checkpoint.size): \(error.message)") } catch {}
        }
        let seenSize = state?.size ?? 0
        let seenRoot = state.flatMap { Data(base64Encoded: $0.root) }
        if checkpoint.size < seenSize {
            alert("checkpoint_inconsistent", "checkpoint \(checkpoint.size) is smaller than checkpoint \(seenSize) seen before: the log was rolled back or forked")
            return round
        }
        if let state, checkpoint.size == seenSize {
            if checkpoint.rootHash != seenRoot {
                alert("checkpoint_inconsistent", "checkpoint \(checkpoint.size) has another root than the one seen before: a fork")
            } else if let maxAgeSeconds, Int64(now.timeIntervalSince1970) - state.seenAt > maxAgeSeconds {
                alert("checkpoint_stale", "checkpoint \(checkpoint.size) has not changed for \(Int64(now.timeIntervalSince1970) - state.seenAt) s (more than \(maxAgeSeconds) s)")
            }
            return round
        }
        // Entries seenSize ..< checkpoint.size, from entry bundles, onto the verified compact range.
        var tree: MerkleTree
        do {
            tree = seenSize == 0 ? MerkleTree() : try MerkleTree(prunedSize: seenSize, compactRange: state?.compactRange.compactMap { Data(base64Encoded: $0) } ?? [])
        } catch {
            alert("monitor_state_invalid", "the kept compact range of size \(seenSize) is not valid")
            return round
        }
        var audit = LedgerAudit(directory: "")
        var previous = state?.lastSummary.flatMap { try? JSONDecoder().decode(PeriodSummary.self, from: Data($0.utf8)) }
        var wipes: [WipeCommitment] = []
        var index = seenSize
        while index < checkpoint.size {
            let bundle = index / TilePath.width
            let width = min(TilePath.width, checkpoint.size - bundle * TilePath.width)
            let path = "ledger/" + TilePath(level: nil, index: bundle, width: width).path
            guard let data = try? await fetch(path), let entries = Self.entries(of: data), entries.count == width else {
                alert("entries_missing", "entry bundle \(path) is missing or not \(width) entries: entries from #\(index) cannot be read")
                return round
            }
            for line in entries[(index - bundle * TilePath.width)...] {
                let place = "entry #\(index)"
                guard let entry = try? LogEntry.decode(line), (try? entry.canonicalJSON()) == line else {
                    alert("entry_malformed", "\(place) is not a canonical log entry")
                    return round
                }
                guard entry.sequence == index else {
                    alert("sequence_gap", "\(place) carries sequence \(entry.sequence): entries were removed, inserted or reordered")
                    return round
                }
                switch entry {
                case .wipe(let wipe):
                    if !wipe.wipeVerified { alert("wipe_unverified", "\(place) stands for a wipe whose read-back verify failed") }
                    wipes.append(wipe)
                case .summary(let summary):
                    LedgerAuditor.checkSummary(summary, wipes: wipes, previous: previous, place: place, audit: &audit)
                    previous = summary
                    wipes = []
                case .key:
                    if !wipes.isEmpty { alert("batch_malformed", "\(place) logs a key inside a batch, before its summary") }
                    round.keysLogged += 1
                case .legacy(let record):
                    if !record.wipeVerified { alert("wipe_unverified", "\(place) records a wipe whose read-back verify failed") }
                }
                tree.append(leafHash: MerkleHash.leaf(line))
                index += 1
            }
        }
        round.alerts += audit.failures.map { Alert(code: $0.code, message: "\(name): \($0.message)") }
        guard tree.root(size: checkpoint.size) == checkpoint.rootHash else {
            alert("checkpoint_inconsistent", "the entries after checkpoint \(seenSize) do not lead to the root of checkpoint \(checkpoint.size): the log forked or was rewritten")
            return round
        }
        round.entriesVerified = checkpoint.size - seenSize
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        round.state = MonitorState.Log(
            size: checkpoint.size, root: checkpoint.rootHash.base64EncodedString(),
            compactRange: tree.compactRange(size: checkpoint.size).map { $0.base64EncodedString() }, note: note,
            seenAt: Int64(now.timeIntervalSince1970),
            lastSummary: (try? previous.map { try encoder.encode($0) }).flatMap { $0.map { String(decoding: $0, as: UTF8.self) } } ?? state?.lastSummary)
        return round
    }

    /// The entries of a C2SP tlog-tiles entry bundle (`uint16 big-endian length || bytes`, repeated);
    /// nil when it does not parse.
    public static func entries(of bundle: Data) -> [Data]? {
        var entries: [Data] = []
        var offset = bundle.startIndex
        while offset < bundle.endIndex {
            guard bundle.endIndex - offset >= 2 else { return nil }
            let length = Int(bundle[offset]) << 8 | Int(bundle[offset + 1])
            offset += 2
            guard bundle.endIndex - offset >= length else { return nil }
            entries.append(Data(bundle[offset..<(offset + length)]))
            offset += length
        }
        return entries
    }
}
