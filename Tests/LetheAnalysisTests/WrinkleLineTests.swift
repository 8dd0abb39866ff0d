import Foundation
import LetheAPI
@testable import LetheAnalysis
import LetheImaging
import LetheMemory
import LetheTestSupport
import Testing

/// Issue 16.3: wrinkles as multi-scale lines (count and length in mm), step edges suppressed,
/// against generated skin whose lines the test placed itself.
@Suite("Wrinkles as lines")
struct WrinkleLineTests {
    static func analyse(_ skin: WrinkledSkin) throws -> SkinConcerns {
        let arena = PlaintextArena()
        defer { _ = arena.wipeAll() }
        let image = try skin.render(arena: arena)
        let result = try SkinAnalyzer.analyze(
            image, configuration: SkinAnalysisConfiguration(minLaplacianVariance: 0), millimetresPerPixel: skin.millimetresPerPixel, arena: arena)
        return try #require(result.concerns)
    }

    static let seeds: [UInt64] = (1...8).map { 31 * $0 + 5 }

    @Test("generated skin with 2–6 lines (8–22 mm long, 0.5–2 mm wide, 5–10 ΔL* deep): counted exactly, their length in mm within −3 … +7 %")
    func countsAndLengths() throws {
        var lengthErrors: [Double] = []
        var countErrors = 0
        for (k, seed) in Self.seeds.enumerated() {
            let skin = WrinkledSkin(seed: seed, lineCount: 2 + k % 5)
            let wrinkles = try Self.analyse(skin).wrinkles
            let truth = skin.lengthsMillimetres.reduce(0, +)
            let measured = try #require(wrinkles.lineLengthMillimetres)
            let error = (measured - truth) / truth
            lengthErrors.append(error)
            countErrors += abs((wrinkles.lineCount ?? -1) - skin.lines.count)
            print("lines: seed \(seed) truth \(skin.lines.count) lines \(String(format: "%.1f", truth)) mm, measured \((wrinkles.lineCount ?? -1)) lines \(String(format: "%.1f", measured)) mm (\(String(format: "%+.1f", 100 * error)) %), \(String(format: "%.1f", wrinkles.lineLengthMillimetresPerSquareCentimetre ?? -1)) mm/cm², ridge fraction \(String(format: "%.3f", (wrinkles.ridgeFraction ?? .nan)))")
            #expect((wrinkles.lineCount ?? -1) == skin.lines.count, "seed \(seed)")
            // Measured: +2.1 … +4.6 %.
            #expect(error >= -0.03 && error <= 0.07, "seed \(seed): length error \(error)")
            #expect(abs((wrinkles.lineLengthPixels ?? .nan) * skin.millimetresPerPixel - measured) < 1e-9)
        }
        let mean = lengthErrors.map(abs).reduce(0, +) / Double(lengthErrors.count)
        print("lines: count errors \(countErrors) over \(Self.seeds.count) images, mean |length error| \(String(format: "%.1f", 100 * mean)) %, worst \(String(format: "%.1f", 100 * lengthErrors.map(abs).max()!)) %")
    }

    @Test("the wrinkles score follows the lines' length per cm² (100 at none, 0 at 10 mm/cm²): within −3 … +1 points of the score of the true length")
    func scoreFromLineDensity() throws {
        var errors: [Int] = []
        for (k, seed) in Self.seeds.enumerated() {
            let skin = WrinkledSkin(seed: seed, lineCount: 2 + k % 5)
            let concerns = try Self.analyse(skin)
            // Ground truth: the lines' true length over the whole generated area (all of it skin).
            let areaSquareCentimetres = Double(skin.size * skin.size) * skin.millimetresPerPixel * skin.millimetresPerPixel / 100
            let truthDensity = skin.lengthsMillimetres.reduce(0, +) / areaSquareCentimetres
            let expected = ConcernScores.linear(truthDensity, clear: 0, severe: ConcernScores.severeLineMillimetresPerSquareCentimetre)
            let measuredDensity = try #require(concerns.wrinkles.lineLengthMillimetresPerSquareCentimetre)
            errors.append((concerns.scores.wrinkles ?? -1000) - expected)
            print("wrinkle score: seed \(seed) truth \(String(format: "%.2f", truthDensity)) mm/cm² → \(expected), measured \(String(format: "%.2f", measuredDensity)) mm/cm² → \((concerns.scores.wrinkles ?? -1000))")
            // Measured: −2 … −1 points (lengths read 2–5 % long).
            #expect((concerns.scores.wrinkles ?? -1000) - expected >= -3 && (concerns.scores.wrinkles ?? -1000) - expected <= 1, "seed \(seed)")
            #expect((concerns.scores.wrinkles ?? -1000) < 100)
        }
        print("wrinkle score: errors \(errors) points")
    }

