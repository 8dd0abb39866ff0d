import Foundation
import LetheAPI
@testable import LetheAnalysis
import LetheImaging
import LetheMemory
import LetheTestSupport
import Testing

@Suite("Skin measures")
struct SkinAnalyzerTests {
    /// A light-intermediate skin colour inside the Chai & Ngan box (Cb ≈ 103, Cr ≈ 157).
    static let skin = RGB(224, 172, 140)
    /// No blur or coverage gate: lets uniform patches through to the colour measures.
    static let measureOnly = SkinAnalysisConfiguration(minLaplacianVariance: 0)

    @Test("uniform skin patches: mean L*a*b*, ITA° and EI equal the reference of that colour",
          arguments: [RGB(224, 172, 140), RGB(241, 194, 167), RGB(198, 134, 96), RGB(141, 85, 54), RGB(92, 56, 40)])
    func uniformPatch(_ colour: RGB) throws {
        let arena = PlaintextArena()
        let image = try SyntheticImages.uniform(colour, arena: arena)
        let result = try SkinAnalyzer.analyze(image, configuration: Self.measureOnly, arena: arena)
        let reference = ReferenceColour.lab(colour)
        #expect(result.skinPixelCount == 160 * 160 && result.skinPixelFraction == 1)
        #expect(abs(result.skinTone.lStar - reference.l) < 0.1)
        #expect(abs(result.skinTone.aStar - reference.a) < 0.1)
        #expect(abs(result.skinTone.bStar - reference.b) < 0.1)
        #expect(abs(result.skinTone.itaDegrees - ReferenceColour.ita(reference)) < 0.1)
        // Uncalibrated: the reference's category is the one given or one of those the interval spans.
        let category = SkinToneCategory(itaDegrees: ReferenceColour.ita(reference)).rawValue
        #expect(result.skinTone.category == category || (result.skinTone.spannedCategories ?? []).contains(category))
        #expect(result.redness.meanAStar == result.skinTone.aStar)
        #expect(abs(result.redness.erythemaIndex - ReferenceColour.erythemaIndex(colour)) < 0.01)
        #expect(result.quality.laplacianVariance == 0)
        #expect(arena.wipeAll().verified)
    }

    @Test("only skin pixels count: half skin, half blue gives the skin colour and fraction 0.5")
    func maskSelectsSkin() throws {
        let arena = PlaintextArena()
        let image = try SyntheticImages.make(width: 200, height: 160, arena: arena) { x, _ in x < 100 ? Self.skin : RGB(40, 80, 200) }
        let result = try SkinAnalyzer.analyze(image, configuration: Self.measureOnly, arena: arena)
        let reference = ReferenceColour.lab(Self.skin)
        #expect(result.skinPixelFraction == 0.5 && result.skinPixelCount == 100 * 160)
        #expect(abs(result.skinTone.lStar - reference.l) < 0.1 && abs(result.skinTone.bStar - reference.b) < 0.1)
        #expect(arena.wipeAll().verified)
    }

    @Test("a redder region raises mean a* and the erythema index")
    func rednessIncreases() throws {
        let arena = PlaintextArena()
        let plain = try SyntheticImages.texture(Self.skin, arena: arena)
        // A 100×100 patch with R + 15, G − 8: redder, still inside the skin box (Cr ≈ 167).
        let red = RGB(Self.skin.r + 15, Self.skin.g - 8, Self.skin.b)
        let flushed = try SyntheticImages.texture(Self.skin, arena: arena) { x, y in
            (50..<150).contains(x) && (50..<150).contains(y) ? red : nil
        }
        let configuration = SkinAnalysisConfiguration()
        let before = try SkinAnalyzer.analyze(plain, configuration: configuration, arena: arena)
        let after = try SkinAnalyzer.analyze(flushed, configuration: configuration, arena: arena)
        #expect(after.skinPixelCount == before.skinPixelCount)
        #expect(after.redness.meanAStar > before.redness.meanAStar + 1)
        #expect(after.redness.erythemaIndex > before.redness.erythemaIndex + 2)
        // A quarter of the pixels changed: the mean EI moves by about a quarter of the colour difference.
        let expectedShift = (ReferenceColour.erythemaIndex(red) - ReferenceColour.erythemaIndex(Self.skin)) / 4
        #expect(abs((after.redness.erythemaIndex - before.redness.erythemaIndex) - expectedShift) < 0.5)
        #expect(arena.wipeAll().verified)
    }

