import Crypto
import Foundation
import LetheMemory

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The deletion ledger: an append-only transparency log of deletion records. Entries are
/// canonical-JSON lines in segment files, each fsynced before `append` returns; their RFC 9162
/// Merkle tree is kept in memory; signed C2SP checkpoints commit to it (see `LedgerLayout`).
///
/// A crash can lose at most the entry being written; on the next start an incomplete last line is
/// cut off (and reported in `recoveredBytes`), never the entries before it, and the tree continues.
public actor DeletionLedger {
    /// Legacy single-file name (migrated into `segments/` on open).
    public static let entriesFileName = LedgerLayout.legacyEntriesFileName

    /// The ledger directory.
    public nonisolated let directory: URL
    /// File layout inside `directory`.
    public nonisolated let layout: LedgerLayout
    /// Pseudonymises device ids with the ledger's own HMAC key.
    public nonisolated let pseudonymizer: DevicePseudonymizer
    /// Bytes of an incomplete trailing entry removed when the ledger was opened (0 normally).
    public nonisolated let recoveredBytes: Int
    /// Signs checkpoints and receipts; its name is the log's origin.
    public nonisolated let signer: NoteSigner
    /// The log's origin (the signing key's name).
    public nonisolated var origin: String { signer.name }
    /// The C2SP verifier key auditors and devices use.
    public nonisolated var verifierKey: String { signer.verifier.verifierKey }
    public nonisolated let configuration: LedgerConfiguration

    var tree: MerkleTree
    /// Where each entry's line lives: segment first index, byte offset, length (without newline).
    var locations: [EntryLocation]
    var segment: OpenSegment
    /// The latest signed checkpoint note and its size.
    var latestCheckpoint: (size: Int, note: String)?
    /// When the oldest entry not yet covered by a checkpoint was appended.
    var uncoveredSince: ContinuousClock.Instant?
    /// `wiped_at` of the newest entry, so that timestamps never go backwards in ledger order.
    private var newestWipedAt: String?
    /// Entries 0..<removedSize were removed by retention.
    var removedSize: Int

    struct EntryLocation: Sendable {
        let segment: Int
        let offset: Int
        let length: Int
    }

    struct OpenSegment {
        let firstIndex: Int
        let descriptor: Int32
        let path: String
        var byteCount: Int
        /// UTC day (`yyyy-mm-dd`) of the segment's first entry; a new day starts a new segment.
        var day: String?
    }

    /// Opens (creating if needed, mode 0700) the ledger in `directory`.
    public init(directory: URL, configuration: LedgerConfiguration = .init()) throws {
        try FileManager.default.createDirectory(
            at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let layout = LedgerLayout(directory: directory)
        self.directory = directory
        self.layout = layout
        self.configuration = configuration
        self.pseudonymizer = try DevicePseudonymizer.loadOrCreate(in: directory)
        self.signer = try Self.loadOrCreateSigner(layout: layout, configuration: configuration)
        try Self.migrateLegacyFile(layout)

        // Removed prefix (retention), then every segment in order.
        var tree = MerkleTree()
        if let data = FileManager.default.contents(atPath: layout.prunedFile.path) {
            let pruned = try JSONDecoder().decode(PrunedPrefix.self, from: data)
            tree = try MerkleTree(prunedSize: pruned.size, compactRange: pruned.compactRange.compactMap { Data(base64Encoded: $0) })
            Self.removeSegmentsBeforeCut(layout, cut: pruned.size)
        }
        var locations = Array(repeating: EntryLocation(segment: -1, offset: 0, length: 0), count: tree.size)
        var recovered = 0
        let segments = layout.segments()
        var lastDay: String?
        for (position, (firstIndex, url)) in segments.enumerated() {
            guard firstIndex == tree.size else {
                throw LetheError(.ledgerCorrupt, "\(url.lastPathComponent) should start at entry \(tree.size): run 'lethe audit verify'")
            }
            var data = FileManager.default.contents(atPath: url.path) ?? Data()
            let complete = data.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? 0
            if complete < data.count {
                guard position == segments.count - 1 else {
                    throw LetheError(.ledgerCorrupt, "\(url.lastPathComponent) ends inside an entry: run 'lethe audit verify'")
                }
                recovered = data.count - complete
                try LedgerFile.truncate(url.path, to: complete)
                data = data.prefix(complete)
            }
            var offset = 0
            for line in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).dropLast() {
                tree.append(leafHash: MerkleHash.leaf(line))
                locations.append(EntryLocation(segment: firstIndex, offset: offset, length: line.count))
                offset += line.count + 1
            }
            if position == segments.count - 1, let firstLine = data.split(separator: UInt8(ascii: "\n")).first,
                let first = try? JSONDecoder().decode(DeletionRecord.self, from: Data(firstLine)) {
                lastDay = String(first.wipedAt.prefix(10))
            }
        }
        self.tree = tree
        self.removedSize = tree.prunedSize
        self.locations = locations
        self.recoveredBytes = recovered

        // Continue the last segment, or start the first.
        if let last = segments.last {
            segment = try Self.openSegment(layout: layout, firstIndex: last.firstIndex, create: false)
            segment.day = lastDay
        } else {
            segment = try Self.openSegment(layout: layout, firstIndex: tree.size, create: true)
        }

        // The latest checkpoint must describe a prefix of what is on disk.
        try FileManager.default.createDirectory(at: layout.checkpointsDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        if let newest = layout.checkpoints().last(where: { $0.size >= 0 }),
            let text = try? String(contentsOf: newest.url, encoding: .utf8) {
            let checkpoint = try Checkpoint.open(text, verifier: signer.verifier)
            guard checkpoint.size <= tree.size else {
                throw LetheError(.ledgerCorrupt, "checkpoint \(checkpoint.size) covers entries that are missing (log has \(tree.size)): run 'lethe audit verify'")
            }
            guard checkpoint.size < tree.prunedSize || checkpoint.rootHash == tree.root(size: checkpoint.size) else {
                throw LetheError(.ledgerCorrupt, "entries differ from checkpoint \(checkpoint.size): run 'lethe audit verify'")
            }
            latestCheckpoint = (checkpoint.size, text)
        }
        if tree.size > (latestCheckpoint?.size ?? 0) { uncoveredSince = .now }
    }

    deinit {
        close(segment.descriptor)
    }

    /// Number of entries in the ledger (including removed ones).
    public var count: Int { tree.size }

    /// Assigns the next sequence number, appends the record as one line and fsyncs it.
    /// - Returns: the record as written.
    @discardableResult
    public func append(_ record: DeletionRecord) throws -> DeletionRecord {
        try appendWithReceipt(record).entry
    }

    /// Appends and fsyncs the record, then signs its receipt.
    /// - Returns: the record as written and its signed receipt note.
    public func appendWithReceipt(_ record: DeletionRecord) throws -> (entry: DeletionRecord, receipt: String) {
        var entry = record
        entry.sequence = tree.size
        // Concurrent requests take their wipe time before they queue here, so a later entry can
        // carry an earlier time. Raising it to the newest one keeps the ledger's time order and
        // still states a true bound ("wiped no later than").
        if newestWipedAt == nil, tree.size > removedSize,
            let newest = try? entryBytes((tree.size - 1)..<tree.size).first {
            newestWipedAt = try? JSONDecoder().decode(DeletionRecord.self, from: newest).wipedAt
        }
        if let newestWipedAt, entry.wipedAt < newestWipedAt { entry.wipedAt = newestWipedAt }
        let json = try entry.canonicalJSON()
        try rollSegmentIfNeeded(day: String(entry.wipedAt.prefix(10)), adding: json.count + 1)
        var line = json
        line.append(UInt8(ascii: "\n"))
        do {
            try LedgerFile.writeAll(line, to: segment.descriptor, path: segment.path)
            guard fsync(segment.descriptor) == 0 else { throw LedgerFile.failure("fsync", segment.path) }
        } catch {
            // Never leave half a line before the next entry: cut back to the last complete one.
            _ = ftruncate(segment.descriptor, off_t(segment.byteCount))
            lseek(segment.descriptor, off_t(segment.byteCount), SEEK_SET)
            throw error
        }
        let leaf = MerkleHash.leaf(json)
        tree.append(leafHash: leaf)
        locations.append(EntryLocation(segment: segment.firstIndex, offset: segment.byteCount, length: json.count))
        segment.byteCount += line.count
        if segment.day == nil { segment.day = String(entry.wipedAt.prefix(10)) }
        if uncoveredSince == nil { uncoveredSince = .now }
        newestWipedAt = entry.wipedAt
        let receipt = try DeletionReceipt(origin: origin, entry: entry, leafHash: leaf).signed(by: signer)
        return (entry, receipt)
    }

    private func rollSegmentIfNeeded(day: String, adding bytes: Int) throws {
        guard segment.byteCount > 0 else { return }
        let full = segment.byteCount + bytes > configuration.maxSegmentBytes
        let newDay = segment.day.map { $0 != day } ?? false
        guard full || newDay else { return }
        let next = try Self.openSegment(layout: layout, firstIndex: tree.size, create: true)
        close(segment.descriptor)
        segment = next
        // Retention must never cost a request its record: a failure here leaves old segments in
        // place, and the checkpoint service retries (and logs) at the next start.
        _ = try? applyRetention()
    }

    static func openSegment(layout: LedgerLayout, firstIndex: Int, create: Bool) throws -> OpenSegment {
        try FileManager.default.createDirectory(at: layout.segmentsDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let path = layout.segmentFile(firstIndex: firstIndex).path
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC | (create ? O_EXCL : 0), 0o600)
        guard descriptor >= 0 else { throw LedgerFile.failure("open", path) }
        let size = Int(lseek(descriptor, 0, SEEK_END))
        if create { try LedgerFile.syncDirectory(containing: path) }
        return OpenSegment(firstIndex: firstIndex, descriptor: descriptor, path: path, byteCount: size, day: nil)
    }

    static func migrateLegacyFile(_ layout: LedgerLayout) throws {
        let legacy = layout.legacyEntriesFile.path
        guard FileManager.default.fileExists(atPath: legacy), layout.segments().isEmpty else { return }
        try FileManager.default.createDirectory(at: layout.segmentsDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let target = layout.segmentFile(firstIndex: 0).path
        guard rename(legacy, target) == 0 else { throw LedgerFile.failure("move legacy ledger to", target) }
        try LedgerFile.syncDirectory(containing: target)
        try LedgerFile.syncDirectory(containing: legacy)
    }

    static func loadOrCreateSigner(layout: LedgerLayout, configuration: LedgerConfiguration) throws -> NoteSigner {
        let path = configuration.signingKeyFile ?? layout.signingKeyFile.path
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

    /// `lethe.local/<hostname>-<8 random hex digits>`: unique per replica, fixed by the key file.
    static func defaultOrigin() -> String {
        let host = ProcessInfo.processInfo.hostName.filter { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == ".") }
        let random = String(format: "%08x", UInt32.random(in: .min ... .max))
        return "lethe.local/\(host.isEmpty ? "worker" : String(host.prefix(40)))-\(random)"
    }

    /// Reads every complete entry of the ledger in `directory` (legacy file or segments).
    public static func readEntries(in directory: URL) throws -> [DeletionRecord] {
        let layout = LedgerLayout(directory: directory)
        let files = FileManager.default.fileExists(atPath: layout.legacyEntriesFile.path) && layout.segments().isEmpty
            ? [layout.legacyEntriesFile] : layout.segments().map(\.url)
        let decoder = JSONDecoder()
        return try files.flatMap { url -> [DeletionRecord] in
            let data = FileManager.default.contents(atPath: url.path) ?? Data()
            let complete = data.prefix(data.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? 0)
            return try complete.split(separator: UInt8(ascii: "\n")).map { try decoder.decode(DeletionRecord.self, from: Data($0)) }
        }
    }
}
