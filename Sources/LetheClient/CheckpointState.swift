import Foundation
import LetheTransparency
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The newest verified checkpoint of each log a device has seen, kept in one small file so that a
/// worker cannot show the device a history that forks from, or rolls back, what it showed before
/// (docs/ledger.md §9, "Clients that verify").
///
/// The file is JSON, `{"format":"lethe-client-checkpoints-v1","logs":{"<origin>":"<signed
/// checkpoint note>"}}`, written atomically (temporary file, fsync, rename). Each note is opened
/// again with the pinned ledger key when it is read, so a file edited on the device is refused
/// (`checkpoint_state_invalid`), never trusted. Read-modify-write is serialised within the
/// process; give each process its own file.
public struct CheckpointState: Sendable {
    /// The state file.
    public let file: URL

    /// Format tag of the file.
    static let format = "lethe-client-checkpoints-v1"
    private static let lock = Mutex<Void>(())

    private struct Contents: Codable {
        var format: String
        var logs: [String: String]
    }

    /// - Parameter file: where the state lives (created on the first checkpoint).
    public init(file: URL) {
        self.file = file
    }

    /// The persisted checkpoint of the log named by `verifier`, signature checked; nil when none.
    public func newest(verifier: NoteVerifier) throws(LetheClientError) -> (checkpoint: Checkpoint, note: String)? {
        guard let note = try read().logs[verifier.name] else { return nil }
        do {
            return (try Checkpoint.open(note, verifier: verifier), note)
        } catch {
            throw LetheClientError.checkpointStateInvalid("the persisted checkpoint of \(verifier.name) does not verify with the pinned ledger key")
        }
    }

    /// Persists `note` as the newest checkpoint of `origin`.
    func store(note: String, origin: String) throws(LetheClientError) {
        try Self.lock.withLock { _ throws(LetheClientError) in
            var contents = try read()
            contents.logs[origin] = note
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            guard let data = try? encoder.encode(contents), Self.replace(file, with: data) else {
                throw LetheClientError.checkpointStateInvalid("the checkpoint state file could not be written")
            }
        }
    }

    private func read() throws(LetheClientError) -> Contents {
        guard let data = FileManager.default.contents(atPath: file.path) else { return Contents(format: Self.format, logs: [:]) }
        guard let contents = try? JSONDecoder().decode(Contents.self, from: data), contents.format == Self.format else {
            throw LetheClientError.checkpointStateInvalid("the checkpoint state file is not \(Self.format)")
        }
        return contents
    }

    /// Temporary file, fsync, rename: a crash leaves the old state or the new one, never half.
    private static func replace(_ file: URL, with data: Data) -> Bool {
        try? FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        let temporary = file.deletingLastPathComponent().appendingPathComponent("." + file.lastPathComponent + ".tmp").path
        unlink(temporary)
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { return false }
        let written = data.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        let synced = fsync(descriptor) == 0
        close(descriptor)
        guard written == data.count, synced else {
            unlink(temporary)
            return false
        }
        return rename(temporary, file.path) == 0
    }
}

extension LetheClientError {
    /// `checkpoint_inconsistent`: the worker showed a checkpoint that is not consistent with the
    /// newest one this device verified before (a fork, or a rollback it cannot prove).
    static func checkpointInconsistent(_ why: String) -> LetheClientError {
        LetheClientError(code: "checkpoint_inconsistent", status: 0, message: why)
    }

    /// `checkpoint_state_invalid`: the persisted checkpoint state cannot be read, verified or written.
    static func checkpointStateInvalid(_ why: String) -> LetheClientError {
        LetheClientError(code: "checkpoint_state_invalid", status: 0, message: why)
    }

    /// `receipt_unbound`: the receipt is for another request than the answer it came with; it
    /// counts as no receipt.
    static func receiptUnbound(_ why: String) -> LetheClientError {
        LetheClientError(code: "receipt_unbound", status: 0, message: why)
    }
}
