import Foundation
import Synchronization
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

    /// Finds faces, largest first; with `minimumWidth` (image pixels), none narrower is looked for.
    public func detect(in image: DecodedImage, minimumWidth: Double = 0, arena: PlaintextArena) throws(LetheError) -> [FaceDetection] {
        guard let search = try search(in: image, minimumWidth: minimumWidth, arena: arena) else { return [] }
        defer { search.release() }
        try search.scan()
        return search.faces()
    }

    /// Faces of `image` rolled by `roll` radians (positive: clockwise on screen): the search runs
    /// on the grey working plane turned by −`roll` about its centre, where such a face stands
    /// upright for the frontal cascade, and each face's box is the box of the same size about its
    /// centre turned back into `image`, cut to the image as the upright search's boxes are (one
    /// whose centre turns back outside the image, from the turned plane's corners, is none). For
    /// a face the upright search did not find.
    public func detect(in image: DecodedImage, rolledBy roll: Double, minimumWidth: Double = 0, arena: PlaintextArena) throws(LetheError) -> [FaceDetection] {
        guard let search = try search(in: image, minimumWidth: minimumWidth, rolledBy: roll, arena: arena) else { return [] }
        defer { search.release() }
        try search.scan()
        let (centreX, centreY) = (Double(search.workWidth * search.factor) / 2, Double(search.workHeight * search.factor) / 2)
        return search.faces().compactMap { face in
            let (x, y) = (Double(face.box.x) + Double(face.box.width) / 2 - centreX, Double(face.box.y) + Double(face.box.height) / 2 - centreY)
            let (turnedX, turnedY) = (centreX + cos(roll) * x - sin(roll) * y, centreY + sin(roll) * x + cos(roll) * y)
            guard turnedX >= 0, turnedY >= 0, turnedX < Double(image.width), turnedY < Double(image.height) else { return nil }
            let box = PixelRect(
                x: Int((turnedX - Double(face.box.width) / 2).rounded()), y: Int((turnedY - Double(face.box.height) / 2).rounded()),
                width: face.box.width, height: face.box.height)
            return FaceDetection(box: box.clipped(width: image.width, height: image.height), neighbours: face.neighbours)
        }
    }

    /// A search of `image` that two threads can share (`Search`), its grey working plane made;
    /// nil when the image is smaller than one window. `minimumWidth` (image pixels) is OpenCV's
    /// `minSize`: the pyramid levels whose window is narrower are not scanned — the smallest
    /// windows, on the largest levels, the most costly to scan. With `roll`, the plane shows the
    /// image turned by −`roll` about its centre (bilinear, black outside).
    func search(in image: DecodedImage, minimumWidth: Double = 0, rolledBy roll: Double = 0, arena: PlaintextArena) throws(LetheError) -> Search? {
        let factor = max(1, min(image.width, image.height) / max(1, configuration.workingShortSidePixels))
        let workWidth = image.width / factor, workHeight = image.height / factor
        guard workWidth >= cascade.windowWidth, workHeight >= cascade.windowHeight else { return nil }
        var grey = try Plane<Float>(width: workWidth, height: workHeight, what: "the detector grey plane", arena: arena)
        image.pixels.withUnsafeBytes { pixels in
            Self.boxGrey(
                pixels: pixels.bindMemory(to: UInt8.self), width: image.width, factor: factor,
                into: grey.pixels, workWidth: workWidth, workHeight: workHeight)
        }
        if roll != 0 {
            let turned: Plane<Float>
            do { turned = try Plane<Float>(width: workWidth, height: workHeight, what: "the detector's turned grey plane", arena: arena) } catch {
                grey.release(to: arena)
                throw error
            }
            Self.turn(UnsafeBufferPointer(grey.pixels), by: roll, into: turned.pixels, width: workWidth, height: workHeight)
            grey.release(to: arena)
            grey = turned
        }
        return Search(
            detector: self, grey: grey, factor: factor, workWidth: workWidth, workHeight: workHeight,
            minimumWindowWidth: minimumWidth / Double(factor), arena: arena)
    }

    /// The window search over one photo's pyramid, level by level: every thread that calls `scan()`
    /// takes the next level not yet taken until none is left, each with a level plane and
    /// summed-area tables of its own, and keeps that level's hits in the level's place; `faces()`
    /// groups them in level order, so the detections are the same however the levels were shared.
    /// The face analysis lets the thread that runs the frame's quality gate join in once the gate
    /// is done (`FaceAnalyzer`). Release with `release()` after the last `scan()` has returned.
    // @unchecked Sendable: `nextLevel` is atomic; a level's hits are written only by the thread
    // that took the level, and read by `faces()` after every `scan()` has returned (joined).
    final class Search: @unchecked Sendable {
        typealias Hit = (x: Double, y: Double, size: Double)
        let detector: FaceDetector
        let grey: Plane<Float>
        let factor: Int, workWidth: Int, workHeight: Int
        let arena: PlaintextArena
        /// Every level's scale and size, smallest scale first (the scales multiplied in turn, as OpenCV does).
        let levels: [(scale: Double, width: Int, height: Int)]
        let evaluation: CascadeEvaluation
        private let nextLevel = Atomic<Int>(0)
        private let hits: UnsafeMutableBufferPointer<[Hit]>

        /// `minimumWindowWidth`: in working pixels; levels whose window is narrower are left out.
        init(
            detector: FaceDetector, grey: Plane<Float>, factor: Int, workWidth: Int, workHeight: Int, minimumWindowWidth: Double,
            arena: PlaintextArena
        ) {
            (self.detector, self.grey, self.factor, self.workWidth, self.workHeight, self.arena) = (detector, grey, factor, workWidth, workHeight, arena)
            var levels: [(scale: Double, width: Int, height: Int)] = []
            var scale = 1.0
            while true {
                let levelWidth = Int(Double(workWidth) / scale), levelHeight = Int(Double(workHeight) / scale)
                guard levelWidth >= detector.cascade.windowWidth, levelHeight >= detector.cascade.windowHeight else { break }
                // The scales multiplied in turn from 1 either way, so a level kept is the same level.
                if Double(detector.cascade.windowWidth) * scale >= minimumWindowWidth { levels.append((scale, levelWidth, levelHeight)) }
                scale *= detector.configuration.scaleFactor
            }
            self.levels = levels
            // Every level's summed-area tables use the working plane's stride, so the cascade's corner
            // offsets are computed once per request, not once per level (~25 levels); a level only
            // fills and reads the first `levelWidth + 1` entries of each row.
            evaluation = CascadeEvaluation(detector.cascade, stride: workWidth + 1)
            hits = .allocate(capacity: levels.count)
            hits.initialize(repeating: [])
        }

        deinit {
            hits.deinitialize()
            hits.deallocate()
        }

        /// Scans levels until none is left untaken (none at all when other threads took them all).
        /// - Throws: `analysis_allocation_failed` when its level plane or tables cannot be had.
        func scan() throws(LetheError) {
            var index = nextLevel.wrappingAdd(1, ordering: .relaxed).oldValue
            guard index < levels.count else { return }
            let tableStride = workWidth + 1
            // Each level's plane and summed-area tables in the largest level's (the working plane's) room.
            let level = try Plane<Float>(width: workWidth, height: workHeight, what: "the detector pyramid level", arena: arena)
            defer { level.release(to: arena) }
            let integral = try Plane<Double>(width: tableStride, height: workHeight + 1, what: "the integral image", arena: arena)
            defer { integral.release(to: arena) }
            let squared = try Plane<Double>(width: tableStride, height: workHeight + 1, what: "the squared integral image", arena: arena)
            defer { squared.release(to: arena) }
            let window = (width: detector.cascade.windowWidth, height: detector.cascade.windowHeight)
            let greyPlane = UnsafeBufferPointer(grey.pixels), levelPlane = level.pixels, sums = integral.pixels, squares = squared.pixels
            while index < levels.count {
                let (scale, levelWidth, levelHeight) = levels[index]
                FaceDetector.resample(
                    greyPlane, width: workWidth, height: workHeight,
                    into: levelPlane, width: levelWidth, height: levelHeight)
                FaceDetector.integrate(levelPlane, width: levelWidth, height: levelHeight, stride: tableStride, sums: sums, squares: squares)
                let step = scale > 2 ? 1 : 2
                var found: [Hit] = []
                evaluation.withWindowTest(sums: sums, squares: squares) { passes, passes4 in
                    let lastX = levelWidth - window.width
                    for y in stride(from: 0, through: levelHeight - window.height, by: step) {
                        // A request past its deadline stops here; the pipeline reports it.
                        if ProcessingDeadline.currentThreadDeadlinePassed { break }
                        // Four neighbouring windows at a time, then the row's last ones alone:
                        // the same windows, the same decisions, in the same order.
                        var x = 0
                        while x + 3 * step <= lastX {
                            let passed = passes4(x, y, step)
                            if any(passed) {
                                for lane in 0..<4 where passed[lane] {
                                    found.append((Double(x + lane * step) * scale, Double(y) * scale, Double(window.width) * scale))
                                }
                            }
                            x += 4 * step
                        }
                        for x in stride(from: x, through: lastX, by: step) where passes(x, y) {
                            found.append((Double(x) * scale, Double(y) * scale, Double(window.width) * scale))
                        }
                    }
                }
                hits[index] = found
                index = nextLevel.wrappingAdd(1, ordering: .relaxed).oldValue
            }
        }

        /// The grouped detections of every level's hits, in photo pixels, largest first.
        func faces() -> [FaceDetection] {
            let cascade = detector.cascade
            let aspect = Double(cascade.windowHeight) / Double(cascade.windowWidth)
            let grouped = HitGrouping.group(
                hits.flatMap { $0 }.map { HitGrouping.Box(x: $0.x, y: $0.y, width: $0.size, height: $0.size * aspect) },
                minNeighbours: detector.configuration.minNeighbours, epsilon: detector.configuration.groupingEpsilon)
            let f = Double(factor)
            return grouped.map { box in
                FaceDetection(
                    box: PixelRect(
                        x: Int((box.x * f).rounded()), y: Int((box.y * f).rounded()),
                        width: Int((box.width * f).rounded()), height: Int((box.height * f).rounded())),
                    neighbours: box.count)
            }.sorted { $0.box.width > $1.box.width }
        }

        /// Wipes the grey plane.
        func release() {
            grey.release(to: arena)
        }
    }

    /// `plane` turned about its centre so that what stood rolled by `roll` radians stands upright:
    /// each pixel q of `turned` reads `plane` at centre + R(roll)·(q − centre), bilinear, 0 outside.
    static func turn(_ plane: UnsafeBufferPointer<Float>, by roll: Double, into turned: UnsafeMutableBufferPointer<Float>, width: Int, height: Int) {
        let (cosine, sine) = (cos(roll), sin(roll))
        let (centreX, centreY) = (Double(width) / 2, Double(height) / 2)
        for row in 0..<height {
            for column in 0..<width {
                let (x, y) = (Double(column) + 0.5 - centreX, Double(row) + 0.5 - centreY)
                // The source position in pixel-centre coordinates.
                let sourceX = centreX + cosine * x - sine * y - 0.5, sourceY = centreY + sine * x + cosine * y - 0.5
                guard sourceX >= 0, sourceY >= 0, sourceX <= Double(width - 1), sourceY <= Double(height - 1) else {
                    turned[row * width + column] = 0
                    continue
                }
                let x0 = min(Int(sourceX), width - 2), y0 = min(Int(sourceY), height - 2)
                let fx = Float(sourceX - Double(x0)), fy = Float(sourceY - Double(y0))
                let i = y0 * width + x0
                let top = plane[i] * (1 - fx) + plane[i + 1] * fx, bottom = plane[i + width] * (1 - fx) + plane[i + width + 1] * fx
                turned[row * width + column] = top * (1 - fy) + bottom * fy
            }
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
