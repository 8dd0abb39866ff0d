import Foundation
import LetheTransparency

/// The compliance officer's view of a `LedgerReport` (docs/ledger.md §19): the promises that
/// customers' privacy policies make about face, skin and scalp photos, each with the evidence the
/// ledgers hold, how the report verified it, whether it is met, and the exact command a regulator
/// runs to check it again; plus the series its charts draw (requests per day, witness coverage).
public struct ComplianceView: Codable, Sendable {
    /// One promise and its evidence.
    public struct Promise: Codable, Sendable {
        /// Stable identifier: `destruction`, `access_records`, `no_retention`.
        public var id: String
        /// The promise as privacy policies word it.
        public var text: String
        public var met: Bool
        /// What the ledgers show, one finding per line, numbers included.
        public var evidence: [String]
        /// How the report checked that evidence.
        public var verification: String
        /// The command that checks it again (one line per replica).
        public var commands: [String]
    }

    /// Requests that held plaintext, per UTC day (from the period summaries).
    public struct Day: Codable, Sendable, Equatable {
        public var date: String
        public var requests: Int
    }

    /// How many of a replica's checkpoints a witness cosigned.
    public struct WitnessCoverage: Codable, Sendable, Equatable {
        public var origin: String?
        public var witness: String
        public var cosigned: Int
        public var checkpoints: Int
        /// True when each cosignature was checked with the witness's key (`--witness`); false when
        /// only counted by name.
        public var verified: Bool
    }

    /// What the report read about one ledger directory beyond its entries.
    struct DirectoryFacts {
        var directory: URL
        var origin: String?
        var verifierKey: String?
        /// The log verified (signatures, tree, consistency, witness quorum); nil without a key.
        var verified: Bool?
        /// The period of the oldest entry still in the log.
        var oldestPeriod: String?
        /// Log entries removed by retention (`pruned`), 0 when none.
        var removedEntries: Int
        /// Files that are not part of a ledger directory (docs/ledger.md §2).
        var unexpectedFiles: [String]
        var coverage: [WitnessCoverage]
        var checkpoints: Int
    }

    public var promises: [Promise]
    public var requestsPerDay: [Day]
    public var witnessCoverage: [WitnessCoverage]

    enum CodingKeys: String, CodingKey {
        case promises
        case requestsPerDay = "requests_per_day"
        case witnessCoverage = "witness_coverage"
    }

    /// Promise texts, as customers' privacy policies put them.
    public static let destructionPromise = "Photos and everything derived from them are destroyed by technical methods that make the data unrecoverable, immediately after the analysis and simulation are complete."
    public static let accessRecordsPromise = "Records of access to the data are kept for at least six months, protected against forgery."
    public static let noRetentionPromise = "No data is retained beyond the purpose of the analysis."

    /// Six months, the minimum the access-records promise sets (and the ledger's default retention).
    public static let accessRecordDays = 183

