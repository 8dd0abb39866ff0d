import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The append-only file of deletion records in the ledger directory: one canonical-JSON line per
/// request, each fsynced before `append` returns.
///
/// A crash can lose at most the entry being written; on the next start an incomplete last line is
/// cut off (and reported in `recoveredBytes`), never the entries before it.
public actor DeletionLedger {
    /// File name of the entries inside the ledger directory.
    public static let entriesFileName = "deletions.jsonl"

    /// The ledger directory.
    public nonisolated let directory: URL
    /// Pseudonymises device ids with the ledger's own HMAC key.
    public nonisolated let pseudonymizer: DevicePseudonymizer
    /// Bytes of an incomplete trailing entry removed when the ledger was opened (0 normally).
    public nonisolated let recoveredBytes: Int

    private let descriptor: Int32
    private let path: String
    private var nextSequence: Int

    /// Opens (creating if needed, mode 0700) the ledger in `directory`.
    public init(directory: URL) throws {
        try FileManager.default.createDirectory(
            at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        self.directory = directory
        self.path = directory.appendingPathComponent(Self.entriesFileName).path
        self.pseudonymizer = try DevicePseudonymizer.loadOrCreate(in: directory)

        let existing = FileManager.default.contents(atPath: path) ?? Data()
        let completeLength = existing.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? 0
        let created = !FileManager.default.fileExists(atPath: path)
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw LedgerFile.failure("open", path) }
        if completeLength < existing.count {
            guard ftruncate(descriptor, off_t(completeLength)) == 0, fsync(descriptor) == 0 else {
                close(descriptor)
                throw LedgerFile.failure("truncate incomplete entry in", path)
            }
        }
        lseek(descriptor, 0, SEEK_END)
        if created { try LedgerFile.syncDirectory(containing: path) }
        self.descriptor = descriptor
        self.recoveredBytes = existing.count - completeLength
        self.nextSequence = existing.prefix(completeLength).reduce(0) { $1 == UInt8(ascii: "\n") ? $0 + 1 : $0 }
    }

    deinit {
        close(descriptor)
    }

    /// Number of entries in the ledger.
    public var count: Int { nextSequence }

    /// Assigns the next sequence number, appends the record as one line and fsyncs it.
    /// - Returns: the record as written.
    @discardableResult
    public func append(_ record: DeletionRecord) throws -> DeletionRecord {
        var entry = record
        entry.sequence = nextSequence
        var line = try entry.canonicalJSON()
        line.append(UInt8(ascii: "\n"))
        try LedgerFile.writeAll(line, to: descriptor, path: path)
        guard fsync(descriptor) == 0 else { throw LedgerFile.failure("fsync", path) }
        nextSequence += 1
        return entry
    }

    /// Reads every complete entry of the ledger in `directory`.
    public static func readEntries(in directory: URL) throws -> [DeletionRecord] {
        let path = directory.appendingPathComponent(entriesFileName).path
        guard let data = FileManager.default.contents(atPath: path) else { return [] }
        let decoder = JSONDecoder()
        return try data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true).map {
            try decoder.decode(DeletionRecord.self, from: Data($0))
        }
    }
}
