import Foundation
import LetheAPI
import LetheImaging
import LetheMemory

/// Runs a `HaarCascade` over a photo: grey working image → image pyramid → integral and squared
/// integral images → every window through the cascade → overlapping hits grouped.
/// All planes are `.intermediate` arena buffers, released before returning.
public struct FaceDetector: Sendable {
    public let cascade: HaarCascade
    public let configuration: FaceDetectorConfiguration

    public init(cascade: HaarCascade, configuration: FaceDetectorConfiguration = FaceDetectorConfiguration()) {
        self.cascade = cascade
        self.configuration = configuration
    }

    /// Finds faces, largest first.
    public func detect(in image: DecodedImage, arena: PlaintextArena) throws(LetheError) -> [FaceDetection] {
        let factor = max(1, min(image.width, image.height) / max(1, configuration.workingShortSidePixels))
        let workWidth = image.width / factor, workHeight = image.height / factor
        guard workWidth >= cascade.windowWidth, workHeight >= cascade.windowHeight else { return [] }

        let grey = try allocate(arena, floats: workWidth * workHeight, what: "detector grey plane")
        defer { arena.release(grey) }
        let level = try allocate(arena, floats: workWidth * workHeight, what: "detector pyramid level")
        defer { arena.release(level) }
        let integral = try allocate(arena, doubles: (workWidth + 1) * (workHeight + 1), what: "integral image")
        defer { arena.release(integral) }
        let squared = try allocate(arena, doubles: (workWidth + 1) * (workHeight + 1), what: "squared integral image")
        defer { arena.release(squared) }

        image.pixels.withUnsafeBytes { pixels in
            grey.withUnsafeMutableBytes { greyBytes in
                Self.boxGrey(
                    pixels: pixels.bindMemory(to: UInt8.self), width: image.width, factor: factor,
                    into: greyBytes.bindMemory(to: Float.self), workWidth: workWidth, workHeight: workHeight)
            }
        }

        // Every level's summed-area tables use the working plane's stride, so the cascade's corner
        // offsets are computed once per request, not once per level (~25 levels); a level only
        // fills and reads the first `levelWidth + 1` entries of each row.
        let tableStride = workWidth + 1
        let evaluation = CascadeEvaluation(cascade, stride: tableStride)
        var hits: [(x: Double, y: Double, size: Double)] = []
        var scale = 1.0
        while true {
            let levelWidth = Int(Double(workWidth) / scale), levelHeight = Int(Double(workHeight) / scale)
            guard levelWidth >= cascade.windowWidth, levelHeight >= cascade.windowHeight else { break }
            grey.withUnsafeBytes { greyBytes in
                level.withUnsafeMutableBytes { levelBytes in
                    integral.withUnsafeMutableBytes { integralBytes in
                        squared.withUnsafeMutableBytes { squaredBytes in
                            let levelPlane = levelBytes.bindMemory(to: Float.self)
                            Self.resample(
                                greyBytes.bindMemory(to: Float.self), width: workWidth, height: workHeight,
                                into: levelPlane, width: levelWidth, height: levelHeight)
                            let sums = integralBytes.bindMemory(to: Double.self), squares = squaredBytes.bindMemory(to: Double.self)
                            Self.integrate(levelPlane, width: levelWidth, height: levelHeight, stride: tableStride, sums: sums, squares: squares)
                            let step = scale > 2 ? 1 : 2
                            evaluation.withWindowTest(sums: sums, squares: squares) { passes in
                                for y in stride(from: 0, through: levelHeight - cascade.windowHeight, by: step) {
                                    // A request past its deadline stops here; the pipeline reports it.
                                    if ProcessingDeadline.currentThreadDeadlinePassed { break }
                                    for x in stride(from: 0, through: levelWidth - cascade.windowWidth, by: step) where passes(x, y) {
                                        hits.append((Double(x) * scale, Double(y) * scale, Double(cascade.windowWidth) * scale))
                                    }
                                }
                            }
                        }
                    }
                }
            }
            scale *= configuration.scaleFactor
        }

        let aspect = Double(cascade.windowHeight) / Double(cascade.windowWidth)
        let grouped = HitGrouping.group(
            hits.map { HitGrouping.Box(x: $0.x, y: $0.y, width: $0.size, height: $0.size * aspect) },
            minNeighbours: configuration.minNeighbours, epsilon: configuration.groupingEpsilon)
        let f = Double(factor)
        return grouped.map { box in
            FaceDetection(
                box: PixelRect(
                    x: Int((box.x * f).rounded()), y: Int((box.y * f).rounded()),
                    width: Int((box.width * f).rounded()), height: Int((box.height * f).rounded())),
                neighbours: box.count)
        }.sorted { $0.box.width > $1.box.width }
    }

