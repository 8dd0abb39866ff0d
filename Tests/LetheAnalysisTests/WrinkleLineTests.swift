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
            countErrors += abs(wrinkles.lineCount - skin.lines.count)
            print("lines: seed \(seed) truth \(skin.lines.count) lines \(String(format: "%.1f", truth)) mm, measured \(wrinkles.lineCount) lines \(String(format: "%.1f", measured)) mm (\(String(format: "%+.1f", 100 * error)) %), \(String(format: "%.1f", wrinkles.lineLengthMillimetresPerSquareCentimetre ?? -1)) mm/cm², ridge fraction \(String(format: "%.3f", wrinkles.ridgeFraction))")
            #expect(wrinkles.lineCount == skin.lines.count, "seed \(seed)")
            // Measured: +2.1 … +4.6 %.
            #expect(error >= -0.03 && error <= 0.07, "seed \(seed): length error \(error)")
            #expect(abs(wrinkles.lineLengthPixels * skin.millimetresPerPixel - measured) < 1e-9)
        }
        let mean = lengthErrors.map(abs).reduce(0, +) / Double(lengthErrors.count)
        print("lines: count errors \(countErrors) over \(Self.seeds.count) images, mean |length error| \(String(format: "%.1f", 100 * mean)) %, worst \(String(format: "%.1f", 100 * lengthErrors.map(abs).max()!)) %")
    }

    @Test("a step edge alone (15 ΔL*, with a sharpening halo) is no line; the single-scale ridge fraction counts it")
    func stepEdgeIsNoLine() throws {
        var skin = WrinkledSkin(seed: 1, lineCount: 0)
        skin.stepX = 200
        let wrinkles = try Self.analyse(skin).wrinkles
        print("lines: step edge alone → \(wrinkles.lineCount) lines, \(wrinkles.lineLengthMillimetres ?? -1) mm; ridge fraction \(wrinkles.ridgeFraction)")
        #expect(wrinkles.lineCount == 0)
        #expect(wrinkles.lineLengthPixels == 0)

        let plain = try Self.analyse(WrinkledSkin(seed: 1, lineCount: 0)).wrinkles
        print("lines: plain skin → \(plain.lineCount) lines; ridge fraction \(plain.ridgeFraction)")
        #expect(plain.lineCount == 0)
        // The single-scale measure counts the edge's foot as ridge pixels; the line detector does not.
        #expect(wrinkles.ridgeFraction > plain.ridgeFraction)
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
        print("lines: \(skin.lines.count) lines beside a step at x \(skin.stepX!) → \(wrinkles.lineCount), \(wrinkles.lineLengthMillimetres ?? -1) mm of \(truth)")
        #expect(wrinkles.lineCount == skin.lines.count)
        let error = ((wrinkles.lineLengthMillimetres ?? 0) - truth) / truth
        #expect(error >= -0.03 && error <= 0.07, "length error \(error)")
    }
}

