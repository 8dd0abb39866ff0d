import Foundation
@testable import LetheAnalysis
import LetheAPI
import LetheImaging
import LetheMemory
import LetheTestSupport

/// A photo made by the test with known markers: a random stripe of RGB pixels painted into a
/// skin-coloured texture, encoded losslessly, plus the bytes the worker's answer will contain.
struct MarkerPhoto: Sendable {
    /// Which analysis the photo is meant for (`skin` or `face`): it decides which layouts exist.
    let kind: String
    /// The file as uploaded.
    let file: Data
    /// The complete encoded file (equal to `file` unless the upload is truncated).
    let encoded: Data
    /// 64 informative bytes from near the middle of the file.
    let fileMarker: Marker
    /// 48 stripe pixels as they lie in an interleaved 8-bit RGB buffer.
    let pixelMarker: Marker
    /// 48 informative bytes from near the middle of the JSON the worker answers with.
    let resultMarker: Marker
    /// Where the marker row of the stripe lies, in photo pixels.
    let stripe: PixelRect
    /// Where `pixelMarker` starts in the decoded RGB buffer (which starts on a page boundary).
    let pixelMarkerOffset: Int

    /// The three forms every photo has (file, RGB pixels, result); `allMarkers()` adds the
    /// layouts the analysis holds in between.
    var markers: [Marker] { [fileMarker, pixelMarker, resultMarker] }

    /// Every form of this photo the harness searches: `markers` plus one marker per layout the
    /// worker's analysis of it holds (`LayoutMarkers`).
    func allMarkers() throws -> [Marker] {
        markers + (try LayoutMarkers.of(self))
    }

    /// - Parameters:
    ///   - seed: makes every photo (and so every marker) unique and reproducible.
    ///   - format: `.png` or `.webp` (lossless), so the pixel marker survives encoding exactly.
    ///   - truncatedTo: upload only this fraction of the file (the markers follow the uploaded bytes).
    static func make(seed: UInt64, width: Int = 384, height: Int = 384, format: ImageFormat = .png, truncatedTo fraction: Double = 1) throws -> MarkerPhoto {
        var random = SeededGenerator(seed: seed)
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        func skinColour(_ index: Int) {
            pixels[index] = UInt8(185 + random.next() % 40)
            pixels[index + 1] = UInt8(135 + random.next() % 30)
            pixels[index + 2] = UInt8(105 + random.next() % 30)
        }
        // Skin-coloured texture: passes the skin mask, the exposure and the sharpness gate.
        for index in stride(from: 0, to: pixels.count, by: 3) { skinColour(index) }
        // The stripe: each pixel a random skin colour or a random colour, chosen by a random bit,
        // so that the masks computed from it (skin, marks) carry about one bit per pixel, and its
        // colour planes carry a random value per pixel.
        let stripeWidth = min(320, width - 32)
        var pixelMarker: [UInt8] = []
        var pixelMarkerOffset = 0
        for row in [0, height / 5, 2 * height / 5, 3 * height / 5, 4 * height / 5] {
            let start = (row * width + 16) * 3
            for offset in stride(from: 0, to: stripeWidth * 3, by: 3) {
                if random.next() & 1 == 0 {
                    skinColour(start + offset)
                } else {
                    for channel in 0..<3 { pixels[start + offset + channel] = UInt8(truncatingIfNeeded: random.next()) }
                }
            }
            if row == 2 * height / 5 {
                pixelMarkerOffset = start + (stripeWidth / 2 - 24) * 3
                pixelMarker = Array(pixels[pixelMarkerOffset..<(pixelMarkerOffset + 48 * 3)])
            }
        }
        let encoded = try pixels.withUnsafeBytes {
            try ImageEncoder.encode($0, width: width, height: height, as: format, quality: 100)
        }
        let uploaded = Data(encoded.prefix(Int(Double(encoded.count) * fraction)))
        return MarkerPhoto(
            kind: "skin",
            file: uploaded,
            encoded: Data(encoded),
            fileMarker: try Marker.informative(in: uploaded, length: 64, name: "file#\(seed)"),
            pixelMarker: try Marker.informative(in: pixelMarker, length: pixelMarker.count, name: "pixels#\(seed)"),
            resultMarker: try Marker.informative(in: try expectedResult(of: Data(encoded)), length: 48, name: "result#\(seed)"),
            stripe: PixelRect(x: 16, y: 2 * height / 5, width: stripeWidth, height: 1),
            pixelMarkerOffset: pixelMarkerOffset)
    }

    /// The fixture portrait (one face, for `kind=face`) with a random RGB stripe painted across
    /// the suit at the bottom, where it does not disturb the face; the result marker is taken from
    /// the face result (box and regions) that the worker's code computes for this photo.
    static func portrait(seed: UInt64) throws -> MarkerPhoto {
        let fixture = Repository.root.appendingPathComponent("Fixtures/astronaut.png")
        let arena = PlaintextArena()
        defer { _ = arena.wipeAll() }
        let file = try Data(contentsOf: fixture)
        let image = try file.withUnsafeBytes { try ImageDecoder.decode($0, limits: DecodeLimits(), arena: arena) }
        var random = SeededGenerator(seed: seed)
        var pixelMarker: [UInt8] = []
        let encoded = try image.pixels.withUnsafeMutableBytes { pixels in
            let start = ((image.height - 20) * image.width + 200) * 3
            for offset in 0..<(48 * 3) { pixels[start + offset] = UInt8(truncatingIfNeeded: random.next()) }
            pixelMarker = Array(pixels[start..<(start + 48 * 3)])
            return try ImageEncoder.encode(UnsafeRawBufferPointer(pixels), width: image.width, height: image.height, as: .png, quality: 100)
        }
        let uploaded = Data(encoded)
        return MarkerPhoto(
            kind: "face",
            file: uploaded,
            encoded: uploaded,
            fileMarker: try Marker.informative(in: uploaded, length: 64, name: "file#\(seed)"),
            pixelMarker: try Marker.informative(in: pixelMarker, length: pixelMarker.count, name: "pixels#\(seed)"),
            resultMarker: try Marker.informative(in: try LayoutMarkers.faceResult(of: uploaded), length: 48, name: "result#\(seed)"),
            stripe: PixelRect(x: 200, y: image.height - 20, width: 48, height: 1),
            pixelMarkerOffset: ((image.height - 20) * image.width + 200) * 3)
    }

    /// The worker's measures for this photo, computed here with the same code and encoding.
    private static func expectedResult(of file: Data) throws -> Data {
        let arena = PlaintextArena()
        defer { _ = arena.wipeAll() }
        let image = try file.withUnsafeBytes { try ImageDecoder.decode($0, limits: DecodeLimits(), arena: arena) }
        let measures = try SkinAnalyzer.analyze(image, configuration: SkinAnalysisConfiguration(), arena: arena)
        return try LayoutMarkers.resultEncoder.encode(measures)
    }
}

