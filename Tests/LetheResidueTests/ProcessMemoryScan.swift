import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A byte pattern that must not survive in the worker's memory.
///
/// A marker proves something only if it carries information: a window of a mostly-empty PNG is a
/// periodic deflate pattern that every such image encodes the same way, so finding it says
/// nothing about this photo. Markers are therefore made with `informative(in:length:name:)`.
struct Marker: Sendable, CustomStringConvertible {
    let name: String
    let bytes: [UInt8]
    var description: String { "\(name) (\(bytes.count) bytes)" }

    /// Whether `window` could only have come from the data it was taken from: many distinct byte
    /// values and no repetition inside it (no 6-byte sequence occurs twice, which rules out every
    /// period shorter than the window and runs of one value).
    static func isInformative(_ window: some Collection<UInt8>) -> Bool {
        let bytes = Array(window)
        guard bytes.count >= 16, Set(bytes).count >= bytes.count / 3 else { return false }
        var seen = Set<UInt64>()
        for start in 0...(bytes.count - 6) {
            var gram: UInt64 = 0
            for byte in bytes[start..<(start + 6)] { gram = gram << 8 | UInt64(byte) }
            guard seen.insert(gram).inserted else { return false }
        }
        return true
    }

    /// The informative window of `length` bytes nearest the middle of `source` that occurs in it
    /// only once. Throws when `source` has none: a test must not search for a pattern that
    /// proves nothing.
    static func informative(in source: some Collection<UInt8>, length: Int, name: String) throws -> Marker {
        let bytes = Array(source)
        guard bytes.count >= length else { throw HarnessError("\(name): \(bytes.count) bytes hold no \(length)-byte marker") }
        let middle = (bytes.count - length) / 2
        for distance in 0...max(middle, bytes.count - length - middle) {
            for start in Set([middle - distance, middle + distance]) where start >= 0 && start + length <= bytes.count {
                let window = Array(bytes[start..<(start + length)])
                guard isInformative(window) else { continue }
                let unique = bytes.withUnsafeBytes { Search.occurrences(of: window, in: $0).count == 1 }
                if unique { return Marker(name: name, bytes: window) }
            }
        }
        throw HarnessError("\(name): no informative \(length)-byte window in \(bytes.count) bytes")
    }
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
        let maps = try ProcFile.read("/proc/\(pid)/maps")
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

extension ProcessMemoryScan {
    /// Searches only the unused part of every thread's stack: from the start of the mapping that
    /// holds the thread's stack pointer up to that pointer. Data there belongs to frames that have
    /// returned; what a codec left in them is found here even when it carries little information
    /// on its own (a mostly-empty mask's deflate stream), because nothing else on a worker thread's
    /// stack produces it.
    static func scanUnusedStacks(pid: Int32, for markers: [Marker]) throws -> MemoryScanReport {
        let maps = try ProcFile.read("/proc/\(pid)/maps")
        let regions: [(start: UInt64, end: UInt64)] = maps.split(separator: "\n").compactMap { line in
            let bounds = line.prefix(while: { $0 != " " }).split(separator: "-")
            guard bounds.count == 2, let start = UInt64(bounds[0], radix: 16), let end = UInt64(bounds[1], radix: 16) else { return nil }
            return (start, end)
        }
        let descriptor = open("/proc/\(pid)/mem", O_RDONLY)
        guard descriptor >= 0 else { throw HarnessError("cannot open /proc/\(pid)/mem (the harness needs root or CAP_SYS_PTRACE)") }
        defer { close(descriptor) }

        var report = MemoryScanReport()
        for marker in markers { report.hits[marker.name] = [] }
        let threads = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        for thread in threads {
            // "NR args… SP PC" while blocked in a system call, "-1 SP PC" otherwise, "running" on a CPU.
            let fields = ((try? ProcFile.read("/proc/\(pid)/task/\(thread)/syscall")) ?? "")
                .split(whereSeparator: \.isWhitespace)
            let name = ((try? ProcFile.read("/proc/\(pid)/task/\(thread)/comm")) ?? "?")
                .trimmingCharacters(in: .whitespacesAndNewlines)
            guard fields.count >= 3, let stackPointer = UInt64(fields[fields.count - 2].dropFirst(2), radix: 16),
                  let region = regions.first(where: { $0.start <= stackPointer && stackPointer < $0.end }) else {
                report.unreadable.append(.init(range: "thread \(thread)", permissions: "", path: name, reason: "stack pointer unknown (\(fields.joined(separator: " ")))"))
                continue
            }
            var unused = [UInt8](repeating: 0, count: Int(stackPointer - region.start))
            let count = unused.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress!, $0.count, off_t(Int64(bitPattern: region.start))) }
            guard count == unused.count else {
                report.unreadable.append(.init(range: "thread \(thread)", permissions: "", path: name, reason: "short read of its stack"))
                continue
            }
            report.regionsRead += 1
            report.bytesRead += count
            unused.withUnsafeBytes { bytes in
                for marker in markers {
                    for _ in Search.occurrences(of: marker.bytes, in: bytes) {
                        report.hits[marker.name, default: []].append("unused stack of thread \(thread) (\(name))")
                    }
                }
            }
        }
        return report
    }
}

/// Reads a /proc file whole. Foundation's `String(contentsOfFile:)` trusts the size that stat
/// reports (0 for /proc files) and stops after its first read: of a worker's /proc/PID/maps (800
/// lines, 90 KB) it returned the first 47 mappings, so the scan never saw thread stacks, most
/// malloc arenas or the libraries' data. Read until end of file instead.
enum ProcFile {
    static func read(_ path: String) throws -> String {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { throw HarnessError("cannot open \(path): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        var contents: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            guard count >= 0 else { throw HarnessError("cannot read \(path): \(String(cString: strerror(errno)))") }
            if count == 0 { break }
            contents += chunk[0..<count]
        }
        return String(decoding: contents, as: UTF8.self)
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
