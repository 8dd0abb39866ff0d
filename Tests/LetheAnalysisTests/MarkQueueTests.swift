import LetheAPI
import LetheImaging
import LetheMemory
@testable import LetheAnalysis
import Testing

/// The mark detector's flood fill queues a mark's frontier in a ring of its own, a few times the
/// image's perimeter (`MarkDetector.queueCapacity`), not a plane: a frontier wider than the ring
/// leaves pixels unqueued, and the mark is completed from its edge. Either way the marks are the
/// same pixels, so the same counts and sums.
@Suite("Mark queue")
struct MarkQueueTests {
    /// Skin-coloured, with a dark comb (a spine and 30 teeth: its frontier, filled from the spine's
    /// end, is a pixel of every tooth at once) and a dark disc of radius 4.
    static func combed(arena: PlaintextArena) throws -> WorkingImage {
        let image = try SyntheticImages.make(width: 200, height: 160, arena: arena) { x, y in
            let spine = (20..<180).contains(x) && (20..<24).contains(y)
            let tooth = (20..<180).contains(x) && x % 5 < 2 && (24..<120).contains(y)
            let disc = (x - 100) * (x - 100) + (y - 140) * (y - 140) <= 16
            return spine || tooth || disc ? RGB(120, 80, 60) : RGB(220, 170, 140)
        }
        defer { arena.release(image.pixels) }
        return try WorkingImage.make(image, crop: PixelRect(width: 200, height: 160), factor: 1, arena: arena)
    }

    /// The marks (sorted by their first pixel) and the member mask, found with a ring of `capacity`.
    static func detect(capacity: Int?, colour: Bool, candidates: MarkDetector.Candidates = .all) throws -> ([Mark], [UInt8]) {
        let arena = PlaintextArena()
        defer { _ = arena.wipeAll() }
        let work = try combed(arena: arena)
        let contrast = try LocalContrast.compute(work, radius: 40, excludeAbove: 8, useSkinMask: false, arena: arena)
        defer { contrast.release(arena) }
        let (marks, members) = try MarkDetector.detect(
            contrast: contrast, polarity: .dark, threshold: 10, within: PixelRect(width: work.width, height: work.height),
            skin: UnsafeBufferPointer(work.skin.pixels), minimumArea: 3, colour: colour ? work.colour : nil,
            candidates: candidates, queueCapacity: capacity, arena: arena)
        defer { members.release(to: arena) }
        let mask = Array(members.pixels)
        return (marks.sorted { $0.firstPixel < $1.firstPixel }, mask)
    }

    static func sameGeometry(_ a: Mark, _ b: Mark) -> Bool {
        a.area == b.area && a.firstPixel == b.firstPixel && a.sumX == b.sumX && a.sumY == b.sumY && a.sumXX == b.sumXX
            && a.sumYY == b.sumYY && a.sumXY == b.sumXY && a.minX == b.minX && a.maxX == b.maxX && a.minY == b.minY && a.maxY == b.maxY
            && abs(a.sumContrast - b.sumContrast) <= 1e-9 * abs(a.sumContrast)
    }

    @Test("a ring a few entries long finds the same marks, pixel for pixel, as the default one")
    func overflowingRing() throws {
        let (whole, wholeMask) = try Self.detect(capacity: nil, colour: false)
        let (tiny, tinyMask) = try Self.detect(capacity: 4, colour: false)
        #expect(whole.count == 2, "\(whole.map(\.area))")
        // The comb: its spine and teeth (a frontier of ~30 pixels against a ring of 4).
        #expect(whole.map(\.area).max() ?? 0 > 160 * 4 + 32 * 96)
        #expect(whole.count == tiny.count && zip(whole, tiny).allSatisfy(Self.sameGeometry))
        // The mask: the same pixels, 1 each (the mark being filled is 2 only until it is done).
        #expect(wholeMask == tinyMask && Set(wholeMask) == [0, 1])
    }

    @Test("with colour sums the ring holds the largest candidate, whose sums are as with a ring of the whole image")
    func candidateFitsRing() throws {
        let candidates = MarkDetector.Candidates(maximumDiameter: 10)
        let disc = try Self.detect(capacity: candidates.maximumArea(pixels: 200 * 160), colour: true, candidates: candidates)
        let whole = try Self.detect(capacity: 200 * 160, colour: true, candidates: candidates)
        #expect(disc.0.count == 2 && whole.0.count == 2 && zip(disc.0, whole.0).allSatisfy(Self.sameGeometry))
        guard let small = disc.0.first(where: { $0.area < 80 }), let reference = whole.0.first(where: { $0.area < 80 }) else {
            Issue.record("no disc among \(disc.0.map(\.area))")
            return
        }
        #expect(small.sumMelaninIndex != 0 && small.sumMelaninIndex == reference.sumMelaninIndex)
        #expect(small.sumErythemaIndex == reference.sumErythemaIndex)
        // The default ring is sized for the candidates: at least the disc of the largest.
        #expect(MarkDetector.queueCapacity(width: 200, height: 160, candidateArea: candidates.maximumArea(pixels: 200 * 160)) >= 79)
        #expect(candidates.maximumArea(pixels: 200 * 160) == 79 && MarkDetector.Candidates.all.maximumArea(pixels: 100) == 100)
    }
}
