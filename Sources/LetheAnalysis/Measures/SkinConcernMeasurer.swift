import Foundation
import LetheAPI
import LetheImaging
import LetheMemory

/// A named rectangle of the photo, in input pixels.
public struct NamedRegion: Sendable, Equatable {
    public var name: String
    public var rect: PixelRect
    /// Faces: the zone label the region's pixels carry (`WorkingImage.zones`); 0 = every pixel of `rect`.
    public var zone: UInt8

    public init(name: String, rect: PixelRect, zone: UInt8 = 0) {
        self.name = name
        self.rect = rect
        self.zone = zone
    }
}

/// Measures tone, redness and the skin concerns of several regions of one photo in a few passes:
/// working image (CIELAB planes, skin mask) → local contrast → dark marks (spots, pores) →
/// ridge-smoothed L* → one pair of loops per region. Every plane is an arena buffer released
/// before returning.
enum SkinConcernMeasurer {
    enum MarkKind { case pore, spot, other }

    /// - Parameters:
    ///   - face: the face's geometry (`kind=face`): the skin mask and the regions become the face
    ///     zones'; without it, highlights enclosed by skin count as skin surface.
    ///   - colour: the photo's colour correction and how its tone is reported; nil = uncalibrated.
    ///   - releasingPixels: wipe `image`'s pixels through `arena` as soon as the working image is
    ///     cut from them (the caller needs them no more), so they are not alive through the
    ///     measures, and give the heap's free pages back to the kernel then.
    static func measure(
        _ image: DecodedImage, crop: PixelRect, factor: Double, regions: [NamedRegion], millimetresPerPixel: Double?,
        configuration: SkinMeasureConfiguration, face: FaceGeometry? = nil, colour: PhotoColour? = nil, releasingPixels: Bool = false,
        arena: PlaintextArena
    ) throws(LetheError) -> [RegionMeasures] {
        try measureWithSkinColours(
            image, crop: crop, factor: factor, regions: regions, millimetresPerPixel: millimetresPerPixel, configuration: configuration,
            face: face, colour: colour, releasingPixels: releasingPixels, arena: arena).measures
    }

