import LetheAPI
@testable import LetheAnalysis
import LetheMemory
import Testing

/// Issue 15 (memory): what one request holds at once. Under load a request computes on one thread
/// (`RequestThreads`: no helper while every core has a request), so an engine's peak is the
/// largest step of the skin measures. Alone, the lines come last, on L*, the skin mask and the
/// zones: their five planes and byte plane never sit beside the working image's colour planes or the marks'
/// contrast; the marks' contrast holds three planes (its flood fill queued in the structure
/// plane, its box filter on rows), and the texture band is made once the marks' planes are gone.
@Suite("Plane budget")
struct PlaneBudgetTests {
    @Test("on one thread the skin measures hold at most the working image, three planes, a mask and a box filter's rows at once")
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
        // L*, a*, b* and the erythema index, and the skin mask.
        let workingImage = 4 * plane + pixels
        let rows = PlaneFilters.boxBlurScratchCount(width: image.width, height: image.height, radius: LineDetector.maximumRadius)
            * MemoryLayout<Float>.stride
        let peak = arena.peakBytesHeld - before
        print("plane budget: peak \(peak) bytes beyond the photo = working image + \(Double(peak - workingImage) / Double(plane)) planes")
        // The marks' (and the papules') contrast beside the working image.
        #expect(peak >= workingImage + 3 * plane)
        // Their member mask and a box filter's rows (the ridge smoothing's), or the lines' two
        // rings of rows beside L*, the mask and five planes and a byte plane; never a fourth plane
        // beside the working image (until 2026-12-06: six, the lines' planes).
        #expect(peak <= workingImage + 3 * plane + pixels + 2 * rows)
        #expect(peak < workingImage + 4 * plane)
    }

    @Test("the line detector holds five float planes, its vesselness levels as bytes and two rings of rows")
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
        #expect(counts.sorted() == ([pixels, rows, rows] + Array(repeating: plane, count: 5)).sorted())
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
