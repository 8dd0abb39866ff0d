@testable import LetheAnalysis
import LetheImaging
import LetheMemory
import LetheTestSupport
import Testing

/// The face detector's pyramid levels share one summed-area-table stride (the working plane's), so
/// that the cascade's corner offsets are built once per request: a level's tables and window
/// decisions must be those of tables laid out at the level's own width.
@Suite("Face detector tables")
struct FaceDetectorTableTests {
    @Test("a wider stride gives every level the same sums and the same windows", arguments: [(24, 24), (40, 31), (57, 44)])
    func widerStrideSameWindows(width: Int, height: Int) throws {
        let cascade = try FaceAnalysisTests.detector().cascade
        var random = SeededGenerator(seed: UInt64(width * 100 + height))
        var plane = (0..<(width * height)).map { _ in Float.random(in: 0...255, using: &random) }
        let wideStride = width + 1 + 37
        var tight = [Double](repeating: .nan, count: (width + 1) * (height + 1)), tightSquares = tight
        var wide = [Double](repeating: .nan, count: wideStride * (height + 1)), wideSquares = wide
        var passesTight: [Bool] = [], passesWide: [Bool] = []
        plane.withUnsafeMutableBufferPointer { plane in
            tight.withUnsafeMutableBufferPointer { sums in
                tightSquares.withUnsafeMutableBufferPointer { squares in
                    FaceDetector.integrate(plane, width: width, height: height, stride: width + 1, sums: sums, squares: squares)
                    CascadeEvaluation(cascade, stride: width + 1).withWindowTest(sums: sums, squares: squares) { passes, _ in
                        for y in 0...(height - cascade.windowHeight) { for x in 0...(width - cascade.windowWidth) { passesTight.append(passes(x, y)) } }
                    }
                }
            }
            wide.withUnsafeMutableBufferPointer { sums in
                wideSquares.withUnsafeMutableBufferPointer { squares in
                    FaceDetector.integrate(plane, width: width, height: height, stride: wideStride, sums: sums, squares: squares)
                    CascadeEvaluation(cascade, stride: wideStride).withWindowTest(sums: sums, squares: squares) { passes, _ in
                        for y in 0...(height - cascade.windowHeight) { for x in 0...(width - cascade.windowWidth) { passesWide.append(passes(x, y)) } }
                    }
                }
            }
        }
        for y in 0...height {
            #expect(tight[(y * (width + 1))..<((y + 1) * (width + 1))].map(\.bitPattern)
                == wide[(y * wideStride)..<(y * wideStride + width + 1)].map(\.bitPattern))
            #expect(tightSquares[(y * (width + 1))..<((y + 1) * (width + 1))].map(\.bitPattern)
                == wideSquares[(y * wideStride)..<(y * wideStride + width + 1)].map(\.bitPattern))
        }
        #expect(passesTight == passesWide)
        #expect(passesTight.count == (width - cascade.windowWidth + 1) * (height - cascade.windowHeight + 1))
    }

    @Test("four neighbouring windows tested at once decide as each tested alone, at steps 1 and 2, faces included", arguments: [1, 2])
    func fourWindowsAtOnce(step: Int) throws {
        let detector = try FaceAnalysisTests.detector()
        let cascade = detector.cascade
        let arena = PlaintextArena()
        defer { _ = arena.wipeAll() }
        let image = try SyntheticImages.decodeFixture("astronaut.png", arena: arena)
        let search = try #require(try detector.search(in: image, arena: arena))
        defer { search.release() }
        let (workWidth, workHeight) = (search.workWidth, search.workHeight)
        var alone: [Bool] = [], together: [Bool] = []
        // Every level of the pyramid, as the search scans them: the face is found at some of them.
        for level in search.levels {
            let (width, height) = (level.width, level.height)
            var plane = [Float](repeating: 0, count: width * height)
            var sums = [Double](repeating: 0, count: (workWidth + 1) * (height + 1)), squares = sums
            plane.withUnsafeMutableBufferPointer { plane in
                FaceDetector.resample(UnsafeBufferPointer(search.grey.pixels), width: workWidth, height: workHeight, into: plane, width: width, height: height)
                sums.withUnsafeMutableBufferPointer { sums in
                    squares.withUnsafeMutableBufferPointer { squares in
                        FaceDetector.integrate(plane, width: width, height: height, stride: workWidth + 1, sums: sums, squares: squares)
                        search.evaluation.withWindowTest(sums: sums, squares: squares) { passes, passes4 in
                            for y in 0...(height - cascade.windowHeight) {
                                var x = 0
                                while x + 3 * step <= width - cascade.windowWidth {
                                    let four = passes4(x, y, step)
                                    for lane in 0..<4 {
                                        together.append(four[lane])
                                        alone.append(passes(x + lane * step, y))
                                    }
                                    x += 4 * step
                                }
                            }
                        }
                    }
                }
            }
        }
        #expect(together == alone)
        // The portrait's face passes every stage in some windows: the deep stages were compared too.
        #expect(alone.contains(true) && alone.count > 10_000, "\(alone.filter { $0 }.count) of \(alone.count) windows passed")
    }

    @Test("two threads sharing one search find the detections one thread finds, and every plane is wiped")
    func sharedSearchSameFaces() async throws {
        let detector = try FaceAnalysisTests.detector()
        let arena = PlaintextArena()
        let image = try SyntheticImages.decodeFixture("astronaut.png", arena: arena)
        let alone = try detector.detect(in: image, arena: arena)
        for _ in 0..<5 {
            let search = try #require(try detector.search(in: image, arena: arena))
            // The second thread starts while the first is scanning: each takes levels as they come.
            async let other: Void = Task.detached { try search.scan() }.value
            try search.scan()
            try await other
            #expect(search.faces() == alone)
            search.release()
        }
        #expect(alone.count == 1)
        #expect(arena.bytesHeld == image.pixels.count)
        #expect(arena.wipeAll().verified)
    }

    @Test("a minimum width leaves out the levels whose window is narrower, first ones only, and finds the face found without it")
    func minimumWidthSkipsSmallWindows() throws {
        let detector = try FaceAnalysisTests.detector()
        let arena = PlaintextArena()
        defer { _ = arena.wipeAll() }
        let image = try SyntheticImages.decodeFixture("astronaut.png", arena: arena)
        // On this 512-pixel portrait the face rules' narrowest (38 px, 7.5 % of the width) is below
        // the first level's window (2 × 24 px); 60 px leaves out three levels, and the face is 103 px.
        #expect(FaceAnalyzer.narrowestConsidered(imageWidth: image.width, FaceAnalysisConfiguration()) == 38.4)
        let narrowest = 60.0
        let every = try #require(try detector.search(in: image, arena: arena))
        let wide = try #require(try detector.search(in: image, minimumWidth: narrowest, arena: arena))
        defer { every.release(); wide.release() }
        let windowWidth = Double(detector.cascade.windowWidth)
        // The same pyramid from its first wide-enough level on (OpenCV's `minSize`).
        let skipped = every.levels.count - wide.levels.count
        #expect(skipped > 0)
        #expect(wide.levels.map(\.scale) == every.levels.dropFirst(skipped).map(\.scale))
        #expect(every.levels.prefix(skipped).allSatisfy { windowWidth * $0.scale * Double(every.factor) < narrowest })
        #expect(wide.levels.allSatisfy { windowWidth * $0.scale * Double(wide.factor) >= narrowest })
        try every.scan()
        try wide.scan()
        #expect(wide.faces() == every.faces().filter { Double($0.box.width) >= narrowest })
        #expect(wide.faces().count == 1)
    }
}
