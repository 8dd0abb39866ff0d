import Foundation
@testable import LetheImaging
import LetheMemory
import Testing

/// The declared size read from JPEG, PNG and WebP headers before libvips runs.
@Suite("Declared image size")
struct DeclaredSizeTests {
    /// Every encoder libvips has for the three formats writes a header this reader understands.
    @Test("matches the size of real encoded files", arguments: [
        (ImageFormat.jpeg, 90), (ImageFormat.png, 100), (ImageFormat.webp, 100), (ImageFormat.webp, 80),
    ])
    func realFiles(format: ImageFormat, quality: Int) throws {
        let (width, height) = (37, 23)
        let pixels = [UInt8](repeating: 128, count: width * height * 3)
        let file = try pixels.withUnsafeBytes { try ImageEncoder.encode($0, width: width, height: height, as: format, quality: quality) }
        let declared = try #require(file.withUnsafeBytes { DeclaredSize.of($0, format: format) })
        #expect(declared.width == width && declared.height == height)
    }

    /// A 30-byte lossless WebP header declaring 16383 × 16383 (libvips alone decoded it, 1.1 GB).
    @Test("a WebP declaring 16383 × 16383 is refused as image_too_large from its header")
    func webpBomb() {
        var file = Array("RIFF".utf8) + [22, 0, 0, 0] + Array("WEBPVP8L".utf8) + [10, 0, 0, 0]
        file += [0x2F, 0xFE, 0xBF, 0xFF, 0x0F] + [UInt8](repeating: 0, count: 5)
        let declared = file.withUnsafeBytes { DeclaredSize.of($0, format: .webp) }
        #expect(declared?.width == 16383 && declared?.height == 16383)
        #expect(refusal(of: file)?.code.rawValue == "image_too_large")
    }

    /// Widths near 2³² multiply past Int64 when squared: the check and its message must not trap.
    @Test("a PNG declaring 4294967295 × 4294967295 is refused, not an overflow trap")
    func pngOverflow() {
        let file = HandMadePNG.signature + [0, 0, 0, 13] + Array("IHDR".utf8) + [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 8, 2, 0, 0, 0]
        let error = refusal(of: file)
        #expect(error?.code.rawValue == "image_too_large")
        #expect(error?.message.contains("4294967295×4294967295") == true)
    }

    /// What the gateway reserves of its decode budget (`DecodeLimits.declaredPixels`).
    @Test("declared pixels are width × height, capped at maxPixels; nil without a readable header")
    func declaredPixels() throws {
        let pixels = [UInt8](repeating: 128, count: 37 * 23 * 3)
        let jpeg = try pixels.withUnsafeBytes { try ImageEncoder.encode($0, width: 37, height: 23, as: .jpeg, quality: 90) }
        #expect(jpeg.withUnsafeBytes { DecodeLimits().declaredPixels($0) } == 37 * 23)
        #expect(jpeg.withUnsafeBytes { DecodeLimits(maxPixels: 100).declaredPixels($0) } == 100)
        // A JPEG cut before its frame header.
        #expect(jpeg.prefix(4).withUnsafeBytes { DecodeLimits().declaredPixels($0) } == nil)
    }

    /// The decoder's refusal of `file`, or nil when it decoded.
    private func refusal(of file: [UInt8]) -> LetheError? {
        let arena = PlaintextArena()
        defer { _ = arena.wipeAll() }
        return file.withUnsafeBytes { bytes in
            do throws(LetheError) {
                _ = try ImageDecoder.decode(bytes, limits: DecodeLimits(), arena: arena)
                return nil
            } catch { return error }
        }
    }
}
