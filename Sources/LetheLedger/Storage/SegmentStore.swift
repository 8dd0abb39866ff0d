import Foundation
import LetheMemory

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An append-only sequence of lines in segment files `<directory>/<first index>.jsonl`: the
/// private records (`segments/`) and the public log (`log/`) are each one. Lines are written with
/// one `write`; making them durable (`fsync`) is the owner's call, so that the records can share
/// one fsync among concurrent appends (group commit). Segments close at `maxSegmentBytes` or when
/// the UTC day of the lines changes.
struct SegmentStore {
    struct Location: Sendable {
        let segment: Int
        let offset: Int
        let length: Int
    }

    struct OpenSegment {
        let firstIndex: Int
        let descriptor: Int32
        let path: String
        var byteCount: Int
        /// UTC day (`yyyy-mm-dd`) of the segment's first line; a new day starts a new segment.
        var day: String?
    }

    let directory: URL
    let maxSegmentBytes: Int
    /// Lines before this index were removed (retention) or never here.
    private(set) var firstIndex: Int
    private var locations: [Location]
    private(set) var segment: OpenSegment
    /// Bytes of an incomplete last line cut off at open.
    let recoveredBytes: Int

    /// Number of lines, counting removed ones.
    var count: Int { firstIndex + locations.count }