    @Test("without a scale the score reads the density at the detector's nominal 0.2 mm per pixel")
    func scoreWithoutScale() throws {
        let skin = WrinkledSkin(seed: Self.seeds[3], lineCount: 5)
        let arena = PlaintextArena()
        defer { _ = arena.wipeAll() }
        let image = try skin.render(arena: arena)
        let concerns = try #require(try SkinAnalyzer.analyze(image, configuration: SkinAnalysisConfiguration(minLaplacianVariance: 0), arena: arena).concerns)
        let wrinkles = concerns.wrinkles
        #expect(wrinkles.lineLengthMillimetresPerSquareCentimetre == nil)
        let skinPixels = Double(skin.size * skin.size)
        print("wrinkle score without a scale: \((wrinkles.lineCount ?? -1)) lines, \((wrinkles.lineLengthPixels ?? .nan)) px, \((wrinkles.lineLengthPer10kPixels ?? .nan)) per 10k px → \((concerns.scores.wrinkles ?? -1000))")
        #expect((wrinkles.lineCount ?? -1) > 0)
        #expect(abs((wrinkles.lineLengthPer10kPixels ?? .nan) - (wrinkles.lineLengthPixels ?? .nan) / skinPixels * 10_000) <= 0.02 * (wrinkles.lineLengthPer10kPixels ?? .nan))
        let density = (wrinkles.lineLengthPer10kPixels ?? .nan) / 100 / 0.2
        #expect((concerns.scores.wrinkles ?? -1000) == ConcernScores.linear(density, clear: 0, severe: 10))
    }

    @Test("the simulation's wrinkle mask is the detected lines: on the generated lines, covering them, nothing on a step edge")
    func simulationMaskFollowsLines() throws {
        for seed in Self.seeds.prefix(3) {
            var skin = WrinkledSkin(seed: seed, lineCount: 4)
            let candidates = stride(from: 60.0, through: 340.0, by: 10.0).filter { x in
                skin.lines.allSatisfy { WrinkledSkin.segmentDistance($0, .init(x0: x, y0: 0, x1: x, y1: 400, widthMillimetres: 0, depthLStar: 0)) >= 30 }
            }
            skin.stepX = candidates.first
            let arena = PlaintextArena()
            defer { _ = arena.wipeAll() }
            let image = try skin.render(arena: arena)
            let settings = AnalysisSettings(kind: .skin, millimetresPerPixel: skin.millimetresPerPixel, quality: SkinAnalysisConfiguration(minLaplacianVariance: 0))
            let analysis = try PhotoAnalysis.run(image, settings: settings, labelling: true, arena: arena)
            var request = SimulationRequest(concerns: [.wrinkles])
            request.output.format = .png
            let rendering = try SimulationRenderer.render(image, analysis: analysis, request: request, arena: arena)
            let mask = try rendering.masks[0].image.encoded.withUnsafeBytes { try ImageDecoder.decode($0, limits: DecodeLimits(), arena: arena) }
            // Decoded over white (RGB): a mask pixel is one that is not white.
            let alpha = mask.pixels.withUnsafeBytes { bytes in
                (0..<(mask.width * mask.height)).map { i -> UInt8 in (0..<3).contains { bytes[i * 3 + $0] != 255 } ? 255 : 0 }
            }
            var on = 0, near = 0, nearStep = 0
            for y in 0..<mask.height {
                for x in 0..<mask.width where alpha[y * mask.width + x] != 0 {
                    on += 1
                    let px = Double(x) + 0.5, py = Double(y) + 0.5
                    // Near a line: within its half width at half depth plus 2 pixels.
                    if skin.lines.contains(where: { WrinkledSkin.pointDistance(px, py, $0) <= $0.widthMillimetres / skin.millimetresPerPixel / 2 + 2 }) { near += 1 }
                    if let step = skin.stepX, abs(px - step) <= 5 { nearStep += 1 }
                }
            }
            // Coverage: points every pixel along each line with a mask pixel within 2 px.
            var covered = 0, samples = 0
            for line in skin.lines {
                let length = hypot(line.x1 - line.x0, line.y1 - line.y0)
                for t in stride(from: 0.0, through: length, by: 1) {
                    let cx = line.x0 + (line.x1 - line.x0) * t / length, cy = line.y0 + (line.y1 - line.y0) * t / length
                    samples += 1
                    let hit = (-2...2).contains { dy in (-2...2).contains { dx in
                        let x = Int(cx) + dx, y = Int(cy) + dy
                        return x >= 0 && y >= 0 && x < mask.width && y < mask.height && alpha[y * mask.width + x] != 0
                    } }
                    if hit { covered += 1 }
                }
            }
            let precision = Double(near) / Double(max(1, on)), coverage = Double(covered) / Double(max(1, samples))
            print("wrinkle mask: seed \(seed) \(on) px, \(String(format: "%.3f", precision)) on a line, \(nearStep) px by the step edge, line coverage \(String(format: "%.3f", coverage))")
            #expect(precision >= 0.97, "seed \(seed)")
            #expect(coverage >= 0.95, "seed \(seed)")
            #expect(nearStep == 0, "seed \(seed)")
        }
    }

