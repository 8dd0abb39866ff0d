import Foundation
import LetheAPI
import LetheAnalysis
import LetheImaging
import LetheMemory
import LetheTestSupport
import Testing

/// Simulations (issue 6) on generated skin with known truth: closed loops (the preview analysed
/// again by the real analyzer), confinement to skin, mask alignment, request parsing.
@Suite("Simulations")
struct SimulationTests {
    static let quality = SkinAnalysisConfiguration(minLaplacianVariance: 0)

    /// Renders `request` for `image` (PNG output, so the test sees exact pixels) after analysing it.
    static func render(_ image: DecodedImage, _ request: SimulationRequest, arena: PlaintextArena) throws -> SimulationRendering {
        var request = request
        request.output.format = .png
        let settings = AnalysisSettings(kind: .skin, quality: quality)
        let analysis = try PhotoAnalysis.run(image, settings: settings, labelling: true, arena: arena)
        return try SimulationRenderer.render(image, analysis: analysis, request: request, arena: arena)
    }

    static func decode(_ rendered: SimulationRendering.Image, arena: PlaintextArena) throws -> DecodedImage {
        try rendered.encoded.withUnsafeBytes { try ImageDecoder.decode($0, limits: DecodeLimits(), arena: arena) }
    }

    /// The analysis of a rendered preview.
    static func analysePreview(_ image: DecodedImage, _ request: SimulationRequest) throws -> SkinConcerns {
        let arena = PlaintextArena()
        defer { _ = arena.wipeAll() }
        let rendering = try render(image, request, arena: arena)
        let preview = try decode(try #require(rendering.preview), arena: arena)
        return try #require(try SkinAnalyzer.analyze(preview, configuration: quality, arena: arena).concerns)
    }

    static func seeds(where condition: (SkinPatch) -> Bool) -> [UInt64] {
        (1...200).map { UInt64($0) * 7919 }.filter { condition(SkinPatch(seed: $0)) }
    }

    @Test("closed loop: spot area and spot contrast of the analysed preview shrink as the strength grows")
    func spotsFade() throws {
        for seed in Self.seeds(where: { $0.spots.count >= 4 }).prefix(2) {
            let arena = PlaintextArena()
            let image = try SkinPatch(seed: seed).render(seed: seed, arena: arena)
            let spots = try [0.0, 0.5, 1.0].map { strength in
                try Self.analysePreview(image, SimulationRequest(concerns: [.spots], strengths: [.spots: strength])).spots
            }
            let areas = try spots.map { try #require($0.areaFraction) }, contrasts = try spots.map { try #require($0.meanContrastDeltaLStar) }
            print("seed \(seed): spot area fraction at strength 0 / 0.5 / 1: \(areas); mean spot contrast ΔL*: \(contrasts)")
            #expect(areas[0] > 0)
            #expect(areas[1] < areas[0] && areas[2] < areas[1], "seed \(seed): \(areas)")
            #expect(areas[2] <= areas[0] * 0.1, "seed \(seed): \(areas)")
            // Halfway, the spots are still found but about half as dark.
            #expect(contrasts[1] < contrasts[0] * 0.75, "seed \(seed): \(contrasts)")
            #expect(arena.wipeAll().verified)
        }
    }

    @Test("closed loop: redness (red area and mean a*) of the analysed preview falls as the strength grows")
    func rednessReduces() throws {
        for seed in Self.seeds(where: { !$0.redPatches.isEmpty }).prefix(2) {
            let arena = PlaintextArena()
            let image = try SkinPatch(seed: seed).render(seed: seed, arena: arena)
            let measured = try [0.0, 0.5, 1.0].map { strength in
                let arena = PlaintextArena()
                defer { _ = arena.wipeAll() }
                let rendering = try Self.render(image, SimulationRequest(concerns: [.redness], strengths: [.redness: strength]), arena: arena)
                let preview = try Self.decode(try #require(rendering.preview), arena: arena)
                let result = try SkinAnalyzer.analyze(preview, configuration: Self.quality, arena: arena)
                return (red: try #require(result.concerns).redAreaFraction, aStar: result.redness.meanAStar)
            }
            print("seed \(seed): red area / mean a* at strength 0 / 0.5 / 1: \(measured)")
            #expect(measured[0].red > 0.01)
            #expect(measured[1].red < measured[0].red && measured[2].red < measured[1].red, "seed \(seed)")
            #expect(measured[1].aStar < measured[0].aStar && measured[2].aStar < measured[1].aStar, "seed \(seed)")
            #expect(measured[2].red < measured[0].red * 0.5)
            #expect(arena.wipeAll().verified)
        }
    }

    @Test("strength 0 returns the input unchanged, byte for byte")
    func strengthZero() throws {
        let seed = Self.seeds(where: { $0.spots.count >= 2 && !$0.redPatches.isEmpty })[0]
        let arena = PlaintextArena()
        let image = try SkinPatch(seed: seed).render(seed: seed, arena: arena)
        let zero = Dictionary(uniqueKeysWithValues: SimulationConcern.allCases.map { ($0, 0.0) })
        let rendering = try Self.render(image, SimulationRequest(concerns: [.spots, .redness, .pores, .wrinkles, .evenness], strengths: zero), arena: arena)
        let preview = try Self.decode(try #require(rendering.preview), arena: arena)
        let same = preview.pixels.withUnsafeBytes { a in image.pixels.withUnsafeBytes { b in a.elementsEqual(b) } }
        #expect(same)
        #expect(arena.wipeAll().verified)
    }

    @Test("outside the skin the preview differs from the input by ΔE < 1, at full strength of every concern")
    func confinedToSkin() throws {
        let seed = Self.seeds(where: { $0.spots.count >= 3 && !$0.redPatches.isEmpty })[0]
        let arena = PlaintextArena()
        let patch = try SkinPatch(seed: seed).render(seed: seed, arena: arena)
        // The patch in the middle of a blue-grey textured backdrop (not skin by the colour rule).
        let size = 440, inset = (size - patch.width) / 2
        var random = SeededGenerator(seed: seed)
        var isSkin = [Bool](repeating: false, count: size * size)
        let image = try patch.pixels.withUnsafeBytes { patchBytes in
            try SyntheticImages.make(width: size, height: size, arena: arena) { x, y in
                let px = x - inset, py = y - inset
                if px >= 0, py >= 0, px < patch.width, py < patch.height {
                    isSkin[y * size + x] = true
                    let o = (py * patch.width + px) * 3
                    return RGB(patchBytes[o], patchBytes[o + 1], patchBytes[o + 2])
                }
                let n = Int.random(in: -12...12, using: &random)
                return RGB(SyntheticImages.clamp(70 + n), SyntheticImages.clamp(95 + n), SyntheticImages.clamp(150 + n))
            }
        }
        let all = Dictionary(uniqueKeysWithValues: SimulationConcern.allCases.map { ($0, 1.0) })
        let rendering = try Self.render(image, SimulationRequest(concerns: [.spots, .redness, .pores, .wrinkles, .evenness], strengths: all), arena: arena)
        let preview = try Self.decode(try #require(rendering.preview), arena: arena)
        var worstOutside = 0.0, changedInside = 0
        preview.pixels.withUnsafeBytes { after in
            image.pixels.withUnsafeBytes { before in
                for i in 0..<(size * size) {
                    let p = CIELab(sRGBRed: after[3 * i], green: after[3 * i + 1], blue: after[3 * i + 2])
                    let q = CIELab(sRGBRed: before[3 * i], green: before[3 * i + 1], blue: before[3 * i + 2])
                    let deltaE = ((p.l - q.l) * (p.l - q.l) + (p.a - q.a) * (p.a - q.a) + (p.b - q.b) * (p.b - q.b)).squareRoot()
                    if isSkin[i] { if deltaE > 1 { changedInside += 1 } } else { worstOutside = max(worstOutside, deltaE) }
                }
            }
        }
        print("outside skin: largest ΔE \(worstOutside); inside: \(changedInside) pixels changed by ΔE > 1")
        #expect(worstOutside < 1)
        #expect(changedInside > 1000, "the preview should visibly change the skin")
        #expect(arena.wipeAll().verified)
    }

    @Test("spot masks overlap the generated spots (IoU ≥ 0.7)")
    func spotMaskOverlap() throws {
        var overlaps: [Double] = []
        for seed in Self.seeds(where: { $0.spots.count >= 3 }).prefix(4) {
            let truth = SkinPatch(seed: seed)
            let arena = PlaintextArena()
            let image = try truth.render(seed: seed, arena: arena)
            let rendering = try Self.render(image, SimulationRequest(concerns: [.spots]), arena: arena)
            let mask = try #require(rendering.masks.first { $0.concern == .spots })
            #expect(mask.image.format == .png && mask.image.width == image.width)
            // Decoded over white: a mask pixel is one that is not white.
            let decoded = try Self.decode(mask.image, arena: arena)
            var intersection = 0, union = 0
            decoded.pixels.withUnsafeBytes { pixels in
                for y in 0..<truth.size {
                    for x in 0..<truth.size {
                        let i = (y * truth.size + x) * 3
                        let inMask = !(pixels[i] == 255 && pixels[i + 1] == 255 && pixels[i + 2] == 255)
                        let inTruth = truth.spots.contains { hypot(Double(x) + 0.5 - $0.x, Double(y) + 0.5 - $0.y) <= $0.radius }
                        if inMask && inTruth { intersection += 1 }
                        if inMask || inTruth { union += 1 }
                    }
                }
            }
            overlaps.append(Double(intersection) / Double(max(1, union)))
            #expect(arena.wipeAll().verified)
        }
        print("spot mask IoU against the generated spots: \(overlaps)")
        #expect(overlaps.allSatisfy { $0 >= 0.7 }, "\(overlaps)")
    }

    @Test("a mask shows every mark its measure counted and no other, at full size and at half size (the analysis' labels resampled)")
    func masksAreTheCountedMarks() throws {
        for seed in Self.seeds(where: { $0.spots.count >= 3 && $0.pores.count >= 10 }).prefix(3) {
            let arena = PlaintextArena()
            defer { _ = arena.wipeAll() }
            let image = try SkinPatch(seed: seed).render(seed: seed, arena: arena)
            let settings = AnalysisSettings(kind: .skin, quality: Self.quality)
            let analysis = try PhotoAnalysis.run(image, settings: settings, labelling: true, arena: arena)
            let concerns = try #require(analysis.measures?.concerns)
            let spots = try #require(concerns.spots.count), pores = try #require(concerns.pores.count)
            for maxDimension in [image.width, image.width / 2] {
                var request = SimulationRequest(concerns: [.spots, .pores])
                request.output = SimulationOutput(maxDimension: maxDimension, format: .png)
                let rendering = try SimulationRenderer.render(image, analysis: analysis, request: request, arena: arena)
                var shown: [SimulationConcern: Int] = [:]
                for mask in rendering.masks {
                    let decoded = try Self.decode(mask.image, arena: arena)
                    #expect(decoded.width == maxDimension)
                    // Decoded over white: a mask pixel is one that is not white; a mark is a 4-connected set of them.
                    let pixels = decoded.pixels.withUnsafeBytes { Array($0) }
                    let inMask = (0..<(decoded.width * decoded.height)).map { i in (0..<3).contains { pixels[i * 3 + $0] != 255 } }
                    shown[mask.concern] = Self.components(inMask, width: decoded.width)
                }
                print("seed \(seed) at \(maxDimension) px: spots counted \(spots), shown \(shown[.spots] ?? -1); pores counted \(pores), shown \(shown[.pores] ?? -1)")
                #expect(shown[.spots] == spots && shown[.pores] == pores, "seed \(seed) at \(maxDimension) px")
            }
        }
    }

    @Test("scalp masks are the hairs and flakes the analysis counted: one mark per follicular unit at full size; every generated hair covered at full size and at a third")
    func scalpMasksAreTheCountedHairs() throws {
        for seed in [3, 11] as [UInt64] {
            let arena = PlaintextArena()
            defer { _ = arena.wipeAll() }
            var truth = TrichoscopyImage(seed: seed)
            let image = try truth.render(seed: seed, arena: arena)
            let settings = AnalysisSettings(kind: .scalp, millimetresPerPixel: truth.millimetresPerPixel, quality: Self.quality)
            let analysis = try PhotoAnalysis.run(image, settings: settings, labelling: true, arena: arena)
            let units = try #require(analysis.scalp?.follicularUnits.count)
            for maxDimension in [image.width, image.width / 3] {
                var request = SimulationRequest(concerns: [.hair, .flakes])
                request.output = SimulationOutput(maxDimension: maxDimension, format: .png)
                let rendering = try SimulationRenderer.render(image, analysis: analysis, request: request, arena: arena)
                #expect(rendering.preview == nil && rendering.masks.map(\.concern) == [.hair, .flakes])
                let decoded = try Self.decode(try #require(rendering.masks.first { $0.concern == .hair }).image, arena: arena)
                let pixels = decoded.pixels.withUnsafeBytes { Array($0) }
                let inMask = (0..<(decoded.width * decoded.height)).map { i in (0..<3).contains { pixels[i * 3 + $0] != 255 } }
                // Each generated hair's centre line, sampled every 2 photo pixels, within a pixel of the mask.
                let scale = Double(decoded.width) / Double(image.width)
                var covered = 0, samples = 0
                for hair in truth.hairs {
                    let path = hair.path
                    for (a, b) in zip(path, path.dropFirst()) {
                        let length = hypot(b.x - a.x, b.y - a.y)
                        for t in stride(from: 0.0, to: length, by: 2) {
                            let x = Int((a.x + (b.x - a.x) * t / length) * scale), y = Int((a.y + (b.y - a.y) * t / length) * scale)
                            guard x >= 0, y >= 0, x < decoded.width, y < decoded.height else { continue }
                            samples += 1
                            if (-1...1).contains(where: { dy in (-1...1).contains { dx in
                                let nx = x + dx, ny = y + dy
                                return nx >= 0 && ny >= 0 && nx < decoded.width && ny < decoded.height && inMask[ny * decoded.width + nx]
                            } }) { covered += 1 }
                        }
                    }
                }
                let marks = Self.components(inMask, width: decoded.width), coverage = Double(covered) / Double(max(1, samples))
                print("scalp seed \(seed) at \(maxDimension) px: \(marks) hair marks, \(units) follicular units counted; hair coverage \(String(format: "%.3f", coverage))")
                if maxDimension == image.width { #expect(marks == units, "seed \(seed)") }
                #expect(coverage >= 0.9, "seed \(seed) at \(maxDimension) px")
            }
        }
    }

    /// The 4-connected components of `mask`.
    static func components(_ mask: [Bool], width: Int) -> Int {
        var seen = [Bool](repeating: false, count: mask.count), count = 0
        for start in mask.indices where mask[start] && !seen[start] {
            count += 1
            var stack = [start]
            seen[start] = true
            while let i = stack.popLast() {
                let x = i % width
                for j in [x > 0 ? i - 1 : -1, x < width - 1 ? i + 1 : -1, i - width, i + width] where j >= 0 && j < mask.count && mask[j] && !seen[j] {
                    seen[j] = true
                    stack.append(j)
                }
            }
        }
        return count
    }

    @Test("rendering buffers are wiped and counted as 'rendering' bytes; output fits max_dimension")
    func renderingCounted() throws {
        let seed = Self.seeds(where: { $0.spots.count >= 2 })[0]
        let arena = PlaintextArena()
        let image = try SkinPatch(seed: seed).render(seed: seed, arena: arena)
        var request = SimulationRequest(concerns: [.spots, .pores, .wrinkles, .redness])
        request.output.maxDimension = 200
        let rendering = try Self.render(image, request, arena: arena)
        #expect(rendering.width == 200 && rendering.height == 200)
        #expect(rendering.masks.map(\.concern) == [.spots, .pores, .wrinkles, .redness])
        let overlay = try Self.decode(try #require(rendering.overlay), arena: arena)
        #expect(overlay.width == 200)
        let report = arena.wipeAll()
        #expect(report.verified)
        #expect((report.bytesByClass[BufferClass.rendering.rawValue] ?? 0) > 200 * 200 * 3 * 2)
    }
}
