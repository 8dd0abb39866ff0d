import Foundation
@testable import LetheImaging
import LetheMemory
import Testing

/// The scan limit against files crafted the way libjpeg tolerates (issue 12, point 7): bytes
/// libjpeg skips with a warning between segments must not hide scans from the count.
///
/// Each variant is built from the 160-scan progressive JPEG in Fuzz/regressions by inserting
/// bytes between its segments, so its true scan count is known: 160. That libjpeg really reads
/// the variant to its end is shown by decoding it with a limit that lets 160 scans through.
@Suite("JPEG scan counting as libjpeg finds markers")
struct JPEGScanCountTests {
    /// A JPEG split into SOI, then each marker segment; a scan's segment includes its
    /// entropy-coded data (up to the next marker that is neither `FF 00` nor RSTn).
    struct Segments {
        var parts: [[UInt8]]

        init(_ bytes: [UInt8]) {
            parts = [Array(bytes[0..<2])]
            var index = 2
            while index + 1 < bytes.count {
                precondition(bytes[index] == 0xFF, "the fixture is well formed")
                let marker = bytes[index + 1]
                if marker == 0xD9 {
                    parts.append([0xFF, 0xD9])
                    break
                }
                var end = index + 2 + (Int(bytes[index + 2]) << 8 | Int(bytes[index + 3]))
                if marker == 0xDA {
                    while !(bytes[end] == 0xFF && bytes[end + 1] != 0x00 && !(0xD0...0xD7).contains(bytes[end + 1])) { end += 1 }
                }
                parts.append(Array(bytes[index..<end]))
                index = end
            }
        }

        /// SOI and the first segment (so that the file still starts `FF D8 FF`, which the sniffer
        /// wants), then `insert` before each of the next `count` segments (all when nil).
        func interleaved(count: Int? = nil, _ insert: [UInt8]) -> [UInt8] {
            var bytes = parts[0] + parts[1]
            for (position, part) in parts.dropFirst(2).enumerated() {
                if position < (count ?? .max) { bytes += insert }
                bytes += part
            }
            return bytes
        }
    }

    static let fixture = (try? HostileInputRegressionTests.bytes("decode-analyse/progressive-160-scans.jpg")) ?? []

    static func count(_ bytes: [UInt8], limit: Int = 1000) -> Int {
        bytes.withUnsafeBytes { JPEGScanCount.scans(in: $0, stoppingAfter: limit) }
    }

    /// Variants libjpeg decodes to the end, named for the test log. libjpeg warns once per run of
    /// skipped bytes and libvips gives up at the 100th warning, so the garbage goes before 40
    /// segments: the worst case decodes every scan (more warnings stop libjpeg sooner).
    static let tolerated: [(String, @Sendable ([UInt8]) -> [UInt8])] = [
        // Issue 12: a 5-byte COM segment and one stray byte after it hid every scan.
        ("a 5-byte COM segment and one stray byte", { bytes in
            let parts = Segments(bytes).parts
            return parts[0] + [0xFF, 0xFE, 0x00, 0x03, 0x41, 0x00] + parts.dropFirst().flatMap { $0 }
        }),
        ("17 stray bytes before 40 segments", { Segments($0).interleaved(count: 40, Array(repeating: 0x5A, count: 17)) }),
        ("stray bytes after every scan's entropy-coded data", { bytes in
            let parts = Segments(bytes).parts
            return parts[0] + parts.dropFirst().flatMap { $0.starts(with: [0xFF, 0xDA]) ? $0 + [0x00, 0x12, 0x34] : $0 }
        }),
        ("fill bytes (FF FF FF) before every marker", { Segments($0).interleaved([0xFF, 0xFF, 0xFF]) }),
        ("stuffed zeros (FF 00) before 40 segments", { Segments($0).interleaved(count: 40, [0xFF, 0x00, 0x07, 0xFF, 0xFF, 0x00]) }),
        ("RSTn and TEM markers before every segment", { Segments($0).interleaved([0xFF, 0xD5, 0xFF, 0x01, 0xFF, 0xD0]) }),
        ("APP15 segments with lengths 0 and 1 before every segment", { Segments($0).interleaved([0xFF, 0xEF, 0x00, 0x00, 0xFF, 0xEF, 0x00, 0x01]) }),
        ("COM segments of length 2 followed by garbage before 40 segments", { Segments($0).interleaved(count: 40, [0xFF, 0xFE, 0x00, 0x02, 0x99, 0x98]) }),
    ]