    static func make(report: LedgerReport, facts: [DirectoryFacts], policy: WitnessPolicy?, now: Date) -> ComplianceView {
        let verified = !facts.isEmpty && facts.allSatisfy { $0.verified == true }
        func verify(_ fact: DirectoryFacts) -> String {
            var command = "lethe audit verify \(shellQuoted(fact.directory.path)) --key \(shellQuoted(fact.verifierKey ?? "KEY"))"
            if let policy {
                command += policy.witnesses.map { " --witness \(shellQuoted($0.verifierKey))" }.joined() + " --quorum \(policy.quorum)"
            }
            return command
        }
        let replicas = facts.map { $0.origin ?? $0.directory.path }.joined(separator: ", ")
        let signature = verified
            ? "every checkpoint of \(replicas) verified with its pinned ledger key and every entry recomputed into the Merkle tree"
            : "NOT every replica verified: " + facts.filter { $0.verified != true }.map { "\($0.origin ?? $0.directory.path) (\($0.verified == nil ? "no key" : "verification failed"))" }.joined(separator: ", ")

        // (a) Destruction immediately after the analysis.
        // Wrapping arithmetic: the numbers come from files an attacker may have written (TamperTests).
        let unverifiedWipes = report.requests &- report.wipesVerified
        let slow = report.lifetimeMaxMicroseconds > LedgerReport.slowLifetimeMicroseconds
        let bound = report.lifetimesExact ? "" : "≤ "
        let destruction = Promise(
            id: "destruction", text: destructionPromise,
            met: verified && unverifiedWipes == 0 && !slow,
            evidence: [
                "\(report.wipesVerified) of \(report.requests) requests' plaintext buffers were wiped and verified by read-back (every byte read back as zero)"
                    + (unverifiedWipes > 0 ? "; \(unverifiedWipes) wipe(s) did NOT verify" : ""),
                "\(report.bytesWiped) bytes in \(report.buffersWiped) buffers wiped: "
                    + report.bytesWipedByClass.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "),
                "plaintext lifetime from decryption to wipe: p50 \(bound)\(LedgerReportRenderer.milliseconds(report.lifetimeP50Microseconds)), "
                    + "p99 \(bound)\(LedgerReportRenderer.milliseconds(report.lifetimeP99Microseconds)), max \(LedgerReportRenderer.milliseconds(report.lifetimeMaxMicroseconds))"
                    + (slow ? " — longer than \(LedgerReport.slowLifetimeMicroseconds / 1_000_000) s" : ""),
                "\(report.refusedBeforePlaintext.values.reduce(0, &+)) requests refused before any plaintext existed (nothing to destroy)",
                signature,
            ],
            verification: "Each request's record names the buffers wiped and the read-back result; the auditor recomputed every record into its commitment "
                + "and every period summary (wipes_verified, lifetime histogram) and checked the signed log's root. The lifetime is measured by the worker "
                + "from decryption to the verified wipe, which follows the sending of the encrypted result.",
            commands: facts.map(verify))

        // (b) Access records kept six months, forgery-proof.
        let cutoff = now.addingTimeInterval(-Double(accessRecordDays) * 86_400)
        var retentionFindings: [String] = []
        var retentionMet = true
        for fact in facts {
            let name = fact.origin ?? fact.directory.path
            let oldest = fact.oldestPeriod ?? "none"
            if fact.removedEntries == 0 {
                retentionFindings.append("\(name): no entry removed; the oldest kept entry is of period \(oldest)")
            } else if let period = fact.oldestPeriod, let stamp = LedgerTime.milliseconds(period), stamp <= LedgerTime.milliseconds(cutoff) {
                retentionFindings.append("\(name): \(fact.removedEntries) entries removed by retention; the oldest kept entry (period \(period)) is older than \(accessRecordDays) days")
            } else {
                retentionMet = false
                retentionFindings.append("\(name): \(fact.removedEntries) entries removed by retention although the oldest kept entry (period \(oldest)) is younger than \(accessRecordDays) days")
            }
        }
        var witnessFindings = facts.flatMap { fact in
            fact.coverage.map { "\(fact.origin ?? fact.directory.path): \($0.cosigned) of \(fact.checkpoints) checkpoints cosigned by \($0.witness)\($0.verified ? "" : " (counted, not verified: no --witness key)")" }
        }
        if witnessFindings.isEmpty { witnessFindings = ["no checkpoint carries a witness cosignature: forgery prevention rests on the operator's signature alone"] }
        if let policy {
            witnessFindings.append("witness policy: the latest checkpoint of each replica must carry \(policy.quorum) of \(policy.witnesses.count) cosignatures (" + policy.witnesses.map(\.name).joined(separator: ", ") + ")")
        }
        let accessRecords = Promise(
            id: "access_records", text: accessRecordsPromise,
            met: verified && retentionMet,
            evidence: [signature] + retentionFindings + witnessFindings + ["\(report.keys.count) OHTTP key configurations logged (which keys devices could encrypt to, and since when)"],
            verification: "The log is append-only: each checkpoint is an Ed25519-signed Merkle root (C2SP tlog-checkpoint) and the auditor checked every "
                + "checkpoint's consistency with the next, so no entry can be altered or removed without it showing; witnesses' cosignatures (C2SP "
                + "tlog-cosignature) prove the operator showed everyone the same log. Retention (docs/ledger.md §11) may remove only entries older than its window.",
            commands: facts.map(verify))

        // (c) No retention beyond the purpose.
        let unexpected = facts.flatMap { fact in fact.unexpectedFiles.map { "\(fact.directory.path)/\($0)" } }
        let noRetention = Promise(
            id: "no_retention", text: noRetentionPromise,
            met: verified && unverifiedWipes == 0 && unexpected.isEmpty,
            evidence: [
                "\(report.requests) requests held plaintext; each ended in a wipe record (\(report.wipesVerified) verified) and the auditor found no record missing or counted twice",
                "records and log entries hold no personal data: no pixels, no plaintext hashes, no IP addresses, device ids pseudonymised with a keyed HMAC (their canonical form was checked entry by entry)",
                unexpected.isEmpty
                    ? "the ledger directories hold only ledger files (records, log, checkpoints, tiles, keys)"
                    : "files that are not ledger files: " + unexpected.prefix(20).joined(separator: ", "),
                signature,
            ],
            verification: "The worker writes nothing but the ledger directory (Landlock where the kernel allows, no temp files, no core dumps); the report "
                + "listed each ledger directory against its documented layout (docs/ledger.md §2) and the auditor checked each record's fields.",
            commands: facts.map(verify) + facts.map { "find \(shellQuoted($0.directory.path)) -type f" })

        var days: [String: Int] = [:]
        for period in report.periods { days[String(period.period.prefix(10)), default: 0] &+= period.requests }
        return ComplianceView(
            promises: [destruction, accessRecords, noRetention],
            requestsPerDay: days.sorted { $0.key < $1.key }.map { Day(date: $0.key, requests: $0.value) },
            witnessCoverage: facts.flatMap(\.coverage))
    }