    /// `measure`, and for a face each zone's median CIELAB over all its skin pixels, marks included
    /// (a dark circle is larger and darker than the mark threshold, so the clear-skin tone would
    /// leave it out), clipped pixels in L* alone (`RegionStatistics.skinMedianColour`; nil elsewhere),
    /// and for a face the share of its skin surface that clipped (`WorkingImage.clippedSkinFraction`).
    /// `photoSize`: the whole photo's, when `image` is a window of it (`DecodedImage.frame`).
    /// - Parameters:
    ///   - clippedSkinLimit: a face whose clipped share is above it is refused before it is
    ///     measured (a device profile's `max_clipped_skin_fraction`).
    ///   - labelling: also return the pixels each measure counted (`ConcernLabels`), drawn as
    ///     they are counted, for the simulations; the caller releases them.
    ///   - coveredZoneLimit: a face's zones covered past it (`RegionMeasures.isCovered`), which
    ///     the caller leaves unmeasured, are left out of the labels too: the simulations leave them
    ///     as they are.
    ///   - lensZones: a face's zones seen through eyeglasses (`Eyeglasses`): every pixel of theirs
    ///     covers the skin (`WorkingImage.applyFaceZones`).
    /// - Throws: `lighting_too_bright` above `clippedSkinLimit`.
    static func measureWithSkinColours(
        _ image: DecodedImage, crop: PixelRect, factor: Double, regions: [NamedRegion], millimetresPerPixel: Double?,
        configuration: SkinMeasureConfiguration, face: FaceGeometry? = nil, colour: PhotoColour? = nil, releasingPixels: Bool = false,
        photoSize: (width: Int, height: Int)? = nil, clippedSkinLimit: Double? = nil, labelling: Bool = false, coveredZoneLimit: Double? = nil,
        lensZones: [String] = [], arena: PlaintextArena
    ) throws(LetheError) -> (measures: [RegionMeasures], skinColours: [CIELab?], clippedSkinFraction: Double?, labels: ConcernLabels?) {
        let photoSize = photoSize ?? (image.width, image.height)
        let colour = colour ?? .uncalibrated(configuration.uncalibratedTone)
        var work = try WorkingImage.make(image, crop: crop, factor: factor, correction: colour.correction, markClipped: true, arena: arena)
        defer { work.release(arena) }
        // The last read of the full-resolution pixels: from here on only the working image's
        // planes (a fraction of their size for a face) are needed. The heap's free pages go back
        // too: the decoders', the detector's and the mesh's blocks, freed (and zeroed) by now,
        // would otherwise stay resident under the measures' peak (−13 MB summed PSS at 4 devices).
        if releasingPixels {
            arena.release(image.pixels)
            MemoryBudget.returnFreeHeapToKernel()
        }
        if let face { try work.applyFaceZones(face, normaliseExposure: true, covering: lensZones, arena: arena) }
        let clippedSkin = work.clippedSkinFraction()
        if let clippedSkinLimit, let clippedSkin, clippedSkin > clippedSkinLimit {
            throw .skinClipped(fraction: clippedSkin, maximum: clippedSkinLimit)
        }
        let workingMillimetres = millimetresPerPixel.map { $0 * work.factor }
        let linesMeasurable = LineDetector.measurable(resolvedMillimetres: work.resolvedMillimetres(workingMillimetres), configuration: configuration.lines)
        // The profile's grey card is not skin: a mark on it (its edge against the skin) is no spot.
        let reference = colour.referenceRegion.map { region in
            let r = region.pixelRect(imageWidth: photoSize.width, imageHeight: photoSize.height)
            return work.workingRect(PixelRect(x: r.x0, y: r.y0, width: r.x1 - r.x0, height: r.y1 - r.y0))
        }
        // Simulations: the labels the regions' statistics draw into as they count, and the lines'
        // centrelines apart (the lines run beside the regions: no byte written from both threads).
        var labels: Plane<UInt8>?, centrelines: Plane<UInt8>?
        var labelled = false
        defer {
            centrelines?.release(to: arena)
            if !labelled { labels?.release(to: arena) }
        }
        if labelling {
            precondition(regions.count == 1 || regions.allSatisfy { $0.zone != 0 }, "labelled regions must not share pixels")
            labels = try Plane(width: work.width, height: work.height, what: "the concern labels", bufferClass: .rendering, arena: arena)
            if linesMeasurable { centrelines = try Plane(width: work.width, height: work.height, what: "the lines' centrelines", arena: arena) }
        }
        // What each region reads from the skin side's planes alone; a face's beside the lines too
        // (they finish after the rest: its regions fill the second core's wait). A close-up's
        // after the lines: the enclosed highlights are marked in the skin mask the lines read.
        func regionParts(_ skin: MeasuredSkin) -> Result<[RegionParts], LetheError> {
            Self.regionParts(regions, work: work, skin: skin, reference: reference, labels: labels, configuration: configuration, arena: arena)
        }
        // The regions' texture once the marks' planes are gone (`between` runs then, before the
        // band): the band's planes take their pages. Made before the marks, the band was held
        // beside them, and beside the lines too when the regions are measured beside them.
        func measureTexture(
            _ measured: MeasuredSkin, into parts: inout [RegionParts], between: () -> Void = {}
        ) throws(LetheError) {
            let contrast = measured.marks.contrast
            measured.marks.members.release(to: arena)
            contrast.smoothed.release(to: arena)
            between()
            guard let band = try textureBand(work, workingMillimetres: workingMillimetres, arena: arena) else { return }
            defer { band.release(to: arena) }
            for index in parts.indices {
                parts[index].roughness = TextureRoughness.roughness(
                    band: band, work: work, rect: parts[index].rect, zone: regions[index].zone, background: contrast.background,
                    specularMarginLStar: Float(configuration.specularMarginLStar))
            }
        }
        func detectLines() throws(LetheError) -> [LineDetector.Line] {
            // Lines finer than the pixels resolve are not looked for (`Wrinkles.notMeasurable`).
            guard linesMeasurable else { return [] }
            return try LineDetector.detect(
                work, workingMillimetres: workingMillimetres, configuration: configuration.lines, centrelines: centrelines, arena: arena)
        }
        // The wrinkle lines beside everything else that reads only the working image: the
        // papules, the texture band, the marks, the evenness band and the clear skin's median (the
        // marks' planes), and for a face its regions' statistics — side by side when the request
        // has a second core (`RequestThreads`). The lines take longer (on the benchmark photo
        // ~170 ms against ~90 ms before the regions, which took ~25 ms on both cores after the
        // lines). On one thread (under load, no core is free) the rest comes first and the lines
        // last, so that no step holds the lines' planes beside the working image's colour planes
        // or the marks' (below: `alone`). The simulations draw their labels from the marks and
        // the lines' centrelines at the end: for them the lines come first, as beside.
        let (linesBeside, skinFound) = RequestThreads.forkTellingBoth(
            { beside -> Result<[LineDetector.Line], LetheError>? in
                guard beside || labelling else { return nil }
                return Result { () throws(LetheError) in try detectLines() }
            },
            { beside in Result { () throws(LetheError) -> (MeasuredSkin, [RegionParts]?) in
                let alone = !beside && !labelling
                // Alone, the pool keeps no more wiped pages than the skin measures' largest step
                // takes beyond the working image (two contrast planes, their rows, a mask): a
                // photo decoded whole beside its overview (a free core at the decode, none now) left
                // its 36 MB of pixels kept, ~10 MB of them locked beside every step that follows.
                if alone {
                    arena.trimKeptPages(keepingFor: Self.skinMeasuresBufferCounts(
                        work, spotMaxDiameter: spotMaxDiameter(workingMillimetres: workingMillimetres, factor: work.factor, configuration: configuration)))
                }
                // Alone, no line reads the skin mask now: the close-up's enclosed highlights first, while
                // a plane for their queue costs least (the skin measures read `skinBit` alone).
                if alone, face == nil { try markEnclosedSurface(work, arena: arena) }
                // A face's regions beside the lines: their texture last, and every plane of the
                // skin side given back to the kernel once they are measured, not held beside the
                // lines' planes until the lines end (on the benchmark photo the arena's peak 111 →
                // 95 MB, the process's resident peak in process 191 → 184 MiB). Alone, the texture
                // after the colour planes are gone too (below). With labels, everything stays for them.
                let textureLast = alone || (face != nil && !labelling)
                let measured = try measureSkin(
                    work, face: face, workingMillimetres: workingMillimetres, textureBand: !textureLast, configuration: configuration, arena: arena)
                do throws(LetheError) {
                    guard face != nil || alone else { return (measured, nil) }
                    var parts = try regionParts(measured).get()
                    if textureLast, !alone {
                        try measureTexture(measured, into: &parts)
                        measured.release(arena)
                        arena.trimKeptPages(keepingFor: [])
                    }
                    return (measured, parts)
                } catch {
                    measured.release(arena)
                    throw error
                }
            } })
        if case .success(let measured) = skinFound, case .failure? = linesBeside { measured.0.release(arena) }
        let (measuredSkin, partsFound) = try skinFound.get()
        defer { measuredSkin.release(arena) }
        var partsEarly = partsFound
        let lines: [LineDetector.Line]
        if let linesBeside { lines = try linesBeside.get() } else if var parts = partsEarly {
            // Alone: every region measured but its texture. Nothing after reads the colour planes,
            // nor the marks' but the texture their background: the texture band is made now, its
            // three planes where theirs and the colour planes were, and last the lines, on L*, the
            // skin mask and the zones, the pool keeping no more wiped pages than they take. On the
            // benchmark photo the arena's largest step: 80 → 60 MB.
            try measureTexture(measuredSkin, into: &parts, between: { work.releaseColourPlanes(arena: arena) })
            measuredSkin.release(arena)
            partsEarly = parts
            if linesMeasurable {
                arena.trimKeptPages(keepingFor: LineDetector.bufferCounts(work, workingMillimetres: workingMillimetres, configuration: configuration.lines))
            }
            lines = try detectLines()
        } else {
            preconditionFailure("alone, the skin measures measure the regions")
        }
        // Close-ups: highlights enclosed by skin are skin surface. After the lines, which read the
        // same bytes (`skinBit` only: nothing measured before reads `surfaceBit`). Alone, done before.
        if face == nil, partsEarly == nil { try markEnclosedSurface(work, arena: arena) }
        let parts: [RegionParts]
        if let partsEarly { parts = partsEarly } else { parts = try regionParts(measuredSkin).get() }
        // In input pixels: an enlarged face needs the same photo resolution as one taken as it is.
        let textureRequirement = workingMillimetres.map { _ in TextureRoughness.requiredMillimetresPerPixel(factor: max(1, work.factor)) }
        let lineRequirement = workingMillimetres.map { _ in
            LineDetector.requiredMillimetresPerPixel(factor: max(1, work.factor), configuration: configuration.lines)
        }
        let measured: [(RegionMeasures, CIELab?)] = zip(regions, parts).map { region, part in
            let rect = part.rect
            let regionLines = lines.filter { line in
                region.zone == 0
                    ? line.centroidX >= Double(rect.x) && line.centroidX < Double(rect.x + rect.width)
                        && line.centroidY >= Double(rect.y) && line.centroidY < Double(rect.y + rect.height)
                    : line.zone == region.zone
            }
            // Length: every line's part inside the zone (additive over zones); count: the lines the zone holds most of.
            let lineLength = region.zone == 0
                ? regionLines.reduce(0) { $0 + $1.lengthPixels } : lines.reduce(0) { $0 + $1.lengthPixels(inZone: region.zone) }
            let stats = part.stats
            let skinColour = stats.skinMedianColour.map { work.photoColour(CIELab(l: Double($0.x), a: Double($0.y), b: Double($0.z))) }
            return (makeResult(
                region: region.name, rect: rect, work: work, stats: stats, marks: part.marks,
                lines: linesMeasurable ? (regionLines.count, lineLength) : nil, lineRequirement: lineRequirement,
                papules: part.papules,
                texture: SkinConcerns.Texture(roughnessLStar: part.roughness, requiredMillimetresPerPixel: textureRequirement),
                workingMillimetres: workingMillimetres, tone: colour.tone, zoneReference: measuredSkin.clearSkinMedian, configuration: configuration), skinColour)
        }
        let covered = coveredZoneLimit.map { limit in zip(regions, measured).filter { $1.0.isCovered(limit: limit) }.map(\.0.zone) } ?? []
        let drawn = labels.map { labels in
            // The marks a region counted, filled with their queue in the ridges' plane (read by the regions' statistics alone).
            ConcernLabels.finish(
                labels, work: work, detected: measuredSkin.marks, counted: Set(parts.flatMap(\.markIndices)).sorted(),
                centrelines: centrelines, centrelineBit: 1, queue: measuredSkin.marks.contrast.smoothed)
            if !covered.isEmpty, let zones = work.zones?.pixels {
                for i in 0..<work.pixelCount where covered.contains(zones[i]) { labels.pixels[i] = 0 }
            }
            let clear = zip(regions, parts).filter { !covered.contains($0.0.zone) }.map(\.1.stats).filter { $0.clearCount > 0 }
            let clearCount = Double(max(1, clear.reduce(0) { $0 + $1.clearCount }))
            func mean(_ value: (RegionStatistics) -> Double) -> Double { clear.reduce(0) { $0 + value($1) * Double($1.clearCount) } / clearCount }
            return ConcernLabels(
                labels: labels, originX: work.originX, originY: work.originY, width: work.width, height: work.height, factor: work.factor,
                skin: .init(
                    clearSkin: work.photoColour(CIELab(l: mean(\.meanL), a: mean(\.meanA), b: mean(\.meanB))),
                    spotMaxDiameter: spotMaxDiameter(workingMillimetres: workingMillimetres, factor: work.factor, configuration: configuration)))
        }
        labelled = true
        return (measured.map(\.0), measured.map(\.1), clippedSkin, drawn)
    }

