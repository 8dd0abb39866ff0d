import LetheAPI
@testable import LetheAnalysis
import LetheMemory
import Testing

/// Issue 15 (memory): what one request holds at once. Under load a request computes on one thread
/// (`RequestThreads`: no helper while every core has a request), so an engine's peak is the
/// largest step of the skin measures: it must be the line detector's six planes and its two rings of rows beside
/// the working image — the papules, the texture band and the marks each hold less — not the
/// marks' and the papules' contrast planes side by side, nor a seventh plane for the lines'
/// box filter.
@Suite("Plane budget")
struct PlaneBudgetTests {
    @Test("on one thread the skin measures hold at most the working image, six planes and two box filters' rows at once")
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
        #expect(peak >= workingImage + 6 * plane)
        // The lines' two rings of rows (the smoothed L* and the weights blur side by side when a core is free).
        #expect(peak <= workingImage + 6 * plane + 2 * rows)
    }
}
