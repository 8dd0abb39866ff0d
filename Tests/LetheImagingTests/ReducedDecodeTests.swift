import Foundation
import LetheAPI
@testable import LetheImaging
import LetheMemory
import LetheTestSupport
import Testing

/// A face photo is decoded reduced: the whole frame scaled in libjpeg's inverse DCT, and later one
/// window at full resolution, decoded again from the file, so the full resolution is never held
/// whole — unless a free core decodes it whole beside the overview (the window then is a view of it).
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

    @Test("with no core beside the request, only the overview and the window are decoded into the arena: never the whole photo")
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
    @Test("a photo turned or mirrored by its EXIF orientation: overview and window in the shown photo's pixels", arguments: 2...8)
    func orientedPhoto(orientation: UInt8) throws {
        let turned = JPEGSegments.oriented(Self.jpeg, orientation)
        let swapped = orientation >= 5
        let arena = PlaintextArena()
        defer { _ = arena.wipeAll() }
        let whole = try ImageDecoder.decode(turned, arena: arena)
        let (shownWidth, shownHeight) = swapped ? (Self.height, Self.width) : (Self.width, Self.height)
        #expect(whole.width == shownWidth && whole.height == shownHeight)
        let pixels = whole.pixelArray
        // Off-centre, so that a mirrored window would read other pixels.
        let rect = swapped ? PixelRect(x: 700, y: 50, width: 300, height: 900) : PixelRect(x: 50, y: 700, width: 900, height: 300)
        let window = try Self.reduced(turned, keeping: 300, arena: arena) { photo in
            #expect(photo.width == shownWidth && photo.height == shownHeight && photo.reduction == 4)
            #expect(photo.overview.width == shownWidth / 4 && photo.overview.height == shownHeight / 4)
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

extension ReducedDecodeTests {
    /// What a reduced decode on a request thread made: whether the whole photo came beside the
    /// overview, the overview's pixels, one window's frame and pixels, and the arena's pixel bytes.
    struct BesideDecode: Sendable {
        let wholeBeside: Bool
        let overview: [UInt8]
        let window: PixelRect
        let windowPixels: [UInt8]
        let pixelBytes: Int
    }

    /// Decodes `bytes` reduced on a request thread whose worker has `cores` cores (none busy), and reads the window `rect`.
    static func decodedOnRequestThread(
        _ bytes: [UInt8], cores: Int, rect: PixelRect, limits: DecodeLimits = DecodeLimits()
    ) async -> Result<BesideDecode, LetheError> {
        await onRequestThread(prepare: { $0.useCores(CoreLedger(cores: cores), threads: 2) }) { deadline in
            let arena = PlaintextArena()
            // The window is decoded from the bytes: read while they are valid.
            let decoded = bytes.withUnsafeBytes { raw in Result { () throws(LetheError) -> BesideDecode in
                let photo = try ImageDecoder.decodeReduced(raw, keepingShortSide: 300, limits: limits, arena: arena, deadline: deadline)
                let window = try photo.window(rect)
                let inside = window.frame.contains(rect)
                var pixels: [UInt8] = []
                let all = window.pixelArray
                for y in rect.y..<(rect.y + rect.height) where inside {
                    let start = ((y - window.originY) * window.width + rect.x - window.originX) * 3
                    pixels += all[start..<(start + rect.width * 3)]
                }
                let beside = BesideDecode(
                    wholeBeside: photo.whole.flatMap { $0.join() } != nil, overview: photo.overview.pixelArray, window: window.frame, windowPixels: pixels,
                    pixelBytes: arena.bytesHeld)
                arena.release(window.pixels)
                photo.release(arena)
                return beside
            } }
            #expect(arena.bytesHeld == 0, "the photo's release left \(arena.bytesHeld) bytes")
            _ = arena.wipeAll()
            return decoded
        }.result
    }

    @Test("with a core free, a JPEG to be reduced is decoded whole beside its overview: the same overview, and every window a view of the whole with the window decode's pixels")
    func wholeBesideOverview() async throws {
        let rect = PixelRect(x: 333, y: 517, width: 401, height: 299)
        let beside = try await Self.decodedOnRequestThread(Self.jpeg, cores: 2, rect: rect).get()
        let alone = try await Self.decodedOnRequestThread(Self.jpeg, cores: 1, rect: rect).get()
        // Figures, not the arrays: a failure message would print every pixel.
        let (wholeBeside, wholeAlone) = (beside.wholeBeside, alone.wholeBeside)
        #expect(wholeBeside && !wholeAlone)
        let (besideWindow, aloneWindow) = (beside.window, alone.window)
        #expect(besideWindow == PixelRect(x: 0, y: 0, width: Self.width, height: Self.height) && aloneWindow == rect)
        let (besideBytes, aloneBytes) = (beside.pixelBytes, alone.pixelBytes)
        #expect(besideBytes == (Self.width * Self.height + Self.width / 4 * Self.height / 4) * 3)
        #expect(aloneBytes == (rect.area + Self.width / 4 * Self.height / 4) * 3)
        let sameOverview = beside.overview.count == alone.overview.count && beside.overview == alone.overview
        let sameWindow = beside.windowPixels.count == rect.area * 3 && beside.windowPixels == alone.windowPixels
        #expect(sameOverview && sameWindow)
    }

    @Test("no whole decode beside the overview for a PNG, a JPEG not reduced, or one above the limit of pixels decoded beside")
    func noWholeBesideOverview() async throws {
        let rect = PixelRect(x: 10, y: 20, width: 100, height: 50)
        let pixels = TestImages.gradient(width: 400, height: 300, noise: 5)
        let png = try pixels.withUnsafeBytes { try ImageEncoder.encode($0, width: 400, height: 300, as: .png) }
        let small = try pixels.withUnsafeBytes { try ImageEncoder.encode($0, width: 400, height: 300, as: .jpeg, quality: 90) }
        for bytes in [png, small] {
            let wholeBeside = try await Self.decodedOnRequestThread(bytes, cores: 2, rect: rect).get().wholeBeside
            #expect(!wholeBeside)
        }
        let limited = DecodeLimits(maxPixelsWholeBesideOverview: Self.width * Self.height - 1)
        let aboveLimit = try await Self.decodedOnRequestThread(Self.jpeg, cores: 2, rect: rect, limits: limited).get().wholeBeside
        let atLimit = try await Self.decodedOnRequestThread(
            Self.jpeg, cores: 2, rect: rect, limits: DecodeLimits(maxPixelsWholeBesideOverview: Self.width * Self.height)).get().wholeBeside
        #expect(!aboveLimit && atLimit)
    }

    @Test("a photo turned by its EXIF orientation is decoded whole beside its overview too (every decode is a sequential pull on the request's threads), with the window decode's pixels", arguments: [UInt8(3), 6, 7])
    func orientedWholeBesideOverview(orientation: UInt8) async throws {
        let turned = JPEGSegments.oriented(Self.jpeg, orientation)
        let rect = PixelRect(x: 333, y: 417, width: 301, height: 199)
        let beside = try await Self.decodedOnRequestThread(turned, cores: 2, rect: rect).get()
        let alone = try await Self.decodedOnRequestThread(turned, cores: 1, rect: rect).get()
        let (wholeBeside, wholeAlone) = (beside.wholeBeside, alone.wholeBeside)
        #expect(wholeBeside && !wholeAlone)
        let sameOverview = beside.overview.count == alone.overview.count && beside.overview == alone.overview
        let sameWindow = beside.windowPixels.count == rect.area * 3 && beside.windowPixels == alone.windowPixels
        #expect(sameOverview && sameWindow)
    }
}