    /// Close-ups: `WorkingImage.markEnclosedSurface`, its flood fill's queue in a plane of its own
    /// (every plane of the skin measures is still read by the regions).
    private static func markEnclosedSurface(_ work: WorkingImage, arena: PlaintextArena) throws(LetheError) {
        let queue = try Plane<Int32>(width: work.width, height: work.height, what: "the skin surface's queue", arena: arena)
        defer { queue.release(to: arena) }
        work.markEnclosedSurface(queue: queue.pixels)
    }

    /// The sizes in bytes of what the skin measures hold at once beyond the working image on one
    /// thread: the papules' and then the marks' two contrast planes, their box filter rows and
    /// block sums, the mark mask and the flood fill's ring (each step after takes the pages of the
    /// planes released before it, the L* copy and the texture band the marks'): what the pool
    /// keeps for them. `spotMaxDiameter`: the marks' largest candidate (`spotMaxDiameter(…)`).
    static func skinMeasuresBufferCounts(_ work: WorkingImage, spotMaxDiameter: Double) -> [Int] {
        let rows = PlaneFilters.boxBlurScratchCount(width: work.width, height: work.height, radius: 1)
        let radius = backgroundRadius(spotMaxDiameter: spotMaxDiameter, width: work.width, height: work.height)
        let sums = PlaneFilters.BlockedConvolution.floats(for: LocalContrast.blockGrid(width: work.width, height: work.height, radius: radius))
        let ring = MarkDetector.queueCapacity(
            width: work.width, height: work.height,
            candidateArea: MarkDetector.Candidates(maximumDiameter: spotMaxDiameter).maximumArea(pixels: work.pixelCount))
        return Array(repeating: work.pixelCount * MemoryLayout<Float>.stride, count: 2)
            + [rows, sums, ring].map { $0 * MemoryLayout<Float>.stride } + [work.pixelCount]
    }