    /// Opens the store, creating the directory (0700) and a first segment starting at `start` when
    /// there is none. An incomplete last line of the last segment (a crash during its write, never
    /// acknowledged) is cut off; anything else out of place throws `ledger_corrupt`.
    /// - Parameters:
    ///   - start: index of the first line kept (retention's cut); nil = the first segment's name.
    ///   - visit: called with each complete line's index and bytes, in order.
    init(directory: URL, maxSegmentBytes: Int, start: Int?, visit: (Int, Data) throws -> Void) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        self.directory = directory
        self.maxSegmentBytes = maxSegmentBytes
        if let start { Self.removeSegments(in: directory, before: start) }
        let segments = Self.segments(in: directory)
        let first = start ?? segments.first?.firstIndex ?? 0
        var next = first
        var locations: [Location] = []
        var recovered = 0
        var lastDay: String?
        for (position, (firstIndex, url)) in segments.enumerated() {
            guard firstIndex == next else {
                throw LetheError(.ledgerCorrupt, "\(directory.lastPathComponent)/\(url.lastPathComponent) should start at #\(next): run 'lethe audit verify'")
            }
            var data = FileManager.default.contents(atPath: url.path) ?? Data()
            let complete = data.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? 0
            if complete < data.count {
                guard position == segments.count - 1 else {
                    throw LetheError(.ledgerCorrupt, "\(directory.lastPathComponent)/\(url.lastPathComponent) ends inside a line: run 'lethe audit verify'")
                }
                recovered = data.count - complete
                try LedgerFile.truncate(url.path, to: complete)
                data = data.prefix(complete)
            }
            var offset = 0
            for line in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).dropLast() {
                try visit(next, Data(line))
                locations.append(Location(segment: firstIndex, offset: offset, length: line.count))
                offset += line.count + 1
                next += 1
            }
            if position == segments.count - 1 { lastDay = Self.day(ofFirstLineIn: data) }
        }
        self.firstIndex = first
        self.locations = locations
        self.recoveredBytes = recovered
        if let last = segments.last {
            segment = try Self.openSegment(in: directory, firstIndex: last.firstIndex, create: false)
            segment.day = lastDay
        } else {
            segment = try Self.openSegment(in: directory, firstIndex: first, create: true)
        }
    }

    /// The UTC day of a segment's first line, from its `wiped_at` (records) or `period` (log).
    static func day(ofFirstLineIn data: Data) -> String? {
        struct Times: Decodable {
            let wipedAt: String?
            let period: String?
            enum CodingKeys: String, CodingKey {
                case period
                case wipedAt = "wiped_at"
            }
        }
        guard let line = data.split(separator: UInt8(ascii: "\n")).first,
            let times = try? JSONDecoder().decode(Times.self, from: Data(line)),
            let time = times.wipedAt ?? times.period
        else { return nil }
        return String(time.prefix(10))
    }

    /// Writes `lines` (each without its newline) with one `write`, after closing the current
    /// segment if it is full or of another day. Not durable until `sync`. On a failed write
    /// the segment is cut back to its last complete line.
    /// - Returns: true when a new segment was started (the previous one was fsynced and closed).
    @discardableResult
    mutating func append(_ lines: [Data], day: String) throws -> Bool {
        var bytes = Data()
        for line in lines {
            bytes.append(line)
            bytes.append(UInt8(ascii: "\n"))
        }
        let rolled = try rollIfNeeded(day: day, adding: bytes.count)
        do {
            try LedgerFile.writeAll(bytes, to: segment.descriptor, path: segment.path)
        } catch {
            _ = ftruncate(segment.descriptor, off_t(segment.byteCount))
            lseek(segment.descriptor, off_t(segment.byteCount), SEEK_SET)
            throw error
        }
        var offset = segment.byteCount
        for line in lines {
            locations.append(Location(segment: segment.firstIndex, offset: offset, length: line.count))
            offset += line.count + 1
        }
        segment.byteCount = offset
        if segment.day == nil { segment.day = day }
        return rolled
    }

    /// fsyncs the open segment (earlier segments were fsynced when they were closed).
    func sync() throws {
        guard fsync(segment.descriptor) == 0 else { throw LedgerFile.failure("fsync", segment.path) }
    }

    private mutating func rollIfNeeded(day: String, adding bytes: Int) throws -> Bool {
        guard segment.byteCount > 0 else { return false }
        let full = segment.byteCount + bytes > maxSegmentBytes
        let newDay = segment.day.map { $0 != day } ?? false
        guard full || newDay else { return false }
        // Everything written so far must be durable before its file is closed.
        try sync()
        let next = try Self.openSegment(in: directory, firstIndex: count, create: true)
        close(segment.descriptor)
        segment = next
        return true
    }

    /// The lines in `range` (not removed ones).
    func lines(_ range: Range<Int>) throws -> [Data] {
        guard range.lowerBound >= firstIndex, range.upperBound <= count else {
            throw LetheError(.proofOutOfRange, "lines \(range) are not in \(directory.lastPathComponent) (\(firstIndex)..<\(count))")
        }
        return try range.map { index in
            let location = locations[index - firstIndex]
            return try LedgerFile.read(segmentFile(firstIndex: location.segment).path, offset: location.offset, length: location.length)
        }
    }

    /// Cuts the store back to its first `newCount` lines, which must all be in the open segment's
    /// part past its start or earlier (used to drop a log batch cut short by a crash).
    mutating func truncate(to newCount: Int) throws {
        guard newCount < count else { return }
        guard newCount >= segment.firstIndex else {
            throw LetheError(.ledgerCorrupt, "cannot cut \(directory.lastPathComponent) back to #\(newCount) across segments: run 'lethe audit verify'")
        }
        let byteCount = newCount == segment.firstIndex ? 0 : locations[newCount - 1 - firstIndex].offset + locations[newCount - 1 - firstIndex].length + 1
        guard ftruncate(segment.descriptor, off_t(byteCount)) == 0, fsync(segment.descriptor) == 0 else {
            throw LedgerFile.failure("truncate", segment.path)
        }
        lseek(segment.descriptor, off_t(byteCount), SEEK_SET)
        locations.removeLast(count - newCount)
        segment.byteCount = byteCount
    }

    func segmentFile(firstIndex: Int) -> URL {
        directory.appendingPathComponent(LedgerLayout.paddedName(firstIndex) + ".jsonl")
    }

    /// Segment files as (first line index, url), ascending; unparsable names get index -1.
    static func segments(in directory: URL) -> [(firstIndex: Int, url: URL)] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { $0.hasSuffix(".jsonl") }.sorted().map { name in
            (Int(name.dropLast(6)) ?? -1, directory.appendingPathComponent(name))
        }
    }

    /// Closed segments (all but the open one) with the index after their last line.
    func closedSegments() -> [(firstIndex: Int, end: Int, url: URL)] {
        let closed = Self.segments(in: directory).filter { $0.firstIndex >= firstIndex && $0.firstIndex < segment.firstIndex }
        return closed.enumerated().map { position, file in
            (file.firstIndex, position + 1 < closed.count ? closed[position + 1].firstIndex : segment.firstIndex, file.url)
        }
    }

    /// Removes the closed segments that end at or before `cut`; lines before `cut` are gone.
    mutating func removeSegments(before cut: Int) throws {
        guard cut > firstIndex, cut <= segment.firstIndex else { return }
        for file in closedSegments() where file.end <= cut { unlink(file.url.path) }
        try LedgerFile.syncDirectory(containing: segmentFile(firstIndex: 0).path)
        locations.removeFirst(cut - firstIndex)
        firstIndex = cut
    }

    /// Finishes a removal a crash interrupted: segments entirely before `cut` go.
    static func removeSegments(in directory: URL, before cut: Int) {
        let segments = segments(in: directory)
        for (position, file) in segments.enumerated() where position + 1 < segments.count && segments[position + 1].firstIndex <= cut && file.firstIndex < cut {
            unlink(file.url.path)
        }
    }

    static func openSegment(in directory: URL, firstIndex: Int, create: Bool) throws -> OpenSegment {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let path = directory.appendingPathComponent(LedgerLayout.paddedName(firstIndex) + ".jsonl").path
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC | (create ? O_EXCL : 0), 0o600)
        guard descriptor >= 0 else { throw LedgerFile.failure("open", path) }
        let size = Int(lseek(descriptor, 0, SEEK_END))
        if create { try LedgerFile.syncDirectory(containing: path) }
        return OpenSegment(firstIndex: firstIndex, descriptor: descriptor, path: path, byteCount: size, day: nil)
    }

    /// Closes the open segment's file.
    func closeFile() {
        close(segment.descriptor)
    }
}