    private func allocate(_ arena: PlaintextArena, floats: Int, what: String) throws(LetheError) -> SecureBuffer {
        do { return try arena.allocate(count: floats * MemoryLayout<Float>.stride, bufferClass: .intermediate) } catch {
            throw .analysisAllocationFailed(error, "the \(what)")
        }
    }

    private func allocate(_ arena: PlaintextArena, doubles: Int, what: String) throws(LetheError) -> SecureBuffer {
        do { return try arena.allocate(count: doubles * MemoryLayout<Double>.stride, bufferClass: .intermediate) } catch {
            throw .analysisAllocationFailed(error, "the \(what)")
        }
    }

    /// Rec. 601 luma (as OpenCV's RGB→GRAY), box-averaged over `factor × factor` pixels.
    /// `grey` must be zeroed (a fresh arena buffer). The photo is read row by row (each cell's row
    /// segment added to its running sum in `grey`), in the same order of additions per cell as a
    /// cell-by-cell loop, so the sums are bit-identical; a cell-by-cell loop would jump `factor`
    /// rows of the full-resolution photo for every working pixel.
    static func boxGrey(
        pixels: UnsafeBufferPointer<UInt8>, width: Int, factor: Int,
        into grey: UnsafeMutableBufferPointer<Float>, workWidth: Int, workHeight: Int
    ) {
        let norm = 1 / Float(factor * factor)
        // Each channel's weighted value from a table of 256 (`0.299 · Float(code)` rounds the same
        // whether computed here or per pixel): three loads in place of three conversions and
        // three multiplications per pixel of the full-resolution photo.
        lumaTerms.withUnsafeBufferPointer { terms in
            let red = terms.baseAddress!, green = red + 256, blue = red + 512
            for wy in 0..<workHeight {
                let cells = wy * workWidth
                for dy in 0..<factor {
                    var offset = (wy * factor + dy) * width * 3
                    for wx in 0..<workWidth {
                        var sum = grey[cells + wx]
                        for _ in 0..<factor {
                            sum += red[Int(pixels[offset])] + green[Int(pixels[offset + 1])] + blue[Int(pixels[offset + 2])]
                            offset += 3
                        }
                        grey[cells + wx] = sum
                    }
                }
                for wx in 0..<workWidth { grey[cells + wx] *= norm }
            }
        }
    }

    /// `0.299 · code`, `0.587 · code`, `0.114 · code` for every 8-bit code, one table after the other.
    private static let lumaTerms: [Float] =
        (0..<256).map { 0.299 * Float($0) } + (0..<256).map { 0.587 * Float($0) } + (0..<256).map { 0.114 * Float($0) }

    /// Bilinear resampling (pixel centres aligned, as OpenCV's INTER_LINEAR).
    static func resample(
        _ source: UnsafeBufferPointer<Float>, width: Int, height: Int,
        into target: UnsafeMutableBufferPointer<Float>, width targetWidth: Int, height targetHeight: Int
    ) {
        let sx = Double(width) / Double(targetWidth), sy = Double(height) / Double(targetHeight)
        for ty in 0..<targetHeight {
            let fy = max(0, (Double(ty) + 0.5) * sy - 0.5)
            let y0 = min(Int(fy), height - 1), y1 = min(y0 + 1, height - 1)
            let wy = Float(fy - Double(y0))
            for tx in 0..<targetWidth {
                let fx = max(0, (Double(tx) + 0.5) * sx - 0.5)
                let x0 = min(Int(fx), width - 1), x1 = min(x0 + 1, width - 1)
                let wx = Float(fx - Double(x0))
                let top = source[y0 * width + x0] * (1 - wx) + source[y0 * width + x1] * wx
                let bottom = source[y1 * width + x0] * (1 - wx) + source[y1 * width + x1] * wx
                target[ty * targetWidth + tx] = top * (1 - wy) + bottom * wy
            }
        }
    }

    /// Summed-area tables with a zero first row and column, `stride` (at least `width + 1`) entries
    /// from one row to the next.
    static func integrate(
        _ plane: UnsafeMutableBufferPointer<Float>, width: Int, height: Int, stride: Int,
        sums: UnsafeMutableBufferPointer<Double>, squares: UnsafeMutableBufferPointer<Double>
    ) {
        for x in 0...width { sums[x] = 0; squares[x] = 0 }
        for y in 1...height {
            var rowSum = 0.0, rowSquares = 0.0
            sums[y * stride] = 0
            squares[y * stride] = 0
            for x in 1...width {
                let value = Double(plane[(y - 1) * width + x - 1])
                rowSum += value
                rowSquares += value * value
                sums[y * stride + x] = sums[(y - 1) * stride + x] + rowSum
                squares[y * stride + x] = squares[(y - 1) * stride + x] + rowSquares
            }
        }
    }
}
