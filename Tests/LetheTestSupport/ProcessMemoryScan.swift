import Foundation
import LetheMemory

#if canImport(Glibc)
import Glibc
#endif

/// A byte pattern that must not survive in the worker's memory.
///
/// A marker proves something only if it carries information: a window of a mostly-empty PNG is a
/// periodic deflate pattern that every such image encodes the same way, so finding it says
/// nothing about this photo. Markers are therefore made with `informative(in:length:name:)`.
public struct Marker: Sendable, CustomStringConvertible {
    public let name: String
    public let bytes: [UInt8]
    public var description: String { "\(name) (\(bytes.count) bytes)" }

    public init(name: String, bytes: [UInt8]) {
        self.name = name
        self.bytes = bytes
    }
    /// The layout the marker stands for: its name up to `#` (e.g. `lab L* plane`).
    public var kind: String { String(name.prefix { $0 != "#" }) }

    /// Whether `window` could only have come from the data it was taken from: many distinct byte
    /// values and no repetition inside it (no 6-byte sequence occurs twice, which rules out every
    /// period shorter than the window and runs of one value).
    public static func isInformative(_ window: some Collection<UInt8>) -> Bool {
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
    public static func informative(in source: some Collection<UInt8>, length: Int, name: String) throws -> Marker {
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

extension Marker {
    /// Information of `window` in bits: log2 of the number of distinct arrangements of its bytes
    /// (n! / Π countᵥ!), i.e. what choosing which pixels are set, among all windows with the same
    /// counts, tells. Exact for a random placement; a window made of a few long runs is judged by
    /// `isPeriodic` as well.
    public static func informationBits(_ window: [UInt8]) -> Double {
        var counts = [Int](repeating: 0, count: 256)
        for byte in window { counts[Int(byte)] += 1 }
        let logFactorial = { (n: Int) in lgamma(Double(n) + 1) / log(2) }
        return counts.reduce(logFactorial(window.count)) { $0 - logFactorial($1) }
    }

    /// Whether `window` repeats itself with some period up to half its length.
    public static func isPeriodic(_ window: [UInt8]) -> Bool {
        guard window.count >= 2 else { return true }
        return (1...(window.count / 2)).contains { period in (period..<window.count).allSatisfy { window[$0] == window[$0 - period] } }
    }

    /// A marker for a mask (few distinct values, e.g. 0/1 per pixel), which `informative` would
    /// refuse for its small alphabet: `window` must carry at least `minimumBits` of information,
    /// not be periodic, and occur only once in `source`. With 64 bits or more, a chance match of
    /// one window anywhere in a worker's few hundred MiB is below 10⁻¹⁰.
    public static func sparse(_ window: [UInt8], in source: SecureBuffer, name: String, minimumBits: Double = 64) throws -> Marker {
        let bits = informationBits(window)
        guard bits >= minimumBits else {
            throw HarnessError("\(name): \(window.count) bytes carry \(Int(bits)) bits, fewer than \(Int(minimumBits))")
        }
        guard !isPeriodic(window) else { throw HarnessError("\(name): the window is periodic") }
        let occurrences = source.withUnsafeBytes { Search.occurrences(of: window, in: $0).count }
        guard occurrences == 1 else { throw HarnessError("\(name): the window occurs \(occurrences) times in its buffer") }
        return Marker(name: name, bytes: window)
    }
}

/// What a scan of a process's whole memory found.
public struct MemoryScanReport: Sendable, CustomStringConvertible {
    public struct Region: Sendable, CustomStringConvertible {
        public let range: String
        public let permissions: String
        public let path: String
        public let reason: String
        public var description: String { "\(range) \(permissions) \(path.isEmpty ? "[anonymous]" : path): \(reason)" }
    }

    /// The processes scanned: the worker and every descendant.
    public var processes: [Int32] = []
    public var regionsRead = 0
    public var bytesRead = 0
    /// Regions that could not be read and are not the kernel's own (`[vvar]`, guard pages):
    /// `scan` throws when there are any.
    public var unreadable: [Region] = []
    /// Kernel regions that cannot be read by design (not counted as failures).
    public var kernelRegionsSkipped = 0
    /// Regions that were unmapped between listing and reading them (the process freed them).
    public var regionsVanished = 0
    /// Wall-clock time of the scan.
    public var seconds = 0.0
    /// Occurrences per marker name, with the region each was found in.
    public var hits: [String: [String]] = [:]

    public var totalHits: Int { hits.values.reduce(0) { $0 + $1.count } }

    public var description: String {
        var lines = [
            "processes \(processes), read \(regionsRead) regions, \(bytesRead / (1 << 20)) MiB in \(String(format: "%.1f", seconds)) s; "
                + "unreadable regions: \(unreadable.count) (kernel's own skipped: \(kernelRegionsSkipped), unmapped meanwhile: \(regionsVanished)); "
                + "marker occurrences: \(totalHits)"
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
public enum ProcessMemoryScan {
    /// Scans `pid` and every process descended from it (a worker's helpers, once it has any),
    /// and throws when a region that is not the kernel's own cannot be read: a scan that could
    /// not look everywhere proves nothing.
    /// - Parameter includeDescendants: false scans `pid` alone (a test process, whose children
    ///   are other tests' workers).
    /// The scan reads for seconds, so it runs off Swift concurrency's pool (`offThePool`).
    public static func scan(pid: Int32, for markers: [Marker], includeDescendants: Bool = true) async throws -> MemoryScanReport {
        try await offThePool { try scanBlocking(pid: pid, for: markers, includeDescendants: includeDescendants) }
    }

    private static func scanBlocking(pid: Int32, for markers: [Marker], includeDescendants: Bool) throws -> MemoryScanReport {
        let started = Date()
        var report = MemoryScanReport()
        for marker in markers { report.hits[marker.name] = [] }
        for process in includeDescendants ? try processTree(of: pid) : [pid] {
            // A descendant that exited since it was listed holds no memory any more; the root must be there.
            if process != pid, !FileManager.default.fileExists(atPath: "/proc/\(process)/maps") { continue }
            try scan(process: process, for: markers, into: &report)
            report.processes.append(process)
        }
        report.seconds = Date().timeIntervalSince(started)
        guard report.unreadable.isEmpty else {
            throw HarnessError("the scan could not read every region:\n\(report)")
        }
        return report
    }

    /// `pid` and its descendants, from the parent pid field of every /proc/N/stat.
    public static func processTree(of pid: Int32) throws -> [Int32] {
        var children: [Int32: [Int32]] = [:]
        for entry in try FileManager.default.contentsOfDirectory(atPath: "/proc") {
            guard let process = Int32(entry), let stat = try? ProcFile.read("/proc/\(entry)/stat"),
                  let close = stat.lastIndex(of: ")") else { continue }
            // "pid (comm) state ppid …": comm may hold spaces and parentheses, so read after the last ')'.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 1, let parent = Int32(fields[1]) else { continue }
            children[parent, default: []].append(process)
        }
        var tree = [pid]
        var index = 0
        while index < tree.count {
            tree += (children[tree[index]] ?? []).sorted()
            index += 1
        }
        return tree
    }

    /// Regions the kernel makes unreadable by design: the vDSO data pages and guard pages
    /// (`---p`, e.g. below each thread stack and between malloc heaps).
    public static func isKernelUnreadable(path: String, permissions: String) -> Bool {
        ["[vvar]", "[vvar_vclock]", "[vsyscall]"].contains(path) || permissions.hasPrefix("---")
    }

    private static func scan(process pid: Int32, for markers: [Marker], into report: inout MemoryScanReport) throws {
        let maps = try ProcFile.read("/proc/\(pid)/maps")
        let descriptor = open("/proc/\(pid)/mem", O_RDONLY)
        guard descriptor >= 0 else {
            throw HarnessError("cannot open /proc/\(pid)/mem: \(String(cString: strerror(errno))) (the harness needs root or CAP_SYS_PTRACE)")
        }
        defer { close(descriptor) }

        var failed: [MemoryScanReport.Region] = []
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
            if isKernelUnreadable(path: path, permissions: permissions) {
                report.kernelRegionsSkipped += 1
                continue
            }

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
                            report.hits[marker.name, default: []].append(
                                "pid \(pid) " + (path.isEmpty ? "[anonymous] \(permissions)" : "\(path) \(permissions)"))
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
                failed.append(.init(range: String(fields[0]), permissions: permissions, path: path, reason: "pid \(pid): \(failure)"))
            } else if let failure {
                failed.append(.init(range: String(fields[0]), permissions: permissions, path: path, reason: "pid \(pid): partially read: \(failure)"))
                report.regionsRead += 1
            } else {
                report.regionsRead += 1
            }
        }
        guard !failed.isEmpty else { return }
        // A region the process unmapped while we read it is gone, not hidden: only a region that
        // is still mapped, with the same bounds, and could not be read makes the scan fail.
        let current = Set(try ProcFile.read("/proc/\(pid)/maps").split(separator: "\n").map { String($0.prefix { $0 != " " }) })
        for region in failed {
            if current.contains(region.range) { report.unreadable.append(region) } else { report.regionsVanished += 1 }
        }
    }
}

extension ProcessMemoryScan {
    /// Searches only the unused part of every thread's stack: from the start of the mapping that
    /// holds the thread's stack pointer up to that pointer. Data there belongs to frames that have
    /// returned; what a codec left in them is found here even when it carries little information
    /// on its own (a mostly-empty mask's deflate stream), because nothing else on a worker thread's
    /// stack produces it.
    /// Off Swift concurrency's pool, as `scan`.
    public static func scanUnusedStacks(pid: Int32, for markers: [Marker]) async throws -> MemoryScanReport {
        try await offThePool { try scanUnusedStacksBlocking(pid: pid, for: markers) }
    }

    private static func scanUnusedStacksBlocking(pid: Int32, for markers: [Marker]) throws -> MemoryScanReport {
        var report = MemoryScanReport()
        for process in try processTree(of: pid) {
            let part = try unusedStacks(pid: process, for: markers)
            report.processes.append(process)
            report.regionsRead += part.regionsRead
            report.bytesRead += part.bytesRead
            report.unreadable += part.unreadable
            report.hits.merge(part.hits) { $0 + $1 }
        }
        return report
    }

    private static func unusedStacks(pid: Int32, for markers: [Marker]) throws -> MemoryScanReport {
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
public enum ProcFile {
    public static func read(_ path: String) throws -> String {
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
public enum Search {
    private typealias MemmemFunction = @convention(c) (UnsafeRawPointer?, Int, UnsafeRawPointer?, Int) -> UnsafeMutableRawPointer?

    private static let memmem: MemmemFunction = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "memmem") else { fatalError("memmem not found") }
        return unsafeBitCast(symbol, to: MemmemFunction.self)
    }()

    /// Offsets of every occurrence of `needle` in `haystack`.
    public static func occurrences(of needle: [UInt8], in haystack: UnsafeRawBufferPointer) -> [Int] {
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
