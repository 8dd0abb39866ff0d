import LetheAPI
@testable import LetheAnalysis
import LetheMemory
import Testing

/// Issue 15 (memory): what one request holds at once. Under load a request computes on one thread
/// (`RequestThreads`: no helper while every core has a request), so an engine's peak is the
/// largest step of the skin measures. Alone, the lines come last, on L*, the skin mask and the
/// zones: their four planes and two byte planes never sit beside the working image's colour planes or the
/// marks' contrast; the marks' contrast holds two planes (its flood fill queued in a ring of its own,
/// its box filter on rows, its blocks in a buffer of their own), the evenness band's blocks then
/// take the contrast's smoothed plane and the ridges after them, and the texture band is made
/// once the marks' planes are gone.
@Suite("Plane budget")
struct PlaneBudgetTests {
    @Test("on one thread the skin measures hold at most the lines' step or the working image, two planes and a mask, with rows, a ring and blocks")
    func skinMeasuresPeak() throws {
        let skin = WrinkledSkin(seed: 36, lineCount: 4)
        let arena = PlaintextArena()
        defer { _ = arena.wipeAll() }
        let image = try skin.render(arena: arena)
        let before = arena.bytesHeld
        let whole = PixelRect(width: image.width, height: image.height)
        let measured = try SkinConcernMeasurer.measure(
            image, crop: whole, factor: 1, regions: [NamedRegion(name: "image", rect: whole)], millimetresPerPixel: skin.millimetresPerPixel,
            configuration: SkinMeasureConfiguration(), arena: arena)
        // The lines were measured (0.1 mm per pixel resolves them), so their planes were held.
        #expect(measured.first?.concerns.wrinkles.lineCount == skin.lines.count)
        let pixels = image.width * image.height, plane = pixels * MemoryLayout<Float>.stride
        // L* (floats), a*, b* and the erythema index (16-bit codes), and the skin mask.
        let workingImage = plane + 3 * pixels * MemoryLayout<Int16>.stride + pixels
        // The marks' (and the papules') contrast and mask beside the working image, or the regions'
        // background, ridges and mark mask; the lines' four planes and two byte planes beside L* and the mask.
        let marksStep = workingImage + 2 * plane + pixels, linesStep = 5 * plane + 3 * pixels
        let rows = PlaneFilters.boxBlurScratchCount(width: image.width, height: image.height, radius: LineDetector.maximumRadius)
            * MemoryLayout<Float>.stride
        let peak = arena.peakBytesHeld - before
        print("plane budget: peak \(peak) bytes beyond the photo = \(Double(peak) / Double(pixels)) bytes per pixel (marks' step \(marksStep / pixels), lines' \(linesStep / pixels))")
        #expect(peak >= max(marksStep, linesStep))
        // Beyond those, the marks' box filter rows, blocks and flood fill ring, or the lines' two
        // rings of rows, nothing else (until 2026-12-06 the contrast held a third plane, the flood
        // fill's queue, and before that the lines a sixth; until 2026-12-07 the colour planes and
        // the lines' normals were floats).
        let work = try WorkingImage.make(image, crop: whole, factor: 1, arena: arena)
        defer { work.release(arena) }
        let marks = SkinConcernMeasurer.skinMeasuresBufferCounts(
            work, spotMaxDiameter: SkinConcernMeasurer.spotMaxDiameter(
                workingMillimetres: skin.millimetresPerPixel, factor: 1, configuration: SkinMeasureConfiguration()))
        let marksBeyond = marks.reduce(0, +) - 2 * plane - pixels
        #expect(marksBeyond > 0 && marksBeyond < plane / 4)
        #expect(peak <= max(marksStep + marksBeyond, linesStep + 2 * rows))
    }

    @Test("the line detector holds four float planes, its vesselness levels and normals as bytes and two rings of rows")
    func lineDetectorPlanes() throws {
        let skin = WrinkledSkin(seed: 37, lineCount: 4)
        let arena = PlaintextArena()
        defer { _ = arena.wipeAll() }
        let image = try skin.render(arena: arena)
        let whole = PixelRect(width: image.width, height: image.height)
        let work = try WorkingImage.make(image, crop: whole, factor: 1, correction: nil, markClipped: true, arena: arena)
        defer { work.release(arena) }
        let configuration = SkinMeasureConfiguration().lines
        let counts = LineDetector.bufferCounts(work, workingMillimetres: skin.millimetresPerPixel, configuration: configuration)
        let pixels = work.pixelCount, plane = pixels * MemoryLayout<Float>.stride
        let rows = counts.last ?? 0
        #expect(counts.sorted() == ([pixels, pixels, rows, rows] + Array(repeating: plane, count: 4)).sorted())
        #expect(rows > 0 && rows < plane)
        let before = arena.bytesHeld
        let lines = try LineDetector.detect(work, workingMillimetres: skin.millimetresPerPixel, configuration: configuration, arena: arena)
        #expect(lines.count == skin.lines.count)
        // What `detect` holds at its peak is what `bufferCounts` says (the pool is trimmed to it).
        #expect(arena.peakBytesHeld - before == counts.reduce(0, +))
        #expect(arena.bytesHeld == before)
    }

    @Test("a pixel's vesselness levels are the thresholds it reaches, whichever is larger")
    func vesselnessLevels() {
        var configuration = SkinMeasureConfiguration().lines
        configuration.lowVesselness = 0.1
        configuration.highVesselness = 0.3
        #expect(LineDetector.VesselnessLevel.bits(0.05, configuration: configuration) == 0)
        #expect(LineDetector.VesselnessLevel.bits(0.1, configuration: configuration) == LineDetector.VesselnessLevel.low)
        #expect(LineDetector.VesselnessLevel.bits(0.3, configuration: configuration) == LineDetector.VesselnessLevel.low | LineDetector.VesselnessLevel.high)
        // A high threshold below the low one: a pixel past it alone is no centreline.
        configuration.highVesselness = 0.05
        #expect(LineDetector.VesselnessLevel.bits(0.07, configuration: configuration) == LineDetector.VesselnessLevel.high)
    }
}