    @Test("a step edge alone (15 ΔL*, with a sharpening halo) is no line; the single-scale ridge fraction counts it")
    func stepEdgeIsNoLine() throws {
        var skin = WrinkledSkin(seed: 1, lineCount: 0)
        skin.stepX = 200
        let wrinkles = try Self.analyse(skin).wrinkles
        print("lines: step edge alone → \((wrinkles.lineCount ?? -1)) lines, \(wrinkles.lineLengthMillimetres ?? -1) mm; ridge fraction \((wrinkles.ridgeFraction ?? .nan))")
        #expect((wrinkles.lineCount ?? -1) == 0)
        #expect((wrinkles.lineLengthPixels ?? .nan) == 0)
        // The score is the lines': a step edge no longer lowers it (the ridge fraction's score did).
        #expect(try Self.analyse(skin).scores.wrinkles == 100)

        let plain = try Self.analyse(WrinkledSkin(seed: 1, lineCount: 0)).wrinkles
        print("lines: plain skin → \(plain.lineCount) lines; ridge fraction \((plain.ridgeFraction ?? .nan))")
        #expect(plain.lineCount == 0)
        // The single-scale measure counts the edge's foot as ridge pixels; the line detector does not.
        #expect((wrinkles.ridgeFraction ?? .nan) > (plain.ridgeFraction ?? .nan))
    }

    @Test("lines next to a step edge are counted, the edge is not")
    func linesBesideStepEdge() throws {
        var skin = WrinkledSkin(seed: 77, lineCount: 4)
        // The step on a vertical through no line (at least 3 mm from each).
        let candidates = stride(from: 60.0, through: 340.0, by: 10.0).filter { x in
            skin.lines.allSatisfy { WrinkledSkin.segmentDistance($0, .init(x0: x, y0: 0, x1: x, y1: 400, widthMillimetres: 0, depthLStar: 0)) >= 30 }
        }
        skin.stepX = try #require(candidates.first)
        let wrinkles = try Self.analyse(skin).wrinkles
        let truth = skin.lengthsMillimetres.reduce(0, +)
        print("lines: \(skin.lines.count) lines beside a step at x \(skin.stepX!) → \((wrinkles.lineCount ?? -1)), \(wrinkles.lineLengthMillimetres ?? -1) mm of \(truth)")
        #expect((wrinkles.lineCount ?? -1) == skin.lines.count)
        let error = ((wrinkles.lineLengthMillimetres ?? 0) - truth) / truth
        #expect(error >= -0.03 && error <= 0.07, "length error \(error)")
    }
}

