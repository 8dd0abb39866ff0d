import Foundation
import LetheAPI
@testable import LetheImaging
import LetheMemory
import Testing

/// A face photo is decoded reduced: the whole frame scaled in libjpeg's inverse DCT, and later one
/// window at full resolution, decoded again from the file, so the full resolution is never held whole.
@Suite("Decoding a photo reduced, then one window of it")
struct ReducedDecodeTests {
    static let width = 1600, height = 1200

    static let jpeg: [UInt8] = {
        let pixels = TestImages.gradient(width: width, height: height, noise: 20)
        return try! pixels.withUnsafeBytes { try ImageEncoder.encode($0, width: width, height: height, as: .jpeg, quality: 92) }
    }()

    /// Decodes `bytes` reduced, keeping `shortSide`, and hands the photo to `body` while the bytes are valid.
    static func reduced<R>(_ bytes: [UInt8], keeping shortSide: Int, arena: PlaintextArena, _ body: (ReducedPhoto) throws -> R) throws -> R {
        try bytes.withUnsafeBytes { raw in
            try body(try ImageDecoder.decodeReduced(raw, keepingShortSide: shortSide, limits: DecodeLimits(), arena: arena))
        }
    }

    @Test("the largest DCT scaling that keeps the short side: 1/8, 1/4, 1/2 or none")
    func reductionChoice() {
        #expect(ImageDecoder.reduction(shortSide: 3000, keeping: 1024) == 2)
        #expect(ImageDecoder.reduction(shortSide: 6120, keeping: 1024) == 4)
        #expect(ImageDecoder.reduction(shortSide: 2047, keeping: 1024) == 1)
        #expect(ImageDecoder.reduction(shortSide: 2048, keeping: 1024) == 2)
        #expect(ImageDecoder.reduction(shortSide: 9000, keeping: 1024) == 8)
        #expect(ImageDecoder.reduction(shortSide: 512, keeping: 1024) == 1)
    }

    @Test("the overview is the photo scaled by the decoder: each pixel its block's mean, within JPEG's rounding")
    func overviewIsTheBlockMean() throws {
        let arena = PlaintextArena()
        defer { _ = arena.wipeAll() }
        let whole = try ImageDecoder.decode(Self.jpeg, arena: arena).pixelArray
        let overview = try Self.reduced(Self.jpeg, keeping: 300, arena: arena) { photo in
            #expect(photo.reduction == 4 && photo.isReduced)
            #expect(photo.width == Self.width && photo.height == Self.height)
            #expect(photo.overview.width == Self.width / 4 && photo.overview.height == Self.height / 4)
            return photo.overview.pixelArray
        }
        var worst = 0, total = 0
        for y in 0..<(Self.height / 4) {
            for x in 0..<(Self.width / 4) {
                for channel in 0..<3 {
                    var sum = 0
                    for dy in 0..<4 { for dx in 0..<4 { sum += Int(whole[((4 * y + dy) * Self.width + 4 * x + dx) * 3 + channel]) } }
                    let difference = abs(Int(overview[(y * Self.width / 4 + x) * 3 + channel]) - (sum + 8) / 16)
                    worst = max(worst, difference)
                    total += difference
                }
            }
        }
        let mean = Double(total) / Double(Self.width * Self.height / 16 * 3)
        #expect(mean < 1.5, "mean difference \(mean)")
        #expect(worst <= 12, "largest difference \(worst)")
    }

    @Test("a window holds exactly the full decode's pixels of its rectangle, placed in the photo")
    func windowIsTheFullDecodesRectangle() throws {
        let arena = PlaintextArena()
        defer { _ = arena.wipeAll() }
        let whole = try ImageDecoder.decode(Self.jpeg, arena: arena).pixelArray
        let rect = PixelRect(x: 333, y: 517, width: 401, height: 299)
        let window = try Self.reduced(Self.jpeg, keeping: 300, arena: arena) { try $0.window(rect) }
        #expect(window.frame == rect)
        var expected: [UInt8] = []
        for y in rect.y..<(rect.y + rect.height) {
            expected += whole[((y * Self.width + rect.x) * 3)..<((y * Self.width + rect.x + rect.width) * 3)]
        }
        #expect(window.pixelArray == expected)
    }

    @Test("only the overview and the window are decoded into the arena: never the whole photo")
    func fullResolutionNeverHeldWhole() throws {
        let arena = PlaintextArena()
        let rect = PixelRect(x: 100, y: 200, width: 640, height: 480)
        try Self.reduced(Self.jpeg, keeping: 300, arena: arena) { photo in
            arena.release(photo.overview.pixels)
            arena.release(try photo.window(rect).pixels)
        }
        let report = arena.wipeAll()
        #expect(report.verified)
        #expect(report.bytesByClass[BufferClass.pixels.rawValue] == (Self.width / 4 * Self.height / 4 + rect.area) * 3)
    }

