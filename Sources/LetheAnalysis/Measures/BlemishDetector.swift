import LetheAPI
import LetheMemory

/// Red papules (inflamed acne lesions, blemishes): roundish marks whose a* stands above the
/// surrounding skin's and whose size is that of a papule. The same two-round normalised
/// convolution as the dark marks (`LocalContrast`), on a* instead of L*: the background a* of the
/// skin around, without the red marks themselves; pixels ≥ `contrastAStar` above it form 4-connected
/// marks; a mark is a papule when it is 1–5 mm across (equivalent disc), roundish (elongation ≤ 2),
/// mostly surrounded by skin and, on faces, wholly inside the zones (lips, nostrils and the eyes'
/// rims are red too, but excluded). Only per-mark sums are kept, never pixels.
enum BlemishDetector {
    /// - Returns: the red marks that are papules, in working pixels.
    static func detect(
        _ work: WorkingImage, workingMillimetres: Double?, configuration: BlemishDetectionConfiguration, arena: PlaintextArena
    ) throws(LetheError) -> [Mark] {
        let (smallest, largest) = workingMillimetres.map {
            (configuration.minimumDiameterMillimetres / $0, configuration.maximumDiameterMillimetres / $0)
        } ?? (configuration.minimumDiameterPixels / work.factor, configuration.maximumDiameterPixels / work.factor)
        let radius = backgroundRadius(largestDiameter: largest, width: work.width, height: work.height)
        let threshold = Float(configuration.contrastAStar)
        let contrast = try LocalContrast.compute(work, radius: radius, excludeAbove: threshold * 0.8, useSkinMask: true, plane: 1, arena: arena)
        defer { contrast.release(arena) }
        let (marks, members) = try MarkDetector.detect(
            contrast: contrast, polarity: .bright, threshold: threshold, within: PixelRect(width: work.width, height: work.height),
            skin: UnsafeBufferPointer(work.skin.pixels), minimumArea: 3, zones: work.zones.map { UnsafeBufferPointer($0.pixels) },
            candidates: .init(maximumDiameter: largest), arena: arena)
        members.release(to: arena)
        return marks.filter { mark in
            if work.zones != nil, mark.pixelsOutsideZones > 0 { return false }
            let diameter = mark.equivalentDiameter
            return diameter >= smallest && diameter <= largest && mark.elongation <= configuration.maxElongation
                && mark.surroundingSkinFraction >= 0.5
        }
    }

    /// The radius of the papules' local background: beyond the largest papule (working pixels
    /// across), as the dark marks' reaches beyond the largest spot; at least 4, at most half the
    /// short side.
    static func backgroundRadius(largestDiameter: Double, width: Int, height: Int) -> Int {
        min(max(4, Int(largestDiameter.rounded(.up))), max(2, min(width, height) / 2))
    }
}
