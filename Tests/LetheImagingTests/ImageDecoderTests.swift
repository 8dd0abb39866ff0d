import Foundation
import LetheImaging
import LetheMemory
import LetheTestSupport
import Testing

@Suite("Decoding untrusted bytes")
struct ImageDecoderTests {
    // MARK: Round trips

    @Test("lossless PNG round trip gives the exact pixels")
    func pngRoundTripIsExact() throws {
        let original = TestImages.gradient(width: 67, height: 41, noise: 30)
        let encoded = try original.withUnsafeBytes { try ImageEncoder.encode($0, width: 67, height: 41, as: .png) }
        let arena = PlaintextArena()
        let image = try ImageDecoder.decode(encoded, arena: arena)
        #expect(image.width == 67 && image.height == 41 && image.format == .png)
        #expect(image.pixelArray == original)
        let report = arena.wipeAll()
        #expect(report.verified)
        #expect(image.pixels.isWiped)
        #expect(report.bytesByClass[BufferClass.pixels.rawValue] == 67 * 41 * 3)
    }

    @Test("lossless WebP (quality 100) round trip gives the exact pixels")
    func webpLosslessRoundTripIsExact() throws {
        let original = TestImages.gradient(width: 50, height: 30, noise: 10)
        let encoded = try original.withUnsafeBytes { try ImageEncoder.encode($0, width: 50, height: 30, as: .webp, quality: 100) }
        #expect(encoded.withUnsafeBytes { ImageFormat.sniff($0) } == .webp)
        let arena = PlaintextArena()
        let image = try ImageDecoder.decode(encoded, arena: arena)
        #expect(image.format == .webp)
        #expect(image.pixelArray == original)
        #expect(arena.wipeAll().verified)
    }

    @Test("lossy round trips stay close to the original", arguments: [ImageFormat.jpeg, .webp])
    func lossyRoundTripIsClose(format: ImageFormat) throws {
        let width = 96, height = 64
        let original = TestImages.gradient(width: width, height: height)
        let encoded = try original.withUnsafeBytes { try ImageEncoder.encode($0, width: width, height: height, as: format, quality: 95) }
        #expect(encoded.withUnsafeBytes { ImageFormat.sniff($0) } == format)
        let arena = PlaintextArena()
        let image = try ImageDecoder.decode(encoded, arena: arena)
        #expect(image.width == width && image.height == height && image.format == format)
        let decoded = image.pixelArray
        let meanAbsoluteError = zip(original, decoded).reduce(0.0) { $0 + abs(Double($1.0) - Double($1.1)) } / Double(original.count)
        #expect(meanAbsoluteError < 2.5, "mean absolute error \(meanAbsoluteError)")
        #expect(arena.wipeAll().verified)
    }

    /// A HEIF encoding of a small gradient, or the error of a libvips built without an HEVC
    /// encoder (Debian's libheif has none unless libheif-plugin-x265 is installed).
    static let heifEncoding: Result<[UInt8], LetheError> = {
        let original = TestImages.gradient(width: 64, height: 64)
        do {
            return .success(try original.withUnsafeBytes { try ImageEncoder.encode($0, width: 64, height: 64, as: .heif, quality: 90) })
        } catch let error as LetheError {
            return .failure(error)
        } catch {
            return .failure(LetheError(.internalError, "\(type(of: error))"))
        }
    }()
    static var heifEncodes: Bool { (try? heifEncoding.get()) != nil }

    /// Not run (and reported as skipped, with this reason) when the encoder is missing.
    @Test("HEIF round trip", .enabled(if: heifEncodes, "this libvips cannot encode HEIF (no HEVC encoder): the round trip did not run"))
    func heifRoundTrip() throws {
        let width = 64, height = 64
        let original = TestImages.gradient(width: width, height: height)
        let encoded = try Self.heifEncoding.get()
        #expect(encoded.withUnsafeBytes { ImageFormat.sniff($0) } == .heif)
        let arena = PlaintextArena()
        let image = try ImageDecoder.decode(encoded, arena: arena)
        #expect(image.width == width && image.height == height && image.format == .heif)
        let meanAbsoluteError = zip(original, image.pixelArray).reduce(0.0) { $0 + abs(Double($1.0) - Double($1.1)) } / Double(original.count)
        #expect(meanAbsoluteError < 4, "mean absolute error \(meanAbsoluteError)")
        #expect(arena.wipeAll().verified)
    }