    /// What a region reads from the skin measures' planes alone (not the lines): its statistics,
    /// its marks and papules, its texture roughness.
    struct RegionParts {
        let rect: PixelRect
        let stats: RegionStatistics
        /// The marks the region holds, and their indices in `DetectedMarks.marks`.
        let marks: [(Mark, MarkKind)]
        let markIndices: [Int]
        let papules: [Mark]?
        var roughness: Double?
    }

    /// Every region's `RegionParts`, in order, in two passes over the regions: their clear skin
    /// and evenness while the contrast's smoothed plane holds the evenness band's blocks, then
    /// (the ridges smoothed into that plane) the rest (`RegionStatistics`), their marks, papules and texture.
    /// Each pass in two runs of about equal area, side by side when the request has a second core
    /// free (`RequestThreads`), in order either way. `reference`: the grey card's working
    /// rectangle, whose marks are none of the skin's. `labels`: the statistics draw the pixels they
    /// count into it (`ConcernLabels`); two regions never share a pixel (a face's zones are
    /// disjoint, a close-up is one region).
    private static func regionParts(
        _ regions: [NamedRegion], work: WorkingImage, skin measured: MeasuredSkin, reference: PixelRect?, labels: Plane<UInt8>?,
        configuration: SkinMeasureConfiguration, arena: PlaintextArena
    ) -> Result<[RegionParts], LetheError> {
        let (contrast, marks, members, kinds) = (measured.marks.contrast, measured.marks.marks, measured.marks.members, measured.marks.kinds)
        let melaninRedCap = work.faceMedianLab.map { median in
            RegionStatistics.melaninRedCapRatio * CIELab(l: Double(median.x), a: Double(median.y), b: Double(median.z)).linearSRGB().red
        }
        /// The region's pixels.
        func pixels(_ region: NamedRegion, rect: PixelRect) -> RegionStatistics.Pixels {
            RegionStatistics.Pixels(
                colour: work.colour, skin: UnsafeBufferPointer(work.skin.pixels),
                marks: UnsafeBufferPointer(members.pixels), background: UnsafeBufferPointer(contrast.background.pixels),
                zones: region.zone == 0 ? nil : work.zones.map { UnsafeBufferPointer($0.pixels) }, zone: region.zone,
                width: work.width, height: work.height, rect: rect)
        }
        func holds(_ mark: Mark, region: NamedRegion, rect: PixelRect) -> Bool {
            let cx = mark.centroidX, cy = mark.centroidY
            guard cx >= Double(rect.x) && cx < Double(rect.x + rect.width) && cy >= Double(rect.y) && cy < Double(rect.y + rect.height) else { return false }
            if let reference, cx >= Double(reference.x) && cx < Double(reference.x + reference.width)
                && cy >= Double(reference.y) && cy < Double(reference.y + reference.height) { return false }
            return region.zone == 0 || work.zoneLabel(x: Int(cx), y: Int(cy)) == region.zone
        }
        let rects = regions.map { work.workingRect($0.rect) }
        /// `body(run, index)` for every region, in two runs (0 and 1) of about equal area.
        func inTwoRuns<T>(_ body: (_ run: Int, _ index: Int) -> T) -> [T] {
            let split = balancedSplit(rects.map(\.area))
            guard split < regions.count else { return regions.indices.map { body(0, $0) } }
            let (front, back) = RequestThreads.fork({ (0..<split).map { body(0, $0) } }, { (split..<regions.count).map { body(1, $0) } })
            return front + back
        }
        if let small = zip(regions, rects).first(where: { $0.1.width <= 2 || $0.1.height <= 2 }) {
            return .failure(.regionOutOfBounds(small.0.name))
        }
        // The band's blocks in the smoothed plane: each region's clear skin and its evenness, a
        // reader of the band for each run.
        let evened = inTwoRuns { run, index in
            measured.band.withReader(run) { band in
                let region = pixels(regions[index], rect: rects[index])
                var stats = RegionStatistics.clearSkin(region, configuration: configuration, median: measured.clearSkinMedian != nil)
                stats.measureEvenness(region, band: band, configuration: configuration)
                return stats
            }
        }
        measured.band.release(arena)
        do throws(LetheError) { try smoothForRidges(work, into: contrast.smoothed, configuration: configuration, arena: arena) } catch {
            return .failure(error)
        }
        // The ridges in it: the rest.
        return .success(inTwoRuns { _, index in
            let (region, rect) = (regions[index], rects[index])
            var stats = evened[index]
            // The contrast's smoothed plane holds the ridges now.
            stats.measureSurface(
                pixels(region, rect: rect), ridgePlane: UnsafeBufferPointer(contrast.smoothed.pixels), configuration: configuration,
                melaninRedCap: melaninRedCap, labels: labels?.pixels)
            let held = marks.indices.filter { holds(marks[$0], region: region, rect: rect) }
            return RegionParts(
                rect: rect, stats: stats, marks: held.map { (marks[$0], kinds[$0]) }, markIndices: held,
                papules: measured.papules?.filter { holds($0, region: region, rect: rect) },
                roughness: measured.texture.map { band in
                    TextureRoughness.roughness(
                        band: band, work: work, rect: rect, zone: region.zone, background: contrast.background,
                        specularMarginLStar: Float(configuration.specularMarginLStar))
                })
        })
    }

