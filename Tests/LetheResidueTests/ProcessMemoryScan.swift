import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A byte pattern that must not survive in the worker's memory.
struct Marker: Sendable, CustomStringConvertible {
    let name: String
    let bytes: [UInt8]
    var description: String { "\(name) (\(bytes.count) bytes)" }
}

/// What a scan of a process's whole memory found.
struct MemoryScanReport: CustomStringConvertible {
    struct Region: CustomStringConvertible {
        let range: String
        let permissions: String
        let path: String
        let reason: String
        var description: String { "\(range) \(permissions) \(path.isEmpty ? "[anonymous]" : path): \(reason)" }
    }

    var regionsRead = 0
    var bytesRead = 0
    var unreadable: [Region] = []
    /// Occurrences per marker name, with the region each was found in.
    var hits: [String: [String]] = [:]

    var totalHits: Int { hits.values.reduce(0) { $0 + $1.count } }

    var description: String {
        var lines = [
            "read \(regionsRead) regions, \(bytesRead / (1 << 20)) MiB; unreadable regions: \(unreadable.count); marker occurrences: \(totalHits)"
        ]
        lines += unreadable.map { "  unreadable: \($0)" }
        for (name, places) in hits.sorted(by: { $0.key < $1.key }) where !places.isEmpty {
            lines.append("  FOUND \(name) ×\(places.count) in: \(Set(places).sorted().joined(separator: ", "))")
        }
        return lines.joined(separator: "\n")
    }
}

/// Reads another process's entire memory through /proc/PID/maps and /proc/PID/mem, the way an
/// attacker with ptrace rights or an auditor would, and searches it for markers.
///
/// Needs ptrace access to the target (root or CAP_SYS_PTRACE: the worker makes itself
/// non-dumpable). Regions that cannot be read are counted and reported, never skipped silently.
enum ProcessMemoryScan {
    static func scan(pid: Int32, for markers: [Marker]) throws -> MemoryScanReport {
        guard let maps = try? String(contentsOfFile: "/proc/\(pid)/maps", encoding: .utf8) else {
            throw HarnessError("cannot read /proc/\(pid)/maps")
        }
        let descriptor = open("/proc/\(pid)/mem", O_RDONLY)
        guard descriptor >= 0 else {
            throw HarnessError("cannot open /proc/\(pid)/mem: \(String(cString: strerror(errno))) (the harness needs root or CAP_SYS_PTRACE)")
        }
        defer { close(descriptor) }

        var report = MemoryScanReport()
        for marker in markers { report.hits[marker.name] = [] }
        let longest = markers.map(\.bytes.count).max() ?? 1
        let chunkSize = 8 << 20
        var buffer = [UInt8](repeating: 0, count: chunkSize + longest)

        for line in maps.split(separator: "\n") {
            let fields = line.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: true)
            guard fields.count >= 5 else { continue }
            let bounds = fields[0].split(separator: "-")
            guard bounds.count == 2, let start = UInt64(bounds[0], radix: 16), let end = UInt64(bounds[1], radix: 16) else { continue }
            let permissions = String(fields[1])
            let path = fields.count == 6 ? fields[5].trimmingCharacters(in: .whitespaces) : ""
            if path == "[vsyscall]" { continue }  // a fixed kernel page, identical in every process

            var offset = start
            var carried = 0
            var failure: String?
            while offset < end {
                let wanted = Int(min(UInt64(chunkSize), end - offset))
                let count = buffer.withUnsafeMutableBytes { bytes in
                    pread(descriptor, bytes.baseAddress! + carried, wanted, off_t(Int64(bitPattern: offset)))
                }
                if count <= 0 {
                    failure = count < 0 ? String(cString: strerror(errno)) : "end of file"
                    break
                }
                let available = carried + count
                buffer.withUnsafeBytes { bytes in
                    for marker in markers {
                        for _ in Search.occurrences(of: marker.bytes, in: UnsafeRawBufferPointer(rebasing: bytes[0..<available])) {
                            report.hits[marker.name, default: []].append(path.isEmpty ? "[anonymous] \(permissions)" : "\(path) \(permissions)")
                        }
                    }
                }
                // Keep the tail so that a marker straddling two chunks is still found (once).
                carried = min(longest - 1, available)
                buffer.withUnsafeMutableBytes { bytes in
                    bytes.baseAddress!.copyMemory(from: bytes.baseAddress! + available - carried, byteCount: carried)
                }
                report.bytesRead += count
                offset += UInt64(count)
            }
            if let failure, offset == start {
                report.unreadable.append(.init(range: String(fields[0]), permissions: permissions, path: path, reason: failure))
            } else if let failure {
                report.unreadable.append(.init(range: String(fields[0]), permissions: permissions, path: path, reason: "partially read: \(failure)"))
                report.regionsRead += 1
            } else {
                report.regionsRead += 1
            }
        }
        return report
    }
}

/// Substring search with glibc's memmem (two-way algorithm), which Swift's Glibc module does not import.
enum Search {
    private typealias MemmemFunction = @convention(c) (UnsafeRawPointer?, Int, UnsafeRawPointer?, Int) -> UnsafeMutableRawPointer?

    private static let memmem: MemmemFunction = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "memmem") else { fatalError("memmem not found") }
        return unsafeBitCast(symbol, to: MemmemFunction.self)
    }()

    /// Offsets of every occurrence of `needle` in `haystack`.
    static func occurrences(of needle: [UInt8], in haystack: UnsafeRawBufferPointer) -> [Int] {
        guard let base = haystack.baseAddress, !needle.isEmpty else { return [] }
        var found: [Int] = []
        var offset = 0
        needle.withUnsafeBytes { pattern in
            while offset + needle.count <= haystack.count,
                  let hit = memmem(base + offset, haystack.count - offset, pattern.baseAddress, needle.count) {
                let position = UnsafeRawPointer(hit) - base
                found.append(position)
                offset = position + 1
            }
        }
        return found
    }
}
