import CLetheSystem
import Foundation
import LetheMemory
@testable import LetheLedger
import LetheTestSupport
import Testing

/// The log and the records find a line from an anchor every 256 lines (docs/ledger.md §6), not
/// from a location kept per line: memory must not grow with the lines, and every line must read
/// back exactly, across segment files and after a cut.
@Suite("Segment store: lines found from sparse anchors")
struct SegmentStoreTests {
    static func line(_ index: Int) -> Data {
        Data("{\"n\":\(index),\"pad\":\"\(String(repeating: "x", count: index % 37))\"}".utf8)
    }

    @Test("a million lines over many segments in bounded memory; random ranges, a cut and a reopen read back exactly; measured in a process of their own")
    func millionLines() async throws {
        // The allocator's figures are the whole process's: the lines are appended alone in a
        // child (`MeasuredAlone`), where no other suite allocates during a window.
        try await MeasuredAlone.expectPassing("millionLinesAlone", printing: "segment store alone:")
    }

    /// The test itself, only in the child (`millionLines`).
    @Test("a million lines, alone", .enabled(if: MeasuredAlone.isChild(running: "millionLinesAlone")))
    func millionLinesAlone() throws {
        let directory = URL(fileURLWithPath: "/tmp").appendingPathComponent("lethe-segments-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        // 4 MiB segments: about a dozen files, so that blocks end at segment boundaries too.
        var store = try SegmentStore(directory: directory, maxSegmentBytes: 4 << 20, start: nil) { _, _ in }
        let count = 1_100_000
        let chunk = 1000
        func append(_ range: Range<Int>) throws {
            for start in stride(from: range.lowerBound, to: range.upperBound, by: chunk) {
                try store.append((start..<min(start + chunk, range.upperBound)).map(Self.line), day: "2026-12-02")
            }
        }
        try append(0..<10_000)
        // Three windows; the smallest growth counts. A location per line (24 bytes) in an array that doubles its
        // capacity grew by at least 6 MB in each: every window crosses a doubling (at 262,144,
        // 524,288 and 1,048,576 lines).
        var growths: [Int] = []
        for window in [10_000..<270_000, 270_000..<530_000, 530_000..<count] {
            let baseline = Int(lethe_allocated_bytes())
            try append(window)
            growths.append(Int(lethe_allocated_bytes()) - baseline)
        }
        print("segment store alone: allocated bytes grew by \(growths) over three windows")
        #expect(growths.min()! < 4 << 20, "allocated bytes grew by \(growths) over three windows")
        #expect(store.count == count)
        #expect(SegmentStore.segments(in: directory).count > 8)

        var generator = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            let start = Int.random(in: 0..<count, using: &generator)
            let end = min(count, start + Int.random(in: 1...600, using: &generator))
            #expect(try store.lines(start..<end) == (start..<end).map(Self.line), "lines \(start)..<\(end)")
        }
        // Cut back inside the open segment and continue: the same lines again.
        try store.truncate(to: count - 300)
        #expect(store.count == count - 300)
        try append((count - 300)..<count)
        #expect(try store.lines((count - 700)..<count) == ((count - 700)..<count).map(Self.line))
        store.closeFile()

        var seen = 0
        let reopened = try SegmentStore(directory: directory, maxSegmentBytes: 4 << 20, start: nil) { index, line in
            if index % 99_991 == 0 { #expect(line == Self.line(index)) }
            seen += 1
        }
        defer { reopened.closeFile() }
        #expect(seen == count && reopened.count == count)
        for start in [0, 255, 256, 257, count / 2, count - 1] {
            #expect(try reopened.lines(start..<(start + 1)) == [Self.line(start)])
        }
        #expect(throws: LetheError.self) { try reopened.lines((count - 1)..<(count + 1)) }
    }
}
