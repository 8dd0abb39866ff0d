import Foundation
import LetheTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The scan itself: it must look everywhere it claims to, and say so when it cannot.
@Suite("Process memory scan", .tags(.needsRoot, .needsPtrace))
struct ProcessMemoryScanTests {
    @Test("a region that cannot be read (a file mapping past the file's end) fails the scan, with its reason")
    func unreadableRegionFails() async throws {
        let directory = URL(fileURLWithPath: "/tmp").appendingPathComponent("lethe-scan-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("truncated-mapping").path
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let descriptor = open(path, O_RDWR | O_CREAT, 0o600)
        try #require(descriptor >= 0)
        defer { close(descriptor) }
        try #require(ftruncate(descriptor, off_t(2 * page)) == 0)
        let mapping = mmap(nil, 2 * page, PROT_READ, MAP_SHARED, descriptor, 0)
        try #require(mapping != MAP_FAILED)
        defer { munmap(mapping, 2 * page) }
        // Past the file's end a mapped page cannot be read (SIGBUS for the process, EIO for /proc/PID/mem).
        try #require(ftruncate(descriptor, 0) == 0)

        let marker = Marker(name: "absent", bytes: Array("no such bytes anywhere, 0123456789abcdef".utf8))
        let error = try await #require(throws: HarnessError.self) { try await ProcessMemoryScan.scan(pid: getpid(), for: [marker], includeDescendants: false) }
        #expect(error.description.contains(path), "\(error.description.prefix(2000))")
        #expect(error.description.contains(String(cString: strerror(EIO))))
    }

    @Test("the kernel's own unreadable regions are the only ones skipped")
    func kernelRegions() {
        #expect(ProcessMemoryScan.isKernelUnreadable(path: "[vvar]", permissions: "r--p"))
        #expect(ProcessMemoryScan.isKernelUnreadable(path: "[vvar_vclock]", permissions: "r--p"))
        #expect(ProcessMemoryScan.isKernelUnreadable(path: "", permissions: "---p"))
        #expect(!ProcessMemoryScan.isKernelUnreadable(path: "", permissions: "rw-p"))
        #expect(!ProcessMemoryScan.isKernelUnreadable(path: "[heap]", permissions: "rw-p"))
        #expect(!ProcessMemoryScan.isKernelUnreadable(path: "/usr/lib/x86_64-linux-gnu/libvips.so.42", permissions: "r--p"))
    }

    @Test("the scan covers every process under the given one: a marker held only by a child is found")
    func childProcessesAreScanned() async throws {
        var random = SeededGenerator(seed: 77)
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".utf8)
        let secret = (0..<48).map { _ in alphabet[Int(random.next() % UInt64(alphabet.count))] }
        let marker = try Marker.informative(in: secret, length: 48, name: "child secret")

        // The parent shell never reads its input; the child reads the secret from it, says so, and
        // waits for end of input. `; exit 0` keeps the parent from exec-ing into the child.
        let parent = Process()
        parent.executableURL = URL(fileURLWithPath: "/bin/sh")
        parent.arguments = ["-c", "/bin/sh -c 'read secret; echo read; read rest'; exit 0"]
        let input = Pipe(), output = Pipe()
        parent.standardInput = input
        parent.standardOutput = output
        try parent.run()
        defer {
            try? input.fileHandleForWriting.close()
            if parent.isRunning { parent.terminate() }
            parent.waitUntilExit()
        }
        try input.fileHandleForWriting.write(contentsOf: Data(secret + [UInt8(ascii: "\n")]))
        // The event: the child has read the line (its acknowledgement arrives).
        let acknowledgement = try InterruptSafeRead.some(output.fileHandleForReading) ?? Data()
        #expect(String(decoding: acknowledgement, as: UTF8.self).hasPrefix("read"))

        let tree = try ProcessMemoryScan.processTree(of: parent.processIdentifier)
        #expect(tree.count == 2, "\(tree)")
        let report = try await ProcessMemoryScan.scan(pid: parent.processIdentifier, for: [marker])
        #expect(report.processes == tree)
        let places = report.hits[marker.name] ?? []
        #expect(!places.isEmpty, "\(report)")
        #expect(places.allSatisfy { $0.hasPrefix("pid \(tree[1]) ") }, "found outside the child: \(places)")
    }
}
