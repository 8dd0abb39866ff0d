import Foundation
import LetheAPI
@testable import LetheAnalysis
import LetheImaging
import LetheMemory
import LetheTestSupport
import Testing

/// Issue 16.4: what the products report — dark circles (under-eye against cheek), oiliness (T-zone
/// against U-zone) and wrinkle lines per zone — on the fixture portrait changed by known amounts.
@Suite("Face product measures")
struct FaceProductMeasureTests {
    /// The portrait with `change` applied to the CIELAB colour of every pixel whose centre `select` accepts.
    static func edited(
        _ pixels: [UInt8], arena: PlaintextArena, select: (Double, Double) -> Bool, change: (CIELab) -> CIELab
    ) throws -> DecodedImage {
        try SyntheticImages.make(width: 512, height: 512, arena: arena) { x, y in
            let offset = (y * 512 + x) * 3
            let rgb = RGB(pixels[offset], pixels[offset + 1], pixels[offset + 2])
            guard select(Double(x) + 0.5, Double(y) + 0.5) else { return rgb }
            let lab = change(CIELab(sRGBRed: rgb.r, green: rgb.g, blue: rgb.b))
            let (r, g, b) = LabToSRGB.convert(l: lab.l, a: lab.a, b: lab.b)
            return RGB(r, g, b)
        }
    }

    /// The face models, the fixture portrait's RGB bytes and its analysis.
    static func portrait(
        arena: PlaintextArena
    ) throws -> (AnalysisModels, [UInt8], (measures: SkinAnalysisResult, face: FaceAnalysisResult, geometry: FaceGeometry)) {
        let models = try FaceAnalysisTests.models()
        let portrait = try SyntheticImages.decodeFixture("astronaut.png", arena: arena)
        let analysis = try FaceAnalyzer.analyze(portrait, models: models, configuration: .init(), arena: arena)
        return (models, portrait.pixels.withUnsafeBytes { Array($0) }, analysis)
    }

    @Test("the portrait's under-eye zones darkened by 3 and 6 L*: the dark-circle ΔL* rises by as much, ΔE follows")
    func darkCircles() throws {
        let arena = PlaintextArena()
        defer { _ = arena.wipeAll() }
        let (models, pixels, before) = try Self.portrait(arena: arena)
        let circles = try #require(before.face.darkCircles)
        print("dark circles: portrait ΔL* right \(circles.right.deltaLStar) left \(circles.left.deltaLStar), ΔE right \(circles.right.deltaE) left \(circles.left.deltaE)")
        let sides: [(zone: String, side: KeyPath<DarkCircles, DarkCircles.Side>)] = [("right_under_eye", \.right), ("left_under_eye", \.left)]
        for darkening in [3.0, 6.0] {
            let image = try Self.edited(pixels, arena: arena, select: { x, y in
                let zone = before.geometry.zone(at: FaceGeometry.Point(x, y))
                return zone == "right_under_eye" || zone == "left_under_eye"
            }) { CIELab(l: $0.l - darkening, a: $0.a, b: $0.b) }
            let after = try FaceAnalyzer.analyze(image, models: models, configuration: .init(), arena: arena)
            let measured = try #require(after.face.darkCircles)
            for (zone, side) in sides {
                let rise = measured[keyPath: side].deltaLStar - circles[keyPath: side].deltaLStar
                // Ground truth for ΔE: the cheek as it was, the under-eye colour darker by `darkening` (a*, b* kept).
                let cheekBefore = circles[keyPath: side]
                let expectedE = (pow(cheekBefore.deltaLStar + darkening, 2) + pow(cheekBefore.deltaE, 2) - pow(cheekBefore.deltaLStar, 2)).squareRoot()
                print("dark circles: \(zone) darkened by \(darkening) → ΔL* \(measured[keyPath: side].deltaLStar) (rise \(rise)), ΔE \(measured[keyPath: side].deltaE) (expected \(expectedE))")
                #expect(abs(rise - darkening) <= 1.2, "\(zone): ΔL* rose by \(rise), not \(darkening)")
                #expect(abs(measured[keyPath: side].deltaE - expectedE) <= 0.8, "\(zone)")
            }
            #expect(abs(measured.deltaLStar - (measured.right.deltaLStar + measured.left.deltaLStar) / 2) < 1e-9)
        }
    }

