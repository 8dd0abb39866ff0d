import LetheAPI
import LetheImaging
import LetheMemory
@testable import LetheAnalysis
import Testing

/// The dark marks' per-pixel measures (colour sums, the skin around them) are taken only of the
/// marks the caller classifies further (`MarkDetector.detect(candidates:)`): a face's hair, brows
/// and background are dark marks too, of most of the marked pixels, and never spots.
@Suite("Mark candidates")
struct MarkCandidatesTests {
    /// Skin-coloured, with a dark disc (radius 4) and a dark block (60 × 40) on it, and a grey
    /// band (not skin) along the right edge, within the block's surroundings.
    static func marked(arena: PlaintextArena) throws -> WorkingImage {
        let image = try SyntheticImages.make(width: 200, height: 160, arena: arena) { x, y in
            let inDisc = (x - 50) * (x - 50) + (y - 50) * (y - 50) <= 16
            let inBlock = (110..<170).contains(x) && (90..<130).contains(y)
            if x >= 185 { return RGB(200, 200, 200) }
            return inDisc || inBlock ? RGB(120, 80, 60) : RGB(220, 170, 140)
        }
        defer { arena.release(image.pixels) }
        return try WorkingImage.make(image, crop: PixelRect(width: 200, height: 160), factor: 1, arena: arena)
    }

    /// The marks found with `candidates`, sorted by area.
    static func marks(candidates: MarkDetector.Candidates) throws -> [Mark] {
        let arena = PlaintextArena()
        defer { _ = arena.wipeAll() }
        let work = try marked(arena: arena)
        let contrast = try LocalContrast.compute(work, radius: 40, excludeAbove: 8, useSkinMask: false, arena: arena)
        let (marks, members) = try MarkDetector.detect(
            contrast: contrast, polarity: .dark, threshold: 10, within: PixelRect(width: work.width, height: work.height),
            skin: UnsafeBufferPointer(work.skin.pixels), minimumArea: 3, colour: work.colour, candidates: candidates,
            arena: arena)
        members.release(to: arena)
        return marks.sorted { $0.area < $1.area }
    }

    @Test("a candidate's colour sums and surroundings are as without the rule; a mark that is none keeps 0 and 1")
    func onlyCandidatesMeasured() throws {
        let every = try Self.marks(candidates: .all)
        let small = try Self.marks(candidates: .init(maximumDiameter: 20))
        #expect(every.count == 2 && small.count == 2, "\(every.map(\.area)) and \(small.map(\.area))")
        guard every.count == 2, small.count == 2 else { return }
        // The disc: measured the same either way.
        #expect(small[0].area == every[0].area && small[0].sumMelaninIndex == every[0].sumMelaninIndex)
        #expect(small[0].sumErythemaIndex == every[0].sumErythemaIndex && small[0].surroundingSkinFraction == every[0].surroundingSkinFraction)
        #expect(every[0].sumMelaninIndex != 0 && every[0].sumErythemaIndex != 0)
        // The block: measured only when it is a candidate.
        #expect(small[1].area == every[1].area && every[1].equivalentDiameter > 20)
        #expect(every[1].sumMelaninIndex != 0 && every[1].sumErythemaIndex != 0 && every[1].surroundingSkinFraction != 1, "\(every[1].surroundingSkinFraction)")
        #expect(small[1].sumMelaninIndex == 0 && small[1].sumErythemaIndex == 0 && small[1].surroundingSkinFraction == 1)
    }
}
