import Foundation
import LetheAnalysis
import LetheAPI
import LetheImaging
import LetheMemory
import LetheTestSupport

/// A photo made by the test with known markers: a random stripe of RGB pixels painted into a
/// skin-coloured texture, encoded losslessly, plus the bytes the worker's answer will contain.
struct MarkerPhoto: Sendable {
    /// The file as uploaded.
    let file: Data
    /// 64 informative bytes from near the middle of the file.
    let fileMarker: Marker
    /// 48 stripe pixels as they lie in an interleaved 8-bit RGB buffer.
    let pixelMarker: Marker
    /// 48 informative bytes from near the middle of the JSON measures the worker answers with.
    let resultMarker: Marker

    var markers: [Marker] { [fileMarker, pixelMarker, resultMarker] }

    /// - Parameters:
    ///   - seed: makes every photo (and so every marker) unique and reproducible.
    ///   - format: `.png` or `.webp` (lossless), so the pixel marker survives encoding exactly.
    ///   - truncatedTo: upload only this fraction of the file (the markers follow the uploaded bytes).
    static func make(seed: UInt64, width: Int = 384, height: Int = 384, format: ImageFormat = .png, truncatedTo fraction: Double = 1) throws -> MarkerPhoto {
        var random = SeededGenerator(seed: seed)
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for index in stride(from: 0, to: pixels.count, by: 3) {
            // Skin-coloured texture: passes the skin mask, the exposure and the sharpness gate.
            pixels[index] = UInt8(185 + random.next() % 40)
            pixels[index + 1] = UInt8(135 + random.next() % 30)
            pixels[index + 2] = UInt8(105 + random.next() % 30)
        }
        let stripeWidth = 48
        var pixelMarker: [UInt8] = []
        for row in [0, height / 5, 2 * height / 5, 3 * height / 5, 4 * height / 5] {
            let start = (row * width + 16) * 3
            for offset in 0..<(stripeWidth * 3) { pixels[start + offset] = UInt8(truncatingIfNeeded: random.next()) }
            if row == 2 * height / 5 { pixelMarker = Array(pixels[start..<(start + stripeWidth * 3)]) }
        }
        let encoded = try pixels.withUnsafeBytes {
            try ImageEncoder.encode($0, width: width, height: height, as: format, quality: 100)
        }
        let uploaded = Data(encoded.prefix(Int(Double(encoded.count) * fraction)))
        return MarkerPhoto(
            file: uploaded,
            fileMarker: try Marker.informative(in: uploaded, length: 64, name: "file#\(seed)"),
            pixelMarker: try Marker.informative(in: pixelMarker, length: pixelMarker.count, name: "pixels#\(seed)"),
            resultMarker: try Marker.informative(in: try expectedResult(of: Data(encoded)), length: 48, name: "result#\(seed)"))
    }

    /// The fixture portrait (one face, for `kind=face`) with a random RGB stripe painted across
    /// the suit at the bottom, where it does not disturb the face; the result marker is a
    /// stripe-derived pattern that cannot occur (the face result is not recomputed here).
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
            file: uploaded,
            fileMarker: try Marker.informative(in: uploaded, length: 64, name: "file#\(seed)"),
            pixelMarker: try Marker.informative(in: pixelMarker, length: pixelMarker.count, name: "pixels#\(seed)"),
            resultMarker: Marker(name: "result#\(seed)", bytes: pixelMarker.reversed()))
    }

    /// The worker's measures for this photo, computed here with the same code and encoding.
    private static func expectedResult(of file: Data) throws -> Data {
        let arena = PlaintextArena()
        defer { _ = arena.wipeAll() }
        let image = try file.withUnsafeBytes { try ImageDecoder.decode($0, limits: DecodeLimits(), arena: arena) }
        let measures = try SkinAnalyzer.analyze(image, configuration: SkinAnalysisConfiguration(), arena: arena)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return try encoder.encode(measures)
    }
}

