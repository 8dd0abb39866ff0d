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
