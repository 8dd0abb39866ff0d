import Foundation
import LetheMemory

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Durable file primitives for the ledger: every write is complete and fsynced before it counts.
enum LedgerFile {
    /// Creates `path` exclusively with mode 0600, writes `data`, fsyncs file and directory.
    static func writeNew(_ data: Data, to path: String) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw failure("create", path) }
        defer { close(descriptor) }
        try writeAll(data, to: descriptor, path: path)
        guard fsync(descriptor) == 0 else { throw failure("fsync", path) }
        try syncDirectory(containing: path)
    }

    /// Writes every byte of `data` at the descriptor's position.
    static func writeAll(_ data: Data, to descriptor: Int32, path: String) throws {
        try data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) in
            var offset = 0
            while offset < bytes.count {
                let written = write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    throw failure("write", path)
                }
                offset += written
            }
        }
    }

    /// fsyncs the directory holding `path`, so that a newly created entry survives a crash.
    static func syncDirectory(containing path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        let descriptor = open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw failure("open directory", directory) }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw failure("fsync directory", directory) }
    }

    static func failure(_ operation: String, _ path: String) -> LetheError {
        LetheError(.ledgerUnwritable, "\(operation) \(path): \(String(cString: strerror(errno)))")
    }
}

extension LedgerFile {
    /// Cuts `path` to `length` bytes and fsyncs it.
    static func truncate(_ path: String, to length: Int) throws {
        let descriptor = open(path, O_RDWR | O_CLOEXEC)
        guard descriptor >= 0 else { throw failure("open", path) }
        defer { close(descriptor) }
        guard ftruncate(descriptor, off_t(length)) == 0, fsync(descriptor) == 0 else {
            throw failure("truncate incomplete entry in", path)
        }
    }

    /// Writes `data` to `path` atomically: a temporary file, fsync, rename, directory fsync.
    static func replace(_ path: String, with data: Data) throws {
        let temporary = (path as NSString).deletingLastPathComponent + "/." + (path as NSString).lastPathComponent + ".tmp"
        unlink(temporary)
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw failure("create", temporary) }
        do {
            try writeAll(data, to: descriptor, path: temporary)
            guard fsync(descriptor) == 0 else { throw failure("fsync", temporary) }
            close(descriptor)
        } catch {
            close(descriptor)
            throw error
        }
        guard rename(temporary, path) == 0 else { throw failure("rename", path) }
        try syncDirectory(containing: path)
    }

    /// Reads `length` bytes at `offset` of `path`.
    static func read(_ path: String, offset: Int, length: Int) throws -> Data {
        if length == 0 { return Data() }
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw failure("open", path) }
        defer { close(descriptor) }
        var data = Data(count: length)
        let got = data.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress!, length, off_t(offset)) }
        guard got == length else { throw failure("read", path) }
        return data
    }
}
