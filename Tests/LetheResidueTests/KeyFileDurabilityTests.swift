import Foundation
import LetheTestSupport
import Testing

/// `lethe keys generate` and `lethe keys rotate` make their key file durable, seen from outside
/// with strace (issue 12, point 9): the new file is synced, renamed over the old one, and then
/// the folder is synced, without which a crash can undo the rename.
@Suite("Key file durability", .tags(.needsStrace))
struct KeyFileDurabilityTests {
    /// The system calls of one `lethe` command that touch files: openat, rename*, fsync.
    static func trace(_ arguments: [String], in directory: URL) async throws -> [String] {
        let log = directory.appendingPathComponent("strace.log")
        let result = try await Program.run("/usr/bin/strace",
            ["-f", "-e", "trace=openat,rename,renameat,renameat2,fsync", "-o", log.path, ServerProcess.executable.path] + arguments)
        #expect(result.status == 0, "lethe \(arguments.joined(separator: " ")): \(result.output.suffix(1000))")
        return try String(contentsOf: log, encoding: .utf8).split(separator: "\n").map(String.init)
    }

    /// True when, after the rename onto `file`, the folder holding it is opened and fsynced.
    static func folderSyncedAfterRename(_ calls: [String], file: String) -> Bool {
        guard let renamed = calls.lastIndex(where: { $0.contains("rename") && $0.contains("\"\(file)\"") && $0.hasSuffix("= 0") }) else {
            return false
        }
        let folder = (file as NSString).deletingLastPathComponent
        for (position, call) in calls[(renamed + 1)...].enumerated() where call.contains("openat(") && call.contains("\"\(folder)\"") && call.contains("O_DIRECTORY") {
            guard let descriptor = call.split(separator: "=").last?.trimmingCharacters(in: .whitespaces), Int(descriptor) != nil else { continue }
            if calls[(renamed + 1 + position)...].contains(where: { $0.contains("fsync(\(descriptor))") && $0.hasSuffix("= 0") }) { return true }
        }
        return false
    }

    @Test("generate and rotate fsync the key file's folder after renaming the new file into place")
    func folderIsSyncedAfterRename() async throws {
        guard RequiredTool.installed("/usr/bin/strace") else { return }
        let directory = URL(fileURLWithPath: "/tmp").appendingPathComponent("lethe-keyfile-sync-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let keyFile = directory.appendingPathComponent("ohttp-keys.json").path

        let generated = try await Self.trace(["keys", "generate", "--out", keyFile], in: directory)
        #expect(Self.folderSyncedAfterRename(generated, file: keyFile), "generate: \(generated.filter { $0.contains(directory.path) || $0.contains("fsync") })")

        let rotated = try await Self.trace(["keys", "rotate", "--key-file", keyFile], in: directory)
        #expect(Self.folderSyncedAfterRename(rotated, file: keyFile), "rotate: \(rotated.filter { $0.contains(directory.path) || $0.contains("fsync") })")
        // The rotated file holds the old keys and the new ones.
        let text = try String(contentsOfFile: keyFile, encoding: .utf8)
        #expect(text.contains("lethe-ohttp-keys-v2") && text.components(separatedBy: "\"key_id\"").count - 1 == 4)
    }
}
