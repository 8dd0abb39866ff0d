import Foundation
import LetheImaging
import LetheMemory
import LetheTestSupport

enum TestImages {
    /// A smooth RGB gradient with a little seeded noise: compresses realistically, survives JPEG.
    static func gradient(width: Int, height: Int, noise: Int = 0, seed: UInt64 = 1) -> [UInt8] {
        var generator = SeededGenerator(seed: seed)
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for y in 0..<height {
            for x in 0..<width {
                let jitter = noise == 0 ? 0 : Int.random(in: -noise...noise, using: &generator)
                let base = (y * width + x) * 3
                pixels[base] = clamp(x * 255 / max(1, width - 1) + jitter)
                pixels[base + 1] = clamp(y * 255 / max(1, height - 1) + jitter)
                pixels[base + 2] = clamp(128 + jitter)
            }
        }
        return pixels
    }

    static func clamp(_ value: Int) -> UInt8 { UInt8(min(255, max(0, value))) }

    /// `jpeg` with an EXIF orientation tag: APP1 "Exif\0\0" + little-endian TIFF with one IFD0
    /// entry, Orientation (0x0112) SHORT = `orientation` (JEITA CP-3451 Exif 2.3 §4.6.4, TIFF 6.0 §2).
    static func oriented(_ jpeg: [UInt8], _ orientation: UInt8) -> [UInt8] {
        let tiff: [UInt8] = [0x49, 0x49, 0x2A, 0x00, 0x08, 0x00, 0x00, 0x00,
                             0x01, 0x00,
                             0x12, 0x01, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00, orientation, 0x00, 0x00, 0x00,
                             0x00, 0x00, 0x00, 0x00]
        let payload = Array("Exif".utf8) + [0, 0] + tiff
        let app1: [UInt8] = [0xFF, 0xE1, UInt8((payload.count + 2) >> 8), UInt8((payload.count + 2) & 0xFF)] + payload
        return Array(jpeg.prefix(2)) + app1 + Array(jpeg.dropFirst(2))
    }

}

extension ImageDecoder {
    /// Test convenience: decode an array.
    static func decode(_ bytes: [UInt8], limits: DecodeLimits = .init(), arena: PlaintextArena) throws(LetheError) -> DecodedImage {
        var result: Result<DecodedImage, LetheError>!
        bytes.withUnsafeBytes { raw in
            do throws(LetheError) { result = .success(try decode(raw, limits: limits, arena: arena)) } catch { result = .failure(error) }
        }
        return try result.get()
    }
}

extension DecodedImage {
    /// Copies the pixels out for comparison (test-only; production code never does this).
    var pixelArray: [UInt8] { pixels.withUnsafeBytes { Array($0) } }
}

/// The error a test expects, named by its documented code among the codes
/// LetheImaging and LetheMemory define (equality is by code; another name matches nothing).
func imagingError(_ code: String) -> LetheError {
    LetheError.expected(code, among: LetheError.Code.imagingCodes + LetheError.Code.memoryCodes)
}