    @Test("intermediate buffers are released and wiped; wipeAll leaves nothing")
    func buffersWiped() throws {
        let arena = PlaintextArena()
        let image = try SyntheticImages.texture(Self.skin, width: 300, height: 200, arena: arena)
        _ = try SkinAnalyzer.analyze(image, configuration: .init(), arena: arena)
        // Every intermediate was released already. On one thread (no core ledger here) the lines
        // come last (`SkinConcernMeasurer`): the gate's luma plane (4 bytes per pixel; the gate
        // counts skin without a mask of its own), the working image's L* (4), a*, b* and EI
        // codes (6) and skin mask (1); the skin-surface fill's queue (4: highlights enclosed by skin count
        // as shine), first; the blemish detector's a* contrast, two planes (8), its box filter's
        // rows, its blocks and its mark mask (1) and flood fill ring, then the marks' L* contrast
        // alike (8 + 1). The evenness band's blocks: in the contrast's smoothed L* (free once the
        // marks are found) when they fit, here (σ 2 mm is 10 px at the nominal 0.2 mm per pixel:
        // blocks of 2) in one buffer of their own (two `BlockedConvolution`s of 2 × 2 blocks and
        // two readers' rows: 1.5 planes). The ridge smoothing's rows (the ridges in the smoothed
        // plane). Once the regions are measured: the a*, b* and EI codes wiped, the texture
        // band-pass's three planes (12; the coarse scale's blocks carved from one) and its box
        // filter's rows, then the line detector's four float planes (16: smoothed L*, weights,
        // curvature, finest-scale L*), its vesselness levels (1: the thresholds each pixel
        // reaches, a byte), its normals (1: the angle in a byte) and its box filter's two rings of rows (two, so
        // that a scale's two blurs run side by side when a core is free; `RequestThreads`).
        #expect(arena.bytesHeld == 300 * 200 * 3)
        let report = arena.wipeAll()
        #expect(report.verified)
        let evennessBlocks = PlaneFilters.BlockGrid(step: PlaneFilters.blockStep(sigma: 10), width: 300, height: 200)
        #expect(evennessBlocks.step == 2)
        let evenness = EvennessBand.Blocks.floats(for: evennessBlocks) * 4
        #expect(evenness > 300 * 200 * 4)
        // Each contrast's blocks and flood fill ring (the marks' holds their largest candidate, read back for its colour).
        let measures = SkinMeasureConfiguration(), spotMax = SkinConcernMeasurer.spotMaxDiameter(workingMillimetres: nil, factor: 1, configuration: measures)
        func blocks(radius: Int) -> Int { PlaneFilters.BlockedConvolution.floats(for: LocalContrast.blockGrid(width: 300, height: 200, radius: radius)) * 4 }
        let papules = blocks(radius: BlemishDetector.backgroundRadius(largestDiameter: measures.blemishes.maximumDiameterPixels, width: 300, height: 200))
            + MarkDetector.queueCapacity(width: 300, height: 200, candidateArea: 0) * 4
        let marks = blocks(radius: SkinConcernMeasurer.backgroundRadius(spotMaxDiameter: spotMax, width: 300, height: 200))
            + MarkDetector.queueCapacity(
                width: 300, height: 200, candidateArea: MarkDetector.Candidates(maximumDiameter: spotMax).maximumArea(pixels: 300 * 200)) * 4
        let planes = 300 * 200 * (4 + 4 + 6 + 1 + 4 + 8 + 1 + 8 + 1 + 12 + 16 + 1 + 1) + evenness + papules + marks
        // The box filters' rows (the lines' two rings, the texture's, the two contrasts' and the
        // ridge smoothing's): whole rows of floats, a few dozen each, not planes.
        let rows = (report.bytesByClass[BufferClass.intermediate.rawValue] ?? 0) - planes
        #expect(rows > 0 && rows % (300 * 4) == 0)
        #expect(rows <= 6 * PlaneFilters.boxBlurScratchCount(width: 300, height: 200, radius: LineDetector.maximumRadius) * 4)
        #expect(report.bytesByClass[BufferClass.pixels.rawValue] == 300 * 200 * 3)
        // The pixels, the luma plane, the working image, the surface queue, each contrast with its
        // rows, blocks, mask and ring, the evenness blocks, the ridges' rows, the texture, the lines.
        #expect(report.bufferCount == 1 + 1 + 3 + 1 + (2 + 1 + 1 + 1 + 1) + (2 + 1 + 1 + 1 + 1) + 1 + 1 + (3 + 1) + (4 + 1 + 1 + 2))
        #expect(image.pixels.isWiped && arena.bytesHeld == 0)
    }