    /// The index that splits `areas` into a non-empty front and a back of about equal sums (each
    /// region's pass costs about its area); `areas.count` (no back) for fewer than two.
    static func balancedSplit(_ areas: [Int]) -> Int {
        let total = areas.reduce(0, +)
        var sum = 0
        for (index, area) in areas.enumerated() {
            // The first index whose front reaches half, or the one before when that is closer.
            if 2 * (sum + area) >= total { return index > 0 && total - 2 * sum < 2 * (sum + area) - total ? index : index + 1 }
            sum += area
        }
        return areas.count
    }

    /// What the skin measures read besides the lines (`measureSkin`): the marks and their planes
    /// (the smoothed L* then holding the evenness band's blocks), the clear skin's median colour (faces),
    /// the papules and the texture band (nil where the pixels are too coarse).
    struct MeasuredSkin {
        let marks: DetectedMarks
        /// The evenness band's blocks, in the marks' smoothed plane (or a buffer of their own):
        /// read by the regions until they smooth the ridges into that plane.
        let band: EvennessBand.Blocks
        let clearSkinMedian: SIMD3<Float>?
        /// Nil where the pixels are too coarse for the smallest papule (`blemishesMeasurable`).
        let papules: [Mark]?
        let texture: Plane<Float>?

        func release(_ arena: PlaintextArena) {
            band.release(arena)
            marks.release(arena)
            texture?.release(to: arena)
        }
    }

    /// Everything the regions read from the working image but the lines, each reading only the
    /// working image, in the order that keeps the fewest planes at once: the papules (a local
    /// contrast, all of it released), the texture band (one plane kept; with `textureBand`, else
    /// nil: the caller makes it once the marks' planes are gone), then the marks (local
    /// contrast → flood fill; two planes and the mark mask kept), the evenness band's blocks (in
    /// the marks' smoothed L*) and the clear skin's median. The regions smooth the ridges into that
    /// plane once they have read the band (`regionParts`).
    private static func measureSkin(
        _ work: WorkingImage, face: FaceGeometry?, workingMillimetres: Double?, textureBand makesTextureBand: Bool,
        configuration: SkinMeasureConfiguration, arena: PlaintextArena
    ) throws(LetheError) -> MeasuredSkin {
        let papules = blemishesMeasurable(workingMillimetres: work.resolvedMillimetres(workingMillimetres), configuration: configuration)
            ? try BlemishDetector.detect(work, workingMillimetres: workingMillimetres, configuration: configuration.blemishes, arena: arena)
            : nil
        let texture = makesTextureBand ? try textureBand(work, workingMillimetres: workingMillimetres, arena: arena) : nil
        let detected: DetectedMarks
        do { detected = try detectMarks(work, workingMillimetres: workingMillimetres, configuration: configuration, arena: arena) } catch {
            texture?.release(to: arena)
            throw error
        }
        do throws(LetheError) {
            // Evenness reads the green lightness band-passed at fixed physical scales (`EvennessBand`): a face's from its mesh.
            // Its blocks go into the contrast's smoothed L*, which nothing reads once the marks are found
            // (the regions smooth the ridges into it once they have read the band).
            let band = try EvennessBand.blocks(
                work, members: detected.members,
                workingMillimetres: EvennessBand.workingMillimetres(
                    interOcularPixels: face?.interOcularPixels, workingMillimetres: workingMillimetres, factor: work.factor),
                in: detected.contrast.smoothed, arena: arena)
            // Faces: the reference of the zones' colour differences, over the pixels the zone means are of.
            let clearSkinMedian = face == nil ? nil : Self.clearSkinMedian(work, members: detected.members)
            return MeasuredSkin(marks: detected, band: band, clearSkinMedian: clearSkinMedian, papules: papules, texture: texture)
        } catch {
            detected.release(arena)
            texture?.release(to: arena)
            throw error
        }
    }

    /// The texture band (`TextureRoughness.bandPass`), an `.intermediate` buffer the caller
    /// releases; nil where the pixels are too coarse.
    private static func textureBand(_ work: WorkingImage, workingMillimetres: Double?, arena: PlaintextArena) throws(LetheError) -> Plane<Float>? {
        guard TextureRoughness.measurable(
            workingMillimetres: TextureRoughness.workingMillimetres(work.resolvedMillimetres(workingMillimetres), factor: work.factor)) else { return nil }
        return try TextureRoughness.bandPass(work, workingMillimetres: TextureRoughness.workingMillimetres(workingMillimetres, factor: work.factor), arena: arena)
    }

    /// The dark marks of a working image (local contrast → flood fill), each classified as spot,
    /// pore or other by size, shape and surroundings. Shared by the measures and the simulations.
    struct DetectedMarks {
        let contrast: LocalContrast
        let marks: [Mark]
        /// 1 for every pixel that passed the contrast threshold.
        let members: Plane<UInt8>
        let kinds: [MarkKind]

        func release(_ arena: PlaintextArena) {
            members.release(to: arena)
            contrast.release(arena)
        }
    }

    /// Whether the working pixels resolve pores: with a scale, a pore at the pore limit must be
    /// `poreMinimumPixelsAcross` working pixels across; without one, pores are defined in pixels
    /// (close-ups) and always measured.
    static func poresMeasurable(workingMillimetres: Double?, configuration: SkinMeasureConfiguration) -> Bool {
        guard let workingMillimetres else { return true }
        return configuration.poreMaxDiameterMillimetres / workingMillimetres >= configuration.poreMinimumPixelsAcross
    }

    /// The coarsest input scale (mm per input pixel) at which pores are measured at `factor`.
    static func poreRequiredMillimetresPerPixel(factor: Double, configuration: SkinMeasureConfiguration) -> Double {
        configuration.poreMaxDiameterMillimetres / configuration.poreMinimumPixelsAcross / factor
    }

