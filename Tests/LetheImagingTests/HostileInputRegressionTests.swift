import Foundation
import LetheTestSupport
@testable import LetheImaging
import LetheMemory
import Testing

/// Inputs that fuzzing (scripts/fuzz) or the hostile corpus (scripts/hostile-corpus) found to
/// misbehave, kept as files under Fuzz/regressions/ and replayed on every `swift test`.
@Suite("Hostile input regressions")
struct HostileInputRegressionTests {
    static let regressions = Repository.root
        .appendingPathComponent("Fuzz/regressions")

    /// The codes the decoder may answer a hostile file with (README error table).
    static let stableCodes: Set<String> = [
        "empty_body", "payload_too_large", "unsupported_media_type", "image_too_large", "image_too_complex",
        "image_corrupt", "imaging_unavailable",
    ]

    static func bytes(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: regressions.appendingPathComponent(name)))
    }

    @Test("a progressive JPEG repeating its AC scans 150 times is refused before libjpeg walks it 160 times")
    func manyScansAreRefused() throws {
        let file = try Self.bytes("decode-analyse/progressive-160-scans.jpg")
        let arena = PlaintextArena()
        defer { #expect(arena.wipeAll().verified) }
        #expect(file.withUnsafeBytes { JPEGScanCount.scans(in: $0, stoppingAfter: 1000) } == 160)
        #expect(throws: imagingError("image_too_complex")) {
            _ = try ImageDecoder.decode(file, arena: arena)
        }
        // The same bytes decode when the limit allows them: the scan count, not damage, refused it.
        let image = try ImageDecoder.decode(file, limits: DecodeLimits(maxJPEGScans: 200), arena: arena)
        #expect(image.width == 1024 && image.height == 768)
    }

    @Test("scan counting follows segment lengths, byte stuffing, restart markers and fill bytes")
    func scanCountingFollowsTheSyntax() {
        // SOS header for one component, then entropy data holding FF 00 (stuffing) and FF D3 (RST3).
        let sos: [UInt8] = [0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3F, 0x00, 0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD3, 0x56]
        // A COM segment whose payload looks like an SOS marker must not count.
        let comment: [UInt8] = [0xFF, 0xFE, 0x00, 0x06, 0xFF, 0xDA, 0xFF, 0xDA]
        let stream: [UInt8] = [0xFF, 0xD8] + comment + sos + [0xFF, 0xFF] + sos + sos + [0xFF, 0xD9] + sos
        #expect(stream.withUnsafeBytes { JPEGScanCount.scans(in: $0, stoppingAfter: 100) } == 3)
        #expect(stream.withUnsafeBytes { JPEGScanCount.scans(in: $0, stoppingAfter: 1) } == 2)
        // A length of 0 or 1 skips nothing past the length field (libjpeg's skip_variable): the
        // scan after it still counts.
        let broken: [UInt8] = [0xFF, 0xD8] + sos + [0xFF, 0xE1, 0x00, 0x01] + sos
        #expect(broken.withUnsafeBytes { JPEGScanCount.scans(in: $0, stoppingAfter: 100) } == 2)
    }

    @Test("every committed finding decodes or is refused with a stable code, and the arena wipes")
    func committedFindings() throws {
        let directory = Self.regressions.appendingPathComponent("decode-analyse")
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        #expect(!names.isEmpty)
        for name in names {
            let arena = PlaintextArena()
            let file = try Self.bytes("decode-analyse/\(name)")
            do throws(LetheError) {
                let image = try ImageDecoder.decode(file, arena: arena)
                #expect(image.width > 0 && image.height > 0, "\(name)")
            } catch {
                #expect(Self.stableCodes.contains(error.code.rawValue), "\(name): \(error.code)")
            }
            #expect(arena.wipeAll().verified, "\(name)")
        }
    }
}