    @Test("without an HEIF encoder, encoding says so with imaging_unavailable", .enabled(if: !heifEncodes, "this libvips encodes HEIF: the round trip ran instead"))
    func heifUnavailableSaysSo() {
        #expect(throws: LetheError.self) { try Self.heifEncoding.get() }
        if case .failure(let error) = Self.heifEncoding { #expect(error.code.rawValue == "imaging_unavailable") }
    }

    @Test("the astronaut fixture decodes to 512×512")
    func fixtureDecodes() throws {
        let data = try Data(contentsOf: Repository.fixture("astronaut.png"))
        let arena = PlaintextArena()
        let image = try data.withUnsafeBytes { try ImageDecoder.decode($0, limits: DecodeLimits(), arena: arena) }
        #expect(image.width == 512 && image.height == 512 && image.format == .png)
        #expect(image.pixels.count == 512 * 512 * 3)
        let report = arena.wipeAll()
        #expect(report.verified && image.pixels.isWiped && arena.bytesHeld == 0)
    }

    // MARK: Rejections

    @Test("empty body")
    func emptyBody() {
        let arena = PlaintextArena()
        #expect(throws: LetheError.emptyBody) { try ImageDecoder.decode([], arena: arena) }
    }

    @Test("random bytes are not a supported image")
    func randomBytes() {
        var generator = SeededGenerator(seed: 7)
        var bytes = (0..<4096).map { _ in UInt8.random(in: 0...255, using: &generator) }
        bytes[0] = 0x00  // no signature starts with 0x00
        let arena = PlaintextArena()
        #expect(throws: LetheError.unsupportedMediaType) { try ImageDecoder.decode(bytes, arena: arena) }
    }

    @Test("over maxBytes is rejected before sniffing")
    func payloadTooLarge() throws {
        let encoded = try TestImages.gradient(width: 32, height: 32, noise: 40)
            .withUnsafeBytes { try ImageEncoder.encode($0, width: 32, height: 32, as: .png) }
        let arena = PlaintextArena()
        let error = #expect(throws: LetheError.self) {
            try ImageDecoder.decode(encoded, limits: DecodeLimits(maxBytes: encoded.count - 1), arena: arena)
        }
        #expect(error?.code.rawValue == "payload_too_large")
        #expect(error?.message.contains("\(encoded.count - 1)") == true)
        // Exactly at the limit is fine.
        _ = try ImageDecoder.decode(encoded, limits: DecodeLimits(maxBytes: encoded.count), arena: arena)
        #expect(arena.wipeAll().verified)
    }

    @Test("a truncated JPEG is corrupt")
    func truncatedJPEG() throws {
        let original = TestImages.gradient(width: 256, height: 256, noise: 20)
        let encoded = try original.withUnsafeBytes { try ImageEncoder.encode($0, width: 256, height: 256, as: .jpeg) }
        let half = Array(encoded.prefix(encoded.count / 2))
        let arena = PlaintextArena()
        let error = #expect(throws: LetheError.self) { try ImageDecoder.decode(half, arena: arena) }
        #expect(error?.code.rawValue == "image_corrupt")
        // The pixel buffer allocated for the failed decode is released (wiped) at once.
        #expect(arena.bytesHeld == 0)
        #expect(arena.wipeAll().verified)
    }

    @Test("a truncated PNG is corrupt")
    func truncatedPNG() throws {
        let original = TestImages.gradient(width: 128, height: 128, noise: 60)
        let encoded = try original.withUnsafeBytes { try ImageEncoder.encode($0, width: 128, height: 128, as: .png) }
        let arena = PlaintextArena()
        let error = #expect(throws: LetheError.self) { try ImageDecoder.decode(Array(encoded.prefix(encoded.count * 2 / 3)), arena: arena) }
        #expect(error?.code.rawValue == "image_corrupt")
    }

    @Test("a bit flip inside PNG pixel data is corrupt (CRC mismatch)")
    func bitFlippedPNG() throws {
        let original = TestImages.gradient(width: 64, height: 64, noise: 60)
        var encoded = try original.withUnsafeBytes { try ImageEncoder.encode($0, width: 64, height: 64, as: .png) }
        encoded[encoded.count - 40] ^= 0x10  // inside the last IDAT chunk
        let arena = PlaintextArena()
        let error = #expect(throws: LetheError.self) { try ImageDecoder.decode(encoded, arena: arena) }
        #expect(error?.code.rawValue == "image_corrupt")
    }

    @Test("a JPEG signature followed by garbage is corrupt")
    func garbageAfterSignature() {
        var generator = SeededGenerator(seed: 3)
        let bytes: [UInt8] = [0xFF, 0xD8, 0xFF, 0xE0] + (0..<2000).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let arena = PlaintextArena()
        let error = #expect(throws: LetheError.self) { try ImageDecoder.decode(bytes, arena: arena) }
        #expect(error?.code.rawValue == "image_corrupt")
    }

    @Test("a PNG declaring 60000×60000 is refused from its header, before any pixel is decoded")
    func declaredDimensionsTooLarge() {
        let bytes = HandMadePNG.headerOnly(width: 60_000, height: 60_000)
        let arena = PlaintextArena()
        let error = #expect(throws: LetheError.self) { try ImageDecoder.decode(bytes, arena: arena) }
        // Decoding pixels would have failed with image_corrupt (the IDAT holds 4 bytes), and would
        // have needed a 10.8 GB buffer; neither happened.
        #expect(error?.code.rawValue == "image_too_large")
        #expect(error?.message.contains("60000×60000") == true)
        #expect(arena.wipeAll().bufferCount == 0)
    }

    @Test("maxPixels is inclusive and applies to real images too")
    func maxPixelsBoundary() throws {
        let encoded = try TestImages.gradient(width: 20, height: 10).withUnsafeBytes { try ImageEncoder.encode($0, width: 20, height: 10, as: .png) }
        let arena = PlaintextArena()
        _ = try ImageDecoder.decode(encoded, limits: DecodeLimits(maxPixels: 200), arena: arena)
        #expect(throws: imagingError("image_too_large")) {
            try ImageDecoder.decode(encoded, limits: DecodeLimits(maxPixels: 199), arena: arena)
        }
        #expect(arena.wipeAll().verified)
    }

    @Test("error messages never carry the input bytes")
    func messagesCarryNoData() throws {
        let marker = "LETHE-SECRET-MARKER"
        let bytes = [0xFF, 0xD8, 0xFF, 0xFE, 0x00, 0x17] + Array(marker.utf8) + [0xFF, 0xD9]
        let arena = PlaintextArena()
        let error = #expect(throws: LetheError.self) { try ImageDecoder.decode(bytes, arena: arena) }
        #expect(error?.message.contains(marker) == false)
        #expect(error?.description.contains(marker) == false)
    }
}