    /// Whether the working pixels resolve the smallest spot: spots are the marks larger than a pore
    /// (`poreMaxDiameterMillimetres`, 0.5 mm), so a spot at that size must be as many working pixels
    /// across as the larger of `poreMinimumPixelsAcross` (2) and the disc of the mark detector's
    /// minimum area (3 px: 1.95 px across) — 0.25 mm per working pixel by default. Coarser, a
    /// 3-pixel mark is several millimetres across and whether it passes the threshold depends on
    /// how the pixel grid falls on it (the repeatability bench's spots moved 7–10 points with
    /// scale, rotation, shift or JPEG alone). Without a scale spots are defined in pixels
    /// (close-ups) and always measured.
    static func spotsMeasurable(workingMillimetres: Double?, configuration: SkinMeasureConfiguration) -> Bool {
        guard let workingMillimetres else { return true }
        return configuration.poreMaxDiameterMillimetres / workingMillimetres >= spotMinimumPixelsAcross(configuration)
    }

    /// The coarsest input scale (mm per input pixel) at which spots are measured at `factor`.
    static func spotRequiredMillimetresPerPixel(factor: Double, configuration: SkinMeasureConfiguration) -> Double {
        configuration.poreMaxDiameterMillimetres / spotMinimumPixelsAcross(configuration) / factor
    }

    /// Whether the working pixels resolve the smallest papule (`BlemishDetectionConfiguration
    /// .minimumDiameterMillimetres`, 1 mm) as the smallest spot: as many working pixels across as
    /// `spotMinimumPixelsAcross` (2) — 0.5 mm per working pixel by default. Coarser, the mark
    /// detector's 3-pixel minimum is a disc of 2 mm or more, every red mark is a few pixels, and
    /// whether it passes depends on how the pixel grid falls on it (the repeatability bench's
    /// blemish count moved 9 with scale, rotation, shift or JPEG alone on faces at 0.5–1.4 mm/px,
    /// ICC 0.89). Without a scale papules are defined in pixels (close-ups) and always measured.
    static func blemishesMeasurable(workingMillimetres: Double?, configuration: SkinMeasureConfiguration) -> Bool {
        guard let workingMillimetres else { return true }
        return configuration.blemishes.minimumDiameterMillimetres / workingMillimetres >= spotMinimumPixelsAcross(configuration)
    }

    /// The coarsest input scale (mm per input pixel) at which papules are measured at `factor`.
    static func blemishRequiredMillimetresPerPixel(factor: Double, configuration: SkinMeasureConfiguration) -> Double {
        configuration.blemishes.minimumDiameterMillimetres / spotMinimumPixelsAcross(configuration) / factor
    }

    /// Working pixels across that the smallest spot needs (see `spotsMeasurable`).
    private static func spotMinimumPixelsAcross(_ configuration: SkinMeasureConfiguration) -> Double {
        max(configuration.poreMinimumPixelsAcross, 2 * (Double(configuration.minimumMarkAreaPixels) / .pi).squareRoot())
    }

    /// The largest spot's diameter in working pixels.
    static func spotMaxDiameter(workingMillimetres: Double?, factor: Double, configuration: SkinMeasureConfiguration) -> Double {
        workingMillimetres.map { configuration.spotMaxDiameterMillimetres / $0 } ?? configuration.spotMaxDiameterPixels / factor
    }

    /// The radius of the marks' local background (and of the preview's clear-skin background):
    /// the largest spot's diameter, at least 6 pixels, at most half the crop's short side.
    static func backgroundRadius(spotMaxDiameter: Double, width: Int, height: Int) -> Int {
        min(max(6, Int(spotMaxDiameter.rounded(.up))), max(2, min(width, height) / 2))
    }

    static func detectMarks(
        _ work: WorkingImage, workingMillimetres: Double?, configuration: SkinMeasureConfiguration, arena: PlaintextArena
    ) throws(LetheError) -> DetectedMarks {
        let factor = work.factor
        let poreMax = workingMillimetres.map { configuration.poreMaxDiameterMillimetres / $0 } ?? configuration.poreMaxDiameterPixels / factor
        let spotMax = spotMaxDiameter(workingMillimetres: workingMillimetres, factor: factor, configuration: configuration)
        let radius = backgroundRadius(spotMaxDiameter: spotMax, width: work.width, height: work.height)

        let threshold = Float(configuration.markContrastLStar)
        let contrast = try LocalContrast.compute(work, radius: radius, excludeAbove: threshold * 0.8, useSkinMask: true, arena: arena)
        let marks: [Mark], members: Plane<UInt8>
        do {
            (marks, members) = try MarkDetector.detect(
                contrast: contrast, polarity: .dark, threshold: threshold,
                within: PixelRect(width: work.width, height: work.height), skin: UnsafeBufferPointer(work.skin.pixels),
                minimumArea: configuration.minimumMarkAreaPixels, zones: work.zones.map { UnsafeBufferPointer($0.pixels) },
                colour: work.colour,
                // Only a mark that can be a spot or a pore is classified by its surroundings and colour (`kinds` below).
                candidates: .init(maximumDiameter: spotMax), arena: arena)
        } catch {
            contrast.release(arena)
            throw error
        }
        let poresMeasurable = poresMeasurable(workingMillimetres: work.resolvedMillimetres(workingMillimetres), configuration: configuration)
        let spotsMeasurable = spotsMeasurable(workingMillimetres: work.resolvedMillimetres(workingMillimetres), configuration: configuration)
        let kinds: [MarkKind] = marks.map { mark in
            // Faces: a mark reaching into no zone (a nostril, a brow, an eye, the lips, beyond the
            // oval) is their shadow or edge, not a skin mark.
            if work.zones != nil, mark.pixelsOutsideZones > 0 { return .other }
            guard mark.surroundingSkinFraction >= configuration.minSurroundingSkinFraction,
                mark.elongation <= configuration.maxBlobElongation else { return .other }
            let diameter = mark.equivalentDiameter
            // Pore-sized marks where pores are not resolved are neither pores nor spots.
            if diameter <= poreMax { return poresMeasurable ? .pore : .other }
            // Likewise spots where the smallest spot is not resolved (`Spots.notMeasurable`).
            if diameter <= spotMax { return spotsMeasurable ? .spot : .other }
            return .other
        }
        return DetectedMarks(contrast: contrast, marks: marks, members: members, kinds: kinds)
    }

