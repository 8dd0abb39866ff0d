import LetheImaging
import LetheMemory

/// Scales photos down by area averaging (each output pixel is the mean of the input pixels it
/// covers), into `.rendering` arena buffers.
enum ImageResampler {
    /// Output size fitting `maxDimension` (never larger than the input).
    static func fittedSize(width: Int, height: Int, maxDimension: Int) -> (width: Int, height: Int, scale: Double) {
        let longSide = max(width, height)
        guard longSide > maxDimension else { return (width, height, 1) }
        let scale = Double(maxDimension) / Double(longSide)
        return (max(1, Int((Double(width) * scale).rounded())), max(1, Int((Double(height) * scale).rounded())), scale)
    }

    static func resize(_ image: DecodedImage, width: Int, height: Int, arena: PlaintextArena) throws(LetheError) -> DecodedImage {
        let buffer: SecureBuffer
        do { buffer = try arena.allocate(count: width * height * 3, bufferClass: .rendering) } catch {
            throw .analysisAllocationFailed(error, "the resized photo")
        }
        func bounds(_ outputSize: Int, _ inputSize: Int) -> [(Int, Int)] {
            (0..<outputSize).map { index in
                let start = index * inputSize / outputSize
                return (start, max(start + 1, (index + 1) * inputSize / outputSize))
            }
        }
        let columns = bounds(width, image.width), rows = bounds(height, image.height)
        image.pixels.withUnsafeBytes { sourceBytes in
            buffer.withUnsafeMutableBytes { targetBytes in
                let source = sourceBytes.bindMemory(to: UInt8.self), target = targetBytes.bindMemory(to: UInt8.self)
                for (y, (top, bottom)) in rows.enumerated() {
                    for (x, (left, right)) in columns.enumerated() {
                        var r = 0, g = 0, b = 0
                        for sy in top..<bottom {
                            var offset = (sy * image.width + left) * 3
                            for _ in left..<right {
                                r += Int(source[offset]); g += Int(source[offset + 1]); b += Int(source[offset + 2])
                                offset += 3
                            }
                        }
                        let count = (bottom - top) * (right - left), half = count / 2
                        let offset = (y * width + x) * 3
                        target[offset] = UInt8((r + half) / count)
                        target[offset + 1] = UInt8((g + half) / count)
                        target[offset + 2] = UInt8((b + half) / count)
                    }
                }
            }
        }
        return DecodedImage(width: width, height: height, format: image.format, pixels: buffer)
    }
}
