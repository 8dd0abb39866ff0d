import Foundation
import LetheClient
import LetheEnvelope
import LetheTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// No disk, proven from outside: the real worker runs under `strace -f` through good and bad
/// requests, and no file outside its ledger directory is opened for writing, created, renamed,
/// truncated, linked or removed — /tmp and /dev/shm included.
@Suite("No disk writes outside the ledger", .tags(.needsStrace))
struct NoDiskTests {
    /// Every syscall that can put bytes on disk or change the filesystem by path.
    static let tracedCalls = [
        "open", "openat", "openat2", "creat", "truncate", "rename", "renameat", "renameat2",
        "link", "linkat", "symlink", "symlinkat", "mkdir", "mkdirat", "mknod", "mknodat", "unlink", "unlinkat",
    ]

    @Test("a mixed load of good and bad requests writes only under the ledger directory")
    func onlyTheLedger() async throws {
        guard RequiredTool.installed("/usr/bin/strace") else { return }
        let trace = URL(fileURLWithPath: "/tmp/lethe-strace-\(UUID().uuidString).log")
        defer { try? FileManager.default.removeItem(at: trace) }
        let server = try await ServerProcess(
            arguments: ["--max-pixels", "100000"],
            // --seccomp-bpf: only the traced calls stop the worker. Without it every system call
            // does, and the engines' warm-up under a loaded CI machine took more than a minute.
            wrapper: ["/usr/bin/strace", "-f", "--seccomp-bpf", "-qq", "-o", trace.path, "-e", "trace=" + Self.tracedCalls.joined(separator: ",")])
        defer { server.stop() }

        let client = LetheClient(serverURL: server.baseURL, token: server.token)
        let good = try (0..<3).map { try MarkerPhoto.make(seed: 600 + UInt64($0), width: 256, height: 256, format: $0 == 1 ? .webp : .png) }
        for photo in good { _ = try await client.analyze(photo: photo.file) }
        let bad: [Data] = [
            try MarkerPhoto.make(seed: 610, width: 256, height: 256, truncatedTo: 0.5).file,
            try MarkerPhoto.make(seed: 611, width: 384, height: 384).file,  // over --max-pixels
            Data("not an image at all".utf8),
        ]
        for photo in bad { await #expect(throws: LetheClientError.self) { _ = try await client.analyze(photo: photo) } }
        await #expect(throws: LetheClientError.self) {
            _ = try await LetheClient(serverURL: server.baseURL, token: "wrong").analyze(photo: good[0].file)
        }
        try await server.waitForLedgerEntries(good.count + bad.count + 1)
        server.signal(SIGTERM)
        _ = try await server.waitForExit()

        let ledger = server.ledgerDirectory.standardizedFileURL.path
        let lines = try String(contentsOf: trace, encoding: .utf8).split(separator: "\n").map(String.init)
        let violations = lines.compactMap { Self.violation(in: $0, allowedBeneath: ledger) }
        print("no-disk trace: \(lines.count) filesystem calls traced, \(violations.count) outside \(ledger)")
        #expect(lines.contains { $0.contains(ledger) }, "the trace should show the ledger being written")
        #expect(violations.isEmpty, "writes outside the ledger:\n\(violations.joined(separator: "\n"))")
    }

    /// The traced line if it changes the filesystem outside `allowedBeneath`, else nil.
    static func violation(in line: String, allowedBeneath directory: String) -> String? {
        guard let call = tracedCalls.first(where: { line.contains(" \($0)(") }) else { return nil }
        let opens = ["open", "openat", "openat2"].contains(call)
        if opens {
            let writes = ["O_WRONLY", "O_RDWR", "O_CREAT", "O_TRUNC"].contains { line.contains($0) }
            if !writes { return nil }
        }
        let paths = line.split(separator: "\"").enumerated().filter { $0.offset % 2 == 1 }.map { String($0.element) }
        let outside = paths.filter { !($0 == directory || $0.hasPrefix(directory + "/")) }
        return outside.isEmpty ? nil : line
    }
}
