import Foundation
@testable import LetheImaging
import LetheMemory
import Testing

@Suite("JPEG compression from the quantisation table")
struct JPEGQuantisationTests {
    static func encoded(quality: Int) throws -> [UInt8] {
        let pixels = TestImages.gradient(width: 96, height: 64, noise: 20)
        return try pixels.withUnsafeBytes { try ImageEncoder.encode($0, width: 96, height: 64, as: .jpeg, quality: quality) }
    }

    @Test("libvips' JPEGs read their quality back within 1 from 20 to 95 (below, entries clip at 255 and it reads higher); a decoded JPEG carries it, a PNG none")
    func readsTheQualityBack() throws {
        for quality in [20, 30, 35, 40, 50, 75, 90, 95] {
            let bytes = try Self.encoded(quality: quality)
            let estimate = try #require(bytes.withUnsafeBytes { JPEGQuantisation.equivalentQuality(in: $0) })
            #expect(abs(estimate - Double(quality)) <= 1, "quality \(quality): read \(estimate)")
        }
        let low = try #require(try Self.encoded(quality: 5).withUnsafeBytes { JPEGQuantisation.equivalentQuality(in: $0) })
        #expect(low < 20)
        let arena = PlaintextArena()
        defer { _ = arena.wipeAll() }
        let decoded = try ImageDecoder.decode(try Self.encoded(quality: 50), arena: arena)
        #expect(abs((decoded.equivalentJPEGQuality ?? 0) - 50) <= 1)
        let png = try TestImages.gradient(width: 96, height: 64).withUnsafeBytes { try ImageEncoder.encode($0, width: 96, height: 64, as: .png, quality: 100) }
        #expect(try ImageDecoder.decode(png, arena: arena).equivalentJPEGQuality == nil)
    }

    @Test("a hand-made table: 16-bit entries at twice Annex K's read as quality 25; none before the scan, a truncated table or not a JPEG read nil")
    func handMadeTables() {
        func read(_ bytes: [UInt8]) -> Double? { bytes.withUnsafeBytes { JPEGQuantisation.equivalentQuality(in: $0) } }
        let doubled = JPEGQuantisation.standardLuminance.flatMap { value -> [UInt8] in [UInt8((2 * value) >> 8), UInt8((2 * value) & 0xFF)] }
        let dqt: [UInt8] = [0xFF, 0xDB, 0x00, 0x83, 0x10] + doubled  // length 2 + 1 + 128
        #expect(read([0xFF, 0xD8] + dqt + [0xFF, 0xD9]) == 25)
        #expect(read([0xFF, 0xD8, 0xFF, 0xDA, 0x00, 0x02] + dqt) == nil)
        #expect(read([0xFF, 0xD8] + dqt.prefix(40)) == nil)
        #expect(read(Array("%PDF-1.7".utf8)) == nil)
    }
}
