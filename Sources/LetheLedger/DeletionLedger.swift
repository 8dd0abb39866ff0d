import Crypto
import Foundation
import LetheMemory
import LetheTransparency
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The deletion ledger: a private, durable record of every request that held plaintext, and a
/// public transparency log that proves, period by period, that those records exist and what
/// they add up to — without letting anyone who saw a request's time and size find its entry.
///
/// - **Records** (`segments/`, private): one `DeletionRecord` per request, appended and made
///   durable before the request's receipt is signed. Concurrent appends share one fsync (group
///   commit). Served only on the operator listener.
/// - **Log** (`log/`, public): at the end of each publication period the period's records become
///   one `WipeCommitment` each, sorted by commitment (not by arrival), then one `PeriodSummary`
///   with the totals and the requests refused before any plaintext existed; signed C2SP
///   checkpoints commit to the RFC 9162 Merkle tree over the log, whose full tiles are on disk
///   (`tile/`, C2SP tlog-tiles) and whose right edge is in memory (`TiledMerkleTree`): memory
///   does not grow with the log.
///
/// A crash loses at most records whose receipts were never sent; on the next start a torn line is
/// cut off (reported in `recoveredBytes`), a batch cut short in the log is rewritten from the
/// records, and records not yet published are published. See docs/ledger.md.
public actor DeletionLedger {
    /// Legacy single-file name (migrated into `log/`).
    public static let entriesFileName = LedgerLayout.legacyEntriesFileName

    /// The ledger directory.
    public nonisolated let directory: URL
    /// File layout inside `directory`.
    public nonisolated let layout: LedgerLayout
    /// Pseudonymises device ids with the ledger's own HMAC key (for the private records).
    public nonisolated let pseudonymizer: DevicePseudonymizer
    /// Bytes of incomplete trailing lines removed when the ledger was opened (0 normally).
    public nonisolated let recoveredBytes: Int
    /// Signs checkpoints and receipts; its name is the log's origin.
    public nonisolated let signer: NoteSigner
    /// The log's origin (the signing key's name).
    public nonisolated var origin: String { signer.name }
    /// The C2SP verifier key auditors and devices use.
    public nonisolated var verifierKey: String { signer.verifier.verifierKey }
    public nonisolated let configuration: LedgerConfiguration

    // Private records.
    var records: SegmentStore
    /// Records 0..<recordsSynced are durable.
    var recordsSynced: Int
    var syncInFlight = false
    var syncWaiters: [CheckedContinuation<Void, Never>] = []
    /// Set when an fsync of the records failed: nothing is acknowledged any more (fail closed).
    var recordsBroken: LetheError?
    /// fsyncs of the records so far (group commit makes this smaller than the appends).
    public internal(set) var recordSyncCount = 0
    var stamps: LedgerStamps
    /// Wall-clock steps seen since start, and the newest one.
    public internal(set) var clockStepCount = 0
    public internal(set) var latestClockStep: ClockStep?
    var pendingStep: ClockStep?

    // Batches waiting for publication.
    var openBatch: Batch?
    var closedBatches: [Batch] = []
    /// Records 0..<publishedRecords are in the log.
    var publishedRecords: Int
    var publishing = false

    // Public log.
    var log: SegmentStore
    var tree: TiledMerkleTree
    /// The tree's size, readable without the actor: full tiles below it are served straight from
    /// disk (`storedFullTile`), off the write path.
    nonisolated let publishedTreeSize = Atomic<Int>(0)
    /// The latest signed checkpoint note, its size and the records it covers.
    var latestCheckpoint: (size: Int, note: String, records: Int)?
    /// Published batches by period start: where each one's wipe entries and summary are. One
    /// entry per published batch (not per log entry, but per batch, so per request with
    /// `--checkpoint-entries 1`); retention drops the periods it removes.
    var periods: [String: [PublishedBatch]]
    /// Logged OHTTP key configurations (their bytes) and their entries' indexes (§17).
    var keyEntries: [Data: Int]
    /// Set when the log could not be cut back after a failed write.
    var logBroken: LetheError?

    /// Opens (creating if needed, mode 0700) the ledger in `directory`.
    public init(directory: URL, configuration: LedgerConfiguration = .init()) throws {
        try FileManager.default.createDirectory(
            at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let layout = LedgerLayout(directory: directory)
        self.directory = directory
        self.layout = layout
        self.configuration = configuration
        self.pseudonymizer = try DevicePseudonymizer.loadOrCreate(in: directory, file: configuration.pseudonymKeyFile)
        self.signer = try Self.loadOrCreateSigner(layout: layout, configuration: configuration)
        try Self.migrateVersionOne(layout)

        // The public log: retention's compact range, then every line; a batch without its summary
        // (a crash inside the batch's write, never in the tree) is cut off and published again.
        let tiles = TileStore(directory: directory)
        var tree = TiledMerkleTree(store: tiles)
        if let data = FileManager.default.contents(atPath: layout.prunedFile.path) {
            let pruned = try JSONDecoder().decode(PrunedPrefix.self, from: data)
            tree = try TiledMerkleTree(prunedSize: pruned.size, compactRange: pruned.compactRange.compactMap { Data(base64Encoded: $0) }, store: tiles)
        }
        // Leaves of the batch being read: they enter the tree at its summary, so that memory holds
        // one batch, never the log; a batch without its summary stays out.
        var leaves: [Data] = []
        var complete = tree.size
        var periods: [String: [PublishedBatch]] = [:]
        // The records the newest checkpoint covers: those of the last summary inside it.
        let newestCheckpoint = layout.checkpoints().last(where: { $0.size >= 0 })
        var recordsAtCheckpoint = 0
        var publishedRecords = 0
        var batchStart: Int?
        var keyEntries: [Data: Int] = [:]
        var log = try SegmentStore(directory: layout.logDirectory, maxSegmentBytes: configuration.maxSegmentBytes, start: tree.size) { index, line in
            leaves.append(MerkleHash.leaf(line))
            guard let entry = try? LogEntry.decode(line) else {
                throw LetheError(.ledgerCorrupt, "log entry #\(index) is not a log entry: run 'lethe audit verify'")
            }
            switch entry {
            case .wipe:
                if batchStart == nil { batchStart = index }
            case .summary(let summary):
                for leaf in leaves { tree.append(leafHash: leaf) }
                leaves.removeAll(keepingCapacity: true)
                periods[summary.period, default: []].append(PublishedBatch(first: batchStart ?? index, summary: index))
                if index + 1 <= newestCheckpoint?.size ?? 0 { recordsAtCheckpoint = summary.journalEnd }
                publishedRecords = summary.journalEnd
                batchStart = nil
                complete = index + 1
            case .key(let key):
                if let config = key.configBytes { keyEntries[config] = index }
                for leaf in leaves { tree.append(leafHash: leaf) }
                leaves.removeAll(keepingCapacity: true)
                batchStart = nil
                complete = index + 1
            case .legacy:
                for leaf in leaves { tree.append(leafHash: leaf) }
                leaves.removeAll(keepingCapacity: true)
                batchStart = nil
                complete = index + 1
            }
        }
        var recovered = log.recoveredBytes
        if log.count > complete {
            try log.truncate(to: complete)
        }

        // The private records: the newest one's time, and those not yet published.
        var pending: [(Int, Data)] = []
        var newest: Data?
        let published = publishedRecords
        let records = try SegmentStore(directory: layout.segmentsDirectory, maxSegmentBytes: configuration.maxSegmentBytes, start: nil) { index, line in
            if index >= published { pending.append((index, line)) }
            newest = line
        }
        recovered += records.recoveredBytes
        guard records.count >= publishedRecords else {
            throw LetheError(.ledgerCorrupt, "the log covers \(publishedRecords) records but only \(records.count) exist: run 'lethe audit verify'")
        }
        let newestTime = try newest.map { try JSONDecoder().decode(DeletionRecord.self, from: $0).wipedAt }.flatMap(LedgerTime.milliseconds)

        self.records = records
        self.recordsSynced = records.count
        self.stamps = LedgerStamps(newest: newestTime)
        self.log = log
        self.tree = tree
        self.publishedTreeSize.store(tree.size, ordering: .releasing)
        self.periods = periods
        self.keyEntries = keyEntries
        self.publishedRecords = publishedRecords
        self.recoveredBytes = recovered
        self.closedBatches = try Self.batches(of: pending, everyEntries: configuration.checkpointEveryEntries)

        // The latest checkpoint must describe a prefix of what is on disk.
        try FileManager.default.createDirectory(at: layout.checkpointsDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        if let newest = newestCheckpoint, let text = try? String(contentsOf: newest.url, encoding: .utf8) {
            let checkpoint = try Checkpoint.open(text, verifier: signer.verifier)
            guard checkpoint.size == newest.size else {
                throw LetheError(.ledgerCorrupt, "checkpoint file \(newest.url.lastPathComponent) holds a checkpoint of size \(checkpoint.size): run 'lethe audit verify'")
            }
            guard checkpoint.size <= tree.size else {
                throw LetheError(.ledgerCorrupt, "checkpoint \(checkpoint.size) covers log entries that are missing (log has \(tree.size)): run 'lethe audit verify'")
            }
            let matches = try checkpoint.size < tree.prunedSize || checkpoint.rootHash == tree.root(size: checkpoint.size)
            guard matches else {
                throw LetheError(.ledgerCorrupt, "log entries differ from checkpoint \(checkpoint.size): run 'lethe audit verify'")
            }
            latestCheckpoint = (checkpoint.size, text, recordsAtCheckpoint)
        }
    }

    deinit {
        records.closeFile()
        log.closeFile()
    }

    /// Records appended so far (including removed ones): one per request that held plaintext.
    public var recordCount: Int { records.count }

    /// Entries in the public log (including removed ones).
    public var logSize: Int { tree.size }

    /// Records already in the public log.
    public var publishedRecordCount: Int { publishedRecords }

    /// Log entries 0..<removedSize were removed by retention.
    var removedSize: Int { log.firstIndex }

    /// Groups records read back at start (not yet published) into batches: one per period, split
    /// where the clock stepped or a batch reached `everyEntries`.
    static func batches(of lines: [(Int, Data)], everyEntries: Int) throws -> [Batch] {
        var batches: [Batch] = []
        let decoder = JSONDecoder()
        for (index, line) in lines {
            let record = try decoder.decode(DeletionRecord.self, from: line)
            guard let start = record.period.flatMap(LedgerTime.milliseconds), let end = record.periodEnd.flatMap(LedgerTime.milliseconds) else {
                throw LetheError(.ledgerCorrupt, "record #\(index) has no period: run 'lethe audit verify'")
            }
            if batches.last.map({ $0.period == start && record.clockStep == nil && (everyEntries == 0 || $0.recordCount < everyEntries) }) != true {
                batches.append(Batch(period: start, periodEnd: end, recordStart: index, recordEnd: index, clockStep: record.clockStep, stepInRecord: true))
            }
            batches[batches.count - 1].add(record, at: index, canonicalJSON: line)
        }
        return batches
    }

    /// Moves version-1 entries (public by design) into `log/`, where their checkpoints keep
    /// verifying: the legacy `deletions.jsonl`, or `segments/` when it holds version-1 entries.
    static func migrateVersionOne(_ layout: LedgerLayout) throws {
        guard layout.logSegments().isEmpty else { return }
        let fileManager = FileManager.default
        let legacy = layout.legacyEntriesFile.path
        var moves: [(String, String)] = []
        if fileManager.fileExists(atPath: legacy), layout.segments().isEmpty {
            moves = [(legacy, layout.logFile(firstIndex: 0).path)]
        } else if let first = layout.segments().first,
            let line = (fileManager.contents(atPath: first.url.path) ?? Data()).split(separator: UInt8(ascii: "\n")).first,
            (try? JSONDecoder().decode(DeletionRecord.self, from: Data(line)))?.version == 1 {
            moves = layout.segments().map { ($0.url.path, layout.logDirectory.appendingPathComponent($0.url.lastPathComponent).path) }
        }
        guard !moves.isEmpty else { return }
        try fileManager.createDirectory(at: layout.logDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        for (source, target) in moves {
            guard rename(source, target) == 0 else { throw LedgerFile.failure("move version-1 entries to", target) }
        }
        try LedgerFile.syncDirectory(containing: layout.logFile(firstIndex: 0).path)
        try LedgerFile.syncDirectory(containing: moves[0].0)
    }

    static func loadOrCreateSigner(layout: LedgerLayout, configuration: LedgerConfiguration) throws -> NoteSigner {
        let path = configuration.signingKeyFile ?? layout.signingKeyFile.path
        if configuration.signingKeyFile != nil, FileManager.default.fileExists(atPath: path) {
            try checkKeyFilePlacement(path, ledgerDirectory: layout.directory)
        }
        if let data = FileManager.default.contents(atPath: path) {
            let signer = try NoteSigner(privateKeyString: String(decoding: data, as: UTF8.self))
            if let origin = configuration.origin, origin != signer.name {
                throw LetheError(.ledgerKeyInvalid, "the ledger key in \(path) is for origin '\(signer.name)', not '\(origin)'")
            }
            return signer
        }
        guard configuration.signingKeyFile == nil else {
            throw LetheError(.ledgerKeyInvalid, "ledger key file \(path) does not exist")
        }
        let signer = try NoteSigner.generate(name: configuration.origin ?? defaultOrigin())
        try LedgerFile.writeNew(Data((signer.privateKeyString + "\n").utf8), to: path)
        return signer
    }

    /// A configured key file (signing or pseudonym key, `name` in messages) must not be where the ledger's writer (or anyone else) could replace
    /// it: outside the ledger directory (after resolving symbolic links, as a Kubernetes secret
    /// mount uses them), a regular file, writable by nobody but its owner and readable by no
    /// "other". The ledger directory is the one place the worker writes; a key there could be
    /// swapped by whoever can write the ledger, and the swapped key would sign a rewritten history.
    /// The default key inside the ledger directory (no `signingKeyFile`) is still accepted: the
    /// embedded, single-host configuration.
    static func checkKeyFilePlacement(_ path: String, ledgerDirectory: URL, name: String = "the ledger key file") throws {
        let key = URL(fileURLWithPath: path).resolvingSymlinksInPath().standardizedFileURL.path
        let ledger = ledgerDirectory.resolvingSymlinksInPath().standardizedFileURL.path
        guard key != ledger, !key.hasPrefix(ledger.hasSuffix("/") ? ledger : ledger + "/") else {
            throw LetheError.ledgerKeyInsecure("\(name) is inside the ledger directory: keep it outside, on a read-only file or mount (docs/ledger.md §7)")
        }
        var status = stat()
        guard stat(key, &status) == 0 else { throw LedgerFile.failure("stat", path) }
        guard status.st_mode & S_IFMT == S_IFREG else {
            throw LetheError.ledgerKeyInsecure("\(name) is not a regular file")
        }
        guard status.st_mode & 0o022 == 0, status.st_mode & 0o004 == 0 else {
            throw LetheError.ledgerKeyInsecure(String(format: "\(name) has mode %04o: it must be writable by its owner only and not readable by others (0400 or 0440)", Int(status.st_mode & 0o7777)))
        }
    }

    /// `lethe.local/<hostname>-<8 random hex digits>`: unique per replica, fixed by the key file.
    static func defaultOrigin() -> String {
        let host = ProcessInfo.processInfo.hostName.filter { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == ".") }
        let random = String(format: "%08x", UInt32.random(in: .min ... .max))
        return "lethe.local/\(host.isEmpty ? "worker" : String(host.prefix(40)))-\(random)"
    }

    /// Reads every complete private record of the ledger in `directory`.
    public static func readEntries(in directory: URL) throws -> [DeletionRecord] {
        let decoder = JSONDecoder()
        return try LedgerLayout(directory: directory).segments().flatMap { file -> [DeletionRecord] in
            let data = FileManager.default.contents(atPath: file.url.path) ?? Data()
            let complete = data.prefix(data.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? 0)
            return try complete.split(separator: UInt8(ascii: "\n")).map { try decoder.decode(DeletionRecord.self, from: Data($0)) }
        }
    }

    /// Reads every complete public log entry of the ledger in `directory`.
    public static func readLog(in directory: URL) throws -> [LogEntry] {
        try LedgerLayout(directory: directory).logSegments().flatMap { file -> [LogEntry] in
            let data = FileManager.default.contents(atPath: file.url.path) ?? Data()
            let complete = data.prefix(data.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? 0)
            return try complete.split(separator: UInt8(ascii: "\n")).map { try LogEntry.decode(Data($0)) }
        }
    }
}

/// Records of one period (or part of one) on their way into the log.
struct Batch: Sendable {
    /// Period start and end, milliseconds since 1970.
    var period: Int64
    var periodEnd: Int64
    /// Records recordStart..<recordEnd.
    var recordStart: Int
    var recordEnd: Int
    /// Refusals before any plaintext existed, by code.
    var refused: [String: Int] = [:]
    /// The wall clock stepped just before the batch.
    var clockStep: ClockStep?
    /// The step is written in the batch's first record (so that it survives a crash).
    var stepInRecord = false
    /// The records' commitments and read-back verifies, and their totals, as they were appended.
    var commitments: [(commitment: String, verified: Bool)] = []
    var totals = PeriodTotals()

    /// Adds record `index`, written at the end of the batch.
    mutating func add(_ record: DeletionRecord, at index: Int, canonicalJSON: Data) {
        recordEnd = index + 1
        commitments.append((DeletionRecord.commitment(canonicalJSON: canonicalJSON), record.wipeVerified))
        totals.add(record)
    }

    var recordCount: Int { recordEnd - recordStart }
    var isEmpty: Bool { recordCount == 0 && refused.isEmpty }
}