    @Test("a PNG, and a JPEG already at the short side, are decoded whole: their own overview and windows")
    func smallOrLosslessIsWhole() throws {
        let pixels = TestImages.gradient(width: 300, height: 200, noise: 5)
        let png = try pixels.withUnsafeBytes { try ImageEncoder.encode($0, width: 300, height: 200, as: .png) }
        let arena = PlaintextArena()
        defer { _ = arena.wipeAll() }
        try Self.reduced(png, keeping: 50, arena: arena) { photo in
            #expect(photo.reduction == 1 && !photo.isReduced)
            #expect(photo.overview.pixelArray == pixels)
            let window = try photo.window(PixelRect(x: 10, y: 10, width: 20, height: 20))
            #expect(window.pixels === photo.overview.pixels)
        }
        try Self.reduced(Self.jpeg, keeping: 1200, arena: arena) { photo in
            #expect(photo.reduction == 1 && photo.overview.width == Self.width)
        }
    }

    @Test("a window outside the photo is refused, not read")
    func windowOutsideIsRefused() throws {
        let arena = PlaintextArena()
        defer { _ = arena.wipeAll() }
        try Self.reduced(Self.jpeg, keeping: 300, arena: arena) { photo in
            #expect(throws: LetheError.internalError) { try photo.window(PixelRect(x: 1500, y: 0, width: 200, height: 10)) }
            #expect(throws: LetheError.internalError) { try photo.window(PixelRect(x: 0, y: 0, width: 0, height: 10)) }
        }
    }
}

extension ReducedDecodeTests {
    @Test("a photo turned by its EXIF orientation: overview and window in the turned photo's pixels")
    func orientedPhoto() throws {
        let turned = TestImages.oriented(Self.jpeg, 6)
        let arena = PlaintextArena()
        defer { _ = arena.wipeAll() }
        let whole = try ImageDecoder.decode(turned, arena: arena)
        #expect(whole.width == Self.height && whole.height == Self.width)
        let pixels = whole.pixelArray
        let rect = PixelRect(x: 700, y: 50, width: 300, height: 900)
        let window = try Self.reduced(turned, keeping: 300, arena: arena) { photo in
            #expect(photo.width == Self.height && photo.height == Self.width && photo.reduction == 4)
            #expect(photo.overview.width == Self.height / 4 && photo.overview.height == Self.width / 4)
            return try photo.window(rect)
        }
        var expected: [UInt8] = []
        for y in rect.y..<(rect.y + rect.height) {
            expected += pixels[((y * whole.width + rect.x) * 3)..<((y * whole.width + rect.x + rect.width) * 3)]
        }
        #expect(window.pixelArray == expected)
    }
}

extension ReducedDecodeTests {
    /// `jpeg` with `profile` in an APP2 `ICC_PROFILE` segment (ICC.1 annex B.4: one chunk, 1 of 1) right after SOI.
    static func tagging(_ jpeg: [UInt8], with profile: [UInt8]) -> [UInt8] {
        let payload = Array("ICC_PROFILE".utf8) + [0, 1, 1] + profile
        let length = payload.count + 2
        return Array(jpeg[..<2]) + [0xFF, 0xE2, UInt8(length >> 8), UInt8(length & 0xFF)] + payload + Array(jpeg[2...])
    }

    @Test("a JPEG tagged with a profile other than sRGB: the window is converted as the whole photo is (the overview's finding about the profile holds for it)")
    func profiledWindow() throws {
        let swapped = HandMadeICC.profile(red: HandMadeICC.srgbBlue, green: HandMadeICC.srgbGreen, blue: HandMadeICC.srgbRed, gamma: 2.2)
        let tagged = Self.tagging(Self.jpeg, with: swapped)
        let arena = PlaintextArena()
        defer { _ = arena.wipeAll() }
        let whole = try ImageDecoder.decode(tagged, arena: arena).pixelArray
        let untagged = try ImageDecoder.decode(Self.jpeg, arena: arena).pixelArray
        #expect(whole != untagged, "the profile was applied")
        let rect = PixelRect(x: 250, y: 410, width: 333, height: 200)
        let window = try Self.reduced(tagged, keeping: 300, arena: arena) { photo in
            #expect(photo.reduction == 4)
            return try photo.window(rect)
        }
        var expected: [UInt8] = []
        for y in rect.y..<(rect.y + rect.height) {
            expected += whole[((y * Self.width + rect.x) * 3)..<((y * Self.width + rect.x + rect.width) * 3)]
        }
        let differing = zip(window.pixelArray, expected).filter { $0 != $1 }.count
        #expect(window.pixelArray.count == expected.count && differing == 0, "\(differing) samples differ")
    }
}