    @Test("the fixture splits into its 160 scans", .enabled(if: !fixture.isEmpty))
    func fixtureIsWhatItSays() {
        let segments = Segments(Self.fixture)
        #expect(segments.parts.filter { $0.starts(with: [0xFF, 0xDA]) }.count == 160)
        #expect(segments.parts.flatMap { $0 } == Self.fixture)
        #expect(Self.count(Self.fixture) == 160)
    }

    @Test("bytes libjpeg skips with a warning do not hide scans", arguments: 0..<tolerated.count)
    func toleratedVariants(variant: Int) throws {
        let (name, make) = Self.tolerated[variant]
        let file = make(Self.fixture)
        #expect(file != Self.fixture, "\(name)")
        #expect(Self.count(file) == 160, "\(name): counted \(Self.count(file))")
        let arena = PlaintextArena()
        defer { #expect(arena.wipeAll().verified) }
        #expect(throws: imagingError("image_too_complex")) {
            _ = try ImageDecoder.decode(file, arena: arena)
        }
        // libjpeg reads this variant as a JPEG (it only warns): with room for 160 scans it decodes.
        let image = try ImageDecoder.decode(file, limits: DecodeLimits(maxJPEGScans: 160), arena: arena)
        #expect(image.width == 1024 && image.height == 768, "\(name)")
    }

    @Test("markers libjpeg refuses are counted past, not stopped at")
    func refusedMarkersDoNotStopTheCount() {
        let segments = Segments(Self.fixture)
        // Reserved 0x02 (jpeg_resync_to_restart discards it inside a scan with restarts) and a second SOI.
        #expect(Self.count(segments.interleaved([0xFF, 0x02])) == 160)
        #expect(Self.count(segments.interleaved([0xFF, 0xD8])) == 160)
        // Garbage before every segment: libvips stops at the 100th warning, the count does not.
        #expect(Self.count(segments.interleaved([0x5A])) == 160)
    }

    @Test("entropy-coded data: FF 00 and FF FF 00 are data, RSTn is passed, any other marker ends it")
    func entropyCodedData() {
        let sos: [UInt8] = [0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3F, 0x00]
        // FF DA hidden behind stuffing is not a marker; FF FF 00 is one data byte (jdhuff.c).
        let data: [UInt8] = [0x12, 0xFF, 0x00, 0xDA, 0xFF, 0xFF, 0x00, 0xDA, 0xFF, 0xD3, 0x56]
        let stream: [UInt8] = [0xFF, 0xD8] + sos + data + sos + data + [0xFF, 0xD9] + sos
        #expect(Self.count(stream) == 2)
        // Without EOI the count runs to the end of the data.
        #expect(Self.count(Array(stream.dropLast(sos.count + 2)) + sos) == 3)
        // The limit stops the count one past it.
        #expect(Self.count([0xFF, 0xD8] + Array([[UInt8]](repeating: sos, count: 50).joined()), limit: 9) == 10)
        // Not a JPEG (libjpeg's first_marker wants FF D8 at offset 0).
        #expect(Self.count([0x00, 0xFF, 0xD8] + sos) == 0)
        // A length field cut off by the end of the data.
        #expect(Self.count([0xFF, 0xD8, 0xFF, 0xDA, 0x00]) == 0)
    }
}