    @Test("highlights painted on the portrait's nose and forehead raise the T-zone's shine, not the U-zone's")
    func oiliness() throws {
        let arena = PlaintextArena()
        defer { _ = arena.wipeAll() }
        let (models, pixels, before) = try Self.portrait(arena: arena)
        let oiliness = try #require(before.face.oiliness)
        // Near-white discs (r 2.5 px) on the nose bridge and the forehead strip (points stated for FaceZoneTests).
        let discs: [(x: Double, y: Double)] = [(224, 112), (222, 84), (226, 120)]
        var painted = 0
        let image = try SyntheticImages.make(width: 512, height: 512, arena: arena) { x, y in
            let offset = (y * 512 + x) * 3
            let cover = discs.map { discCoverage(distance: hypot(Double(x) + 0.5 - $0.x, Double(y) + 0.5 - $0.y), radius: 2.5) }.max() ?? 0
            if cover >= 0.5 { painted += 1 }
            func channel(_ c: Int) -> UInt8 { UInt8((Double(pixels[offset + c]) * (1 - cover) + 250 * cover).rounded()) }
            return RGB(channel(0), channel(1), channel(2))
        }
        let after = try FaceAnalyzer.analyze(image, models: models, configuration: .init(), arena: arena)
        let shiny = try #require(after.face.oiliness)
        let tSkin = before.face.regions.filter { FaceAnalyzer.tZone.contains($0.region) }.reduce(0) { $0 + $1.skinPixelCount }
        // Ground truth: the painted pixels (half covered or more) over the T-zone's skin surface.
        let expected = Double(painted) / Double(tSkin + painted)
        let rise = shiny.tZoneSpecularFraction - oiliness.tZoneSpecularFraction
        print("oiliness: portrait T \(oiliness.tZoneSpecularFraction) U \(oiliness.uZoneSpecularFraction); painted \(painted) px → T \(shiny.tZoneSpecularFraction) (rise \(rise), expected \(expected)) U \(shiny.uZoneSpecularFraction)")
        #expect(abs(rise - expected) <= 0.25 * expected)
        #expect(abs(shiny.uZoneSpecularFraction - oiliness.uZoneSpecularFraction) < 0.002)
        #expect(abs(shiny.tMinusU - (shiny.tZoneSpecularFraction - shiny.uZoneSpecularFraction)) < 1e-12)
    }

    @Test("a dark line painted on each cheek of the portrait adds one line of its length to that zone")
    func portraitLines() throws {
        let arena = PlaintextArena()
        defer { _ = arena.wipeAll() }
        let (models, pixels, before) = try Self.portrait(arena: arena)
        for region in before.face.regions {
            let w = region.concerns.wrinkles
            print("lines: portrait \(region.region): \(w.lineCount) lines \(String(format: "%.1f", w.lineLengthMillimetres ?? -1)) mm, ridge fraction \(String(format: "%.3f", w.ridgeFraction))")
        }
        let whole = try #require(before.measures.concerns).wrinkles
        print("lines: portrait whole face \(whole.lineCount) lines \(whole.lineLengthMillimetres ?? -1) mm, \(whole.lineLengthMillimetresPerSquareCentimetre ?? -1) mm/cm²")
        #expect(whole.lineCount == before.face.regions.reduce(0) { $0 + $1.concerns.wrinkles.lineCount })

        // Vertical lines 12 px long (≈ 16 mm at the face-width estimate), 2 px wide at half depth, 12 L* deep.
        let lines: [(zone: String, x: Double, y0: Double, y1: Double)] = [("right_cheek", 193, 116, 128), ("left_cheek", 254, 126, 138)]
        for line in lines {
            for y in stride(from: line.y0, through: line.y1, by: 2) {
                #expect(before.geometry.zone(at: FaceGeometry.Point(line.x, y)) == line.zone, "\(line.zone) line at y \(y)")
            }
        }
        let s = 2 / 2.3548
        let image = try SyntheticImages.make(width: 512, height: 512, arena: arena) { x, y in
            let offset = (y * 512 + x) * 3
            let rgb = RGB(pixels[offset], pixels[offset + 1], pixels[offset + 2])
            let px = Double(x) + 0.5, py = Double(y) + 0.5
            let depth = lines.map { line -> Double in
                let d = hypot(px - line.x, py - min(max(py, line.y0), line.y1))
                return 12 * exp(-d * d / (2 * s * s))
            }.max() ?? 0
            guard depth > 0.05 else { return rgb }
            let lab = CIELab(sRGBRed: rgb.r, green: rgb.g, blue: rgb.b)
            let (r, g, b) = LabToSRGB.convert(l: lab.l - depth, a: lab.a, b: lab.b)
            return RGB(r, g, b)
        }
        let after = try FaceAnalyzer.analyze(image, models: models, configuration: .init(), arena: arena)
        let scale = try #require(after.measures.millimetresPerPixel)
        for line in lines {
            let old = try #require(before.face.regions.first { $0.region == line.zone }).concerns.wrinkles
            let new = try #require(after.face.regions.first { $0.region == line.zone }).concerns.wrinkles
            let added = (new.lineLengthMillimetres ?? 0) - (old.lineLengthMillimetres ?? 0)
            let truth = (line.y1 - line.y0) * scale
            print("lines: \(line.zone) painted \(String(format: "%.1f", truth)) mm → lines \(old.lineCount) → \(new.lineCount), length +\(String(format: "%.1f", added)) mm")
            #expect(new.lineCount == old.lineCount + 1, "\(line.zone)")
            #expect(abs(added - truth) <= 0.3 * truth, "\(line.zone)")
        }
    }
}
