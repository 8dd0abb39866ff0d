import Foundation
import LetheMemory

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where a gateway's keys live: one key file, or a directory of them (a Kubernetes Secret
/// mount, where each key of the Secret is a file and an update swaps a `..data` symlink
/// atomically). In a directory every non-hidden `*.json` file is a key file; a key id may
/// appear in only one of them.
public struct OHTTPKeySource: Sendable, CustomStringConvertible {
    /// The key file or key directory.
    public let path: String

    /// A source at `path` (file or directory; which one is decided at each read).
    public init(path: String) {
        self.path = path
    }

    public var description: String { path }

    /// The key files the source consists of right now, sorted by name.
    /// - Throws: `key_file_error` when the path is missing or a directory has no key file.
    public func keyFiles() throws -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw LetheError.keyFile("cannot read key file \(path)")
        }
        guard isDirectory.boolValue else { return [path] }
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: path)
        } catch {
            throw LetheError.keyFile("cannot list key directory \(path)")
        }
        let files = names.filter { !$0.hasPrefix(".") && $0.hasSuffix(".json") }.sorted()
            .map { URL(fileURLWithPath: path).appendingPathComponent($0).path }
            .filter { Self.status(of: $0).map { $0.st_mode & S_IFMT == S_IFREG } ?? false }
        guard !files.isEmpty else { throw LetheError.keyFile("key directory \(path) holds no *.json key file") }
        return files
    }

    /// Identifies the source's current contents without reading them: each file's name, device,
    /// inode, size and modification time, following symlinks. An atomic rename or symlink swap
    /// changes the inode, an edit in place the size or time.
    public func fingerprint() throws -> String {
        try keyFiles().map { file in
            guard let status = Self.status(of: file) else { throw LetheError.keyFile("cannot read key file \(file)") }
            #if canImport(Darwin)
            let modified = status.st_mtimespec  // Apple's name of POSIX's st_mtim
            #else
            let modified = status.st_mtim
            #endif
            return "\(file):\(status.st_dev):\(status.st_ino):\(status.st_size):\(modified.tv_sec).\(modified.tv_nsec)"
        }.joined(separator: "\n")
    }

    /// Reads every key file of the source.
    /// - Throws: what `OHTTPKeyFile.readScheduled` throws, or `key_file_error` when two files
    ///   hold the same key id or no file holds a key.
    public func load() throws -> [OHTTPScheduledKey] {
        var keys: [OHTTPScheduledKey] = []
        var origin: [UInt8: String] = [:]
        for file in try keyFiles() {
            for scheduled in try OHTTPKeyFile.readScheduled(from: file) {
                if let other = origin[scheduled.key.keyID] {
                    throw LetheError.keyFile("key id \(scheduled.key.keyID) appears in both \(other) and \(file)")
                }
                origin[scheduled.key.keyID] = file
                keys.append(scheduled)
            }
        }
        guard !keys.isEmpty else { throw LetheError.keyFile("\(path) holds no key") }
        return keys
    }

    private static func status(of path: String) -> stat? {
        var result = stat()
        return stat(path, &result) == 0 ? result : nil
    }
}
