import LetheAPI
@testable import LetheAnalysis
import LetheMemory
import Testing

/// Issue 15 (memory): what one request holds at once. Under load a request computes on one thread
/// (`RequestThreads`: no helper while every core has a request), so an engine's peak is the
/// largest step of the skin measures. Alone, the lines come last, on L*, the skin mask and the
/// zones: their six planes never sit beside the working image's colour planes or the marks'
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
        // rings of rows beside L*, the mask and six planes; never a fourth plane beside the
        // working image (until 2026-12-06: six, the lines' planes).
        #expect(peak <= workingImage + 3 * plane + pixels + 2 * rows)
        #expect(peak < workingImage + 4 * plane)
    }
}
