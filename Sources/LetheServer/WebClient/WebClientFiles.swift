import Foundation
import LetheMemory

/// The browser client's files (`Clients/web`), read once at start: requests are answered from
/// memory by exact name, so no request path ever reaches the filesystem (no traversal to refuse
/// at run time, nothing the confinement has to allow later).
struct WebClientFiles: Sendable {
    /// One servable file.
    struct File: Sendable {
        let contentType: String
        let bytes: [UInt8]
    }

    /// Media types by extension; files of other types in the directory are not served.
    static let contentTypes = [
        "html": "text/html; charset=utf-8", "js": "text/javascript; charset=utf-8", "css": "text/css; charset=utf-8",
        "png": "image/png", "svg": "image/svg+xml", "json": "application/json",
    ]

    let files: [String: File]

    /// Reads the directory's regular files with a known extension (not recursive, no hidden files).
    /// - Throws: `web_client_unreadable` when the directory or a file cannot be read or there is
    ///   no `index.html`, so a misconfigured worker does not start.
    init(directory: String) throws(LetheError) {
        let url = URL(fileURLWithPath: directory, isDirectory: true)
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: url.path) else {
            throw .webClientUnreadable("cannot list the web client directory \(directory)")
        }
        var files: [String: File] = [:]
        for name in names where Self.isServableName(name) {
            let file = url.appendingPathComponent(name)
            guard (try? file.resourceValues(forKeys: [.isRegularFileKey]))?.isRegularFile == true,
                  let type = Self.contentTypes[file.pathExtension.lowercased()] else { continue }
            guard let bytes = FileManager.default.contents(atPath: file.path) else {
                throw .webClientUnreadable("cannot read \(name) in the web client directory \(directory)")
            }
            files[name] = File(contentType: type, bytes: Array(bytes))
        }
        guard files["index.html"] != nil else {
            throw .webClientUnreadable("the web client directory \(directory) has no index.html")
        }
        self.files = files
    }

    /// A plain file name: letters, digits, `-`, `_`, one or more dots not leading; never a path.
    static func isServableName(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 100 && !name.hasPrefix(".") && !name.contains("..")
            && name.unicodeScalars.allSatisfy { CharacterSet.alphanumerics.contains($0) && $0.isASCII || "-_.".unicodeScalars.contains($0) }
    }

    /// The file served for a request name, nil when there is none (or the name is not a plain name).
    func file(named name: String) -> File? {
        Self.isServableName(name) ? files[name] : nil
    }
}