    /// The median CIELAB (normalised exposure) of the face's clear skin — zone pixels that are skin
    /// and not a mark — as each zone's (`RegionStatistics.medianColour`): clipped pixels counted in
    /// L* alone, the median interpolated within its half unit, so the zones' ΔE compares like with
    /// like. (The skin mask's own reference, `faceMedianLab`, is over every zone pixel, whose
    /// colour a brighter capture changes.) Nil without an unclipped one.
    static func clearSkinMedian(_ work: WorkingImage, members: Plane<UInt8>) -> SIMD3<Float>? {
        guard let zones = work.zones?.pixels else { return nil }
        let skin = work.skin.pixels, member = members.pixels, colour = work.colour
        var histogram = LabHistogram()
        histogram.counting { histogram in
            for i in 0..<work.pixelCount where zones[i] != 0 && skin[i] & WorkingImage.skinBit != 0 && member[i] == 0 {
                if WorkingImage.isClipped(skin[i]) { histogram.addLightness(i, of: colour) } else { histogram.add(i, of: colour) }
            }
        }
        return histogram.count > 0 ? histogram.interpolatedMedian : nil
    }

    /// Ridge scale: L* smoothed by a small box (twice) into `plane`.
    static func smoothForRidges(
        _ work: WorkingImage, into plane: Plane<Float>, configuration: SkinMeasureConfiguration, arena: PlaintextArena
    ) throws(LetheError) {
        let radius = max(1, configuration.ridgeSmoothingRadiusPixels)
        let rows = try work.allocateBoxFilterRows(radius: radius, what: "the ridge smoothing's box filter rows", arena: arena)
        defer { rows.release(to: arena) }
        let target = plane.pixels, lStar = work.lStar
        for i in 0..<work.pixelCount { target[i] = lStar[i] }
        PlaneFilters.boxBlur(target, scratch: rows.pixels, width: work.width, height: work.height, radius: radius, passes: 2)
    }

    /// Haemoglobin over melanin: melanin raises the erythema index by 0.48 × its melanin index
    /// (its absorption ∝ λ^−3.46 at 610 and 545 nm), oxyhaemoglobin raises the erythema index about
    /// 25 × the melanin index (weak in red, strong in green); a spot is red above the geometric mean.
    static let redSpotErythemaPerMelanin = (0.48 * 25.0).squareRoot()

    /// Whether a spot's colour is haemoglobin's rather than melanin's: its erythema index above the
    /// clear skin's by more than `redSpotErythemaPerMelanin` × its melanin index above the clear skin's.
    static func isRedSpot(_ mark: Mark, stats: RegionStatistics) -> Bool {
        let area = Double(max(1, mark.area))
        let melanin = mark.sumMelaninIndex / area - stats.meanMelaninIndex, erythema = mark.sumErythemaIndex / area - stats.meanErythema
        return erythema > max(0, redSpotErythemaPerMelanin * melanin)
    }