    @Test("the regions are measured in two runs of about equal area, each non-empty, or in one")
    func regionsSplitByArea() {
        #expect(SkinConcernMeasurer.balancedSplit([]) == 0)
        #expect(SkinConcernMeasurer.balancedSplit([10]) == 1)
        #expect(SkinConcernMeasurer.balancedSplit([5, 5]) == 1)
        #expect(SkinConcernMeasurer.balancedSplit([1, 1, 8]) == 2)
        #expect(SkinConcernMeasurer.balancedSplit([8, 1, 1]) == 1)
        #expect(SkinConcernMeasurer.balancedSplit([3, 3, 3, 3]) == 2)
        #expect(SkinConcernMeasurer.balancedSplit([4, 4, 1, 1]) == 1)
        #expect(SkinConcernMeasurer.balancedSplit([2, 2, 2, 1, 1]) == 2)
    }

    @Test("JSON uses snake_case keys with units")
    func jsonKeys() throws {
        let arena = PlaintextArena()
        let image = try SyntheticImages.texture(Self.skin, arena: arena)
        let result = try SkinAnalyzer.analyze(image, configuration: .init(), arena: arena)
        _ = arena.wipeAll()
        let json = String(decoding: try JSONEncoder().encode(result), as: UTF8.self)
        for key in ["\"skin_tone\"", "\"l_star\"", "\"a_star\"", "\"b_star\"", "\"ita_degrees\"", "\"category\"",
                    "\"mean_a_star\"", "\"erythema_index\"", "\"width_pixels\"", "\"mean_luma\"",
                    "\"laplacian_variance\"", "\"skin_pixel_fraction\"", "\"skin_pixel_count\""] {
            #expect(json.contains(key), "\(key)")
        }
        #expect(try JSONDecoder().decode(SkinAnalysisResult.self, from: Data(json.utf8)) == result)
    }
}

@Suite("Skin measures over many colours")
struct SkinColourMosaicTests {
    @Test("a mosaic of random skin colours: mean L*a*b* equals the mean of the per-colour references")
    func mosaicMatchesReference() throws {
        // Tone is measured on clear skin (no marks, no highlights); with both exclusions switched
        // off every skin pixel counts and the mean must be exact.
        let everyPixel = SkinMeasureConfiguration(markContrastLStar: 1_000, specularMarginLStar: 1_000)
        // 8×8 tiles of random colours that pass the skin rule; the test computes each tile's
        // reference Lab with `pow` and averages (every tile has the same pixel count).
        var generator = SeededGenerator(seed: 99)
        var tiles: [RGB] = []
        while tiles.count < 25 * 25 {
            let colour = RGB(.random(in: 60...255, using: &generator), .random(in: 30...230, using: &generator), .random(in: 20...210, using: &generator))
            let r = Double(colour.r), g = Double(colour.g), b = Double(colour.b)
            let y = 0.299 * r + 0.587 * g + 0.114 * b
            let cb = 128 - 0.168736 * r - 0.331264 * g + 0.5 * b
            let cr = 128 + 0.5 * r - 0.418688 * g - 0.081312 * b
            // Keep a margin from the rule's edges so fixed-point rounding cannot flip a tile.
            if cb > 77.5 && cb < 126.5 && cr > 133.5 && cr < 172.5 && y > 21 && y < 249 { tiles.append(colour) }
        }
        let arena = PlaintextArena()
        let image = try SyntheticImages.make(width: 200, height: 200, arena: arena) { x, y in tiles[(y / 8) * 25 + x / 8] }
        let result = try SkinAnalyzer.analyze(image, configuration: SkinAnalysisConfiguration(minLaplacianVariance: 0), measures: everyPixel, arena: arena)
        #expect(result.skinPixelFraction == 1)
        // Tiles with a channel at the camera's saturation (code 250 or more) have lost their colour
        // and are left out of the colour measures (docs/analysis/repeatability.md, "Clipping").
        let coloured = tiles.filter { max($0.r, $0.g, $0.b) < 250 }
        #expect(coloured.count < tiles.count)
        let references = coloured.map(ReferenceColour.lab)
        let meanL = references.map(\.l).reduce(0, +) / Double(coloured.count)
        let meanA = references.map(\.a).reduce(0, +) / Double(coloured.count)
        let meanB = references.map(\.b).reduce(0, +) / Double(coloured.count)
        let meanEI = coloured.map(ReferenceColour.erythemaIndex).reduce(0, +) / Double(coloured.count)
        #expect(abs(result.skinTone.lStar - meanL) < 0.01, "\(result.skinTone.lStar) vs \(meanL)")
        #expect(abs(result.skinTone.aStar - meanA) < 0.01, "\(result.skinTone.aStar) vs \(meanA)")
        #expect(abs(result.skinTone.bStar - meanB) < 0.01, "\(result.skinTone.bStar) vs \(meanB)")
        #expect(abs(result.redness.erythemaIndex - meanEI) < 0.001)
        #expect(arena.wipeAll().verified)
    }
}