    /// The facts of one directory: retention, unexpected files, witness coverage of its checkpoints.
    static func facts(
        of directory: URL, origin: String?, verifier: NoteVerifier?, verified: Bool?, oldestPeriod: String?, policy: WitnessPolicy?
    ) -> DirectoryFacts {
        let layout = LedgerLayout(directory: directory)
        let removed = (FileManager.default.contents(atPath: layout.prunedFile.path)).flatMap { try? JSONDecoder().decode(PrunedPrefix.self, from: $0) }?.size ?? 0
        let notes = layout.checkpoints().compactMap { try? SignedNote.parse(String(contentsOf: $0.url, encoding: .utf8)) }
        var coverage: [WitnessCoverage] = []
        if let policy {
            coverage = policy.witnesses.map { witness in
                let cosigned = notes.filter { note in note.signatures.contains { witness.timestamp(of: $0, checkpointBody: note.text) != nil } }.count
                return WitnessCoverage(origin: origin, witness: witness.name, cosigned: cosigned, checkpoints: notes.count, verified: true)
            }
        } else {
            var counts: [String: Int] = [:]
            for note in notes {
                for name in Set(note.signatures.map(\.name)) where name != origin { counts[name, default: 0] += 1 }
            }
            coverage = counts.sorted { $0.key < $1.key }.map { WitnessCoverage(origin: origin, witness: $0.key, cosigned: $0.value, checkpoints: notes.count, verified: false) }
        }
        return DirectoryFacts(
            directory: directory, origin: origin, verifierKey: verifier?.verifierKey, verified: verified, oldestPeriod: oldestPeriod,
            removedEntries: removed, unexpectedFiles: unexpectedFiles(in: directory), coverage: coverage, checkpoints: notes.count)
    }

    /// Paths (relative to `directory`) of files that the documented layout does not name.
    static func unexpectedFiles(in directory: URL) -> [String] {
        let files = FileManager.default
        var unexpected: [String] = []
        let topLevel = (try? files.contentsOfDirectory(atPath: directory.path)) ?? []
        for name in topLevel.sorted() {
            switch name {
            case LedgerLayout.signingKeyFileName, LedgerLayout.pseudonymKeyFileName, LedgerLayout.legacyEntriesFileName, "pruned", "tile":
                continue
            case "segments", "log":
                let inner = (try? files.contentsOfDirectory(atPath: directory.appendingPathComponent(name).path)) ?? []
                unexpected += inner.filter { !$0.hasSuffix(".jsonl") || Int($0.dropLast(6)) == nil }.sorted().map { "\(name)/\($0)" }
            case "checkpoints":
                let inner = (try? files.contentsOfDirectory(atPath: directory.appendingPathComponent(name).path)) ?? []
                unexpected += inner.filter { Int($0) == nil }.sorted().map { "\(name)/\($0)" }
            default:
                unexpected.append(name)
            }
        }
        return unexpected
    }

    /// `text` as one shell word.
    static func shellQuoted(_ text: String) -> String {
        text.allSatisfy { $0.isLetter || $0.isNumber || "/._-+=:@".contains($0) } ? text : "'" + text.replacingOccurrences(of: "'", with: #"'\''"#) + "'"
    }
}

extension LedgerAuditor.Item {
    /// The period (or, for a version-1 entry, the time) the item belongs to.
    var period: String {
        switch self {
        case .batch(let summary, _): summary.period
        case .legacy(let record): record.wipedAt
        case .key(let key): key.period
        }
    }
}