    private static func makeResult(
        region: String, rect: PixelRect, work: WorkingImage, stats: RegionStatistics, marks: [(Mark, MarkKind)],
        lines: (count: Int, lengthWorkingPixels: Double)?, lineRequirement: Double?, papules: [Mark]?, texture: SkinConcerns.Texture, workingMillimetres: Double?,
        tone: ToneCalibration, zoneReference: SIMD3<Float>?,
        configuration: SkinMeasureConfiguration
    ) -> RegionMeasures {
        let f = work.factor
        let skinCount = Double(max(1, stats.skinCount))
        let spots = marks.filter { $0.1 == .spot }.map(\.0)
        let pores = marks.filter { $0.1 == .pore }.map(\.0)
        func meanDiameter(_ list: [Mark]) -> Double { list.isEmpty ? 0 : list.reduce(0) { $0 + $1.equivalentDiameter } / Double(list.count) * f }
        let spotArea = Double(spots.reduce(0) { $0 + $1.area })
        let poreArea = Double(pores.reduce(0) { $0 + $1.area })
        let spotContrast = spots.isEmpty ? 0 : spots.reduce(0) { $0 + $1.sumContrast } / spotArea
        let inputMillimetres = workingMillimetres.map { $0 / f }
        let skinSquareCentimetres = workingMillimetres.map { skinCount * $0 * $0 / 100 }

        let spotRequirement = workingMillimetres.map { _ in spotRequiredMillimetresPerPixel(factor: max(1, work.factor), configuration: configuration) }
        var spotsResult = SkinConcerns.Spots.notMeasurable(requiredMillimetresPerPixel: spotRequirement)
        if spotsMeasurable(workingMillimetres: work.resolvedMillimetres(workingMillimetres), configuration: configuration) {
            spotsResult = SkinConcerns.Spots(
                count: spots.count, areaFraction: spotArea / skinCount, meanContrastDeltaLStar: spotContrast,
                meanDiameterPixels: meanDiameter(spots), meanDiameterMillimetres: inputMillimetres.map { meanDiameter(spots) * $0 },
                requiredMillimetresPerPixel: spotRequirement)
            let redSpots = spots.filter { isRedSpot($0, stats: stats) }, brownSpots = spots.filter { !isRedSpot($0, stats: stats) }
            spotsResult.brown = .init(count: brownSpots.count, areaFraction: Double(brownSpots.reduce(0) { $0 + $1.area }) / skinCount)
            spotsResult.red = .init(count: redSpots.count, areaFraction: Double(redSpots.reduce(0) { $0 + $1.area }) / skinCount)
        }
        let required = workingMillimetres.map { _ in poreRequiredMillimetresPerPixel(factor: max(1, work.factor), configuration: configuration) }
        let poresResult = poresMeasurable(workingMillimetres: work.resolvedMillimetres(workingMillimetres), configuration: configuration)
            ? SkinConcerns.Pores(
                count: pores.count, densityPerSquareCentimetre: skinSquareCentimetres.map { Double(pores.count) / max($0, 1e-9) },
                densityPer10kPixels: Double(pores.count) / (skinCount * f * f) * 10_000, areaFraction: poreArea / skinCount,
                meanDiameterPixels: meanDiameter(pores), meanDiameterMillimetres: inputMillimetres.map { meanDiameter(pores) * $0 },
                requiredMillimetresPerPixel: required)
            : .notMeasurable(requiredMillimetresPerPixel: required)
        let papuleRequirement = workingMillimetres.map { _ in blemishRequiredMillimetresPerPixel(factor: max(1, work.factor), configuration: configuration) }
        let blemishes = papules.map { papules in
            let papuleArea = Double(papules.reduce(0) { $0 + $1.area })
            return SkinConcerns.Blemishes(
                count: papules.count, densityPerSquareCentimetre: skinSquareCentimetres.map { Double(papules.count) / max($0, 1e-9) },
                areaFraction: papuleArea / skinCount, meanDiameterPixels: meanDiameter(papules),
                meanDiameterMillimetres: inputMillimetres.map { meanDiameter(papules) * $0 },
                meanContrastDeltaAStar: papules.isEmpty ? 0 : papules.reduce(0) { $0 + $1.sumContrast } / papuleArea,
                requiredMillimetresPerPixel: papuleRequirement)
        } ?? .notMeasurable(requiredMillimetresPerPixel: papuleRequirement)
        // Colour as the photo shows it; the concerns at the face's normalised exposure.
        let lab = work.photoColour(CIELab(l: stats.meanL, a: stats.meanA, b: stats.meanB))
        let gammaCubed = pow(Double(work.lightnessScale), 3)
        let partial = SkinConcerns(
            redAreaFraction: stats.redFraction, spots: spotsResult, pores: poresResult,
            wrinkles: lines.map { lines in
                .init(
                    ridgeFraction: stats.ridgeFraction, lineCount: lines.count, lineLengthPixels: lines.lengthWorkingPixels * f,
                    lineLengthMillimetres: workingMillimetres.map { lines.lengthWorkingPixels * $0 },
                    lineLengthMillimetresPerSquareCentimetre: workingMillimetres.map { lines.lengthWorkingPixels * $0 / max(skinCount * $0 * $0 / 100, 1e-9) },
                    lineLengthPer10kPixels: lines.lengthWorkingPixels / skinCount / f * 10_000, requiredMillimetresPerPixel: lineRequirement)
            } ?? .notMeasurable(requiredMillimetresPerPixel: lineRequirement),
            shine: .init(specularFraction: stats.specularFraction, specularShare: stats.specularShare),
            evenness: .init(
                lStarStandardDeviation: EvennessBand.measurable(resolvedMillimetres: work.resolvedMillimetres(workingMillimetres))
                    ? stats.lStandardDeviation : nil,
                meanDeltaE: stats.meanDeltaE,
                melaninIndexStandardDeviation: stats.melaninIndexStandardDeviation,
                erythemaIndexStandardDeviation: stats.erythemaIndexStandardDeviation,
                // The zone's median colour from the face's, each with its clipped pixels in L* alone,
                // at the face's normalised exposure, as the mean ΔE: a difference between two of
                // the face's surfaces that the capture's exposure does not scale (between the colours
                // as the photo shows them it is this divided by `lightnessScale`, which the exposure moves).
                zoneDeltaE: zoneReference.flatMap { reference in
                    stats.medianColour.map { zone in
                        func lab(_ colour: SIMD3<Float>) -> CIELab { CIELab(l: Double(colour.x), a: Double(colour.y), b: Double(colour.z)) }
                        return CIELab.deltaE76(lab(zone), lab(reference))
                    }
                },
                requiredMillimetresPerPixel: workingMillimetres.map { _ in EvennessBand.requiredMillimetresPerPixel(factor: max(1, work.factor)) }),
            blemishes: blemishes, texture: texture,
            radiance: .init(
                // Luminance as the photo shows it (Y scales by γ³); the uniformity is a ratio.
                luminance: stats.meanLuminance / gammaCubed,
                uniformity: stats.meanLuminance > 0 ? 1 - stats.luminanceStandardDeviation / stats.meanLuminance : 0),
            scores: .init(spots: nil, pores: nil, redness: 0, wrinkles: nil, shine: nil, evenness: nil, overall: 0))
        var concerns = partial
        concerns.scores = ConcernScores.scores(for: partial)
        // In input pixels: the working rectangle's edges mapped back (rounded outward in a
        // fractional canonical frame), and the skin as the input pixels its working pixels cover.
        let box = PixelRect(
            x: work.originX + Int((Double(rect.x) * f).rounded(.down)), y: work.originY + Int((Double(rect.y) * f).rounded(.down)),
            width: Int((Double(rect.x + rect.width) * f).rounded(.up)) - Int((Double(rect.x) * f).rounded(.down)),
            height: Int((Double(rect.y + rect.height) * f).rounded(.up)) - Int((Double(rect.y) * f).rounded(.down)))
        return RegionMeasures(
            region: region, box: box, skinPixelCount: Int((Double(stats.skinCount) * f * f).rounded()),
            coveredFraction: work.zones == nil ? nil : Double(stats.coveringCount) / Double(max(1, stats.surfaceCount)),
            skinTone: .assessed(lab, calibration: tone),
            redness: .init(meanAStar: lab.a, erythemaIndex: stats.meanErythema),
            concerns: concerns)
    }
}
