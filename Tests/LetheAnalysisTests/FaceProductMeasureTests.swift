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
        // Near-white discs (r 4 px) on the nose bridge and the forehead strip (points stated for
        // FaceZoneTests): wide enough that their rims, where the share's smoothed L* spreads a
        // highlight's light below the knee (luminance is convex in L*), are a small part of them
        // (discs of r 2.5 px read 57 % of their light, of r 4 px 83 %).
        let discs: [(x: Double, y: Double)] = [(224, 112), (222, 84), (226, 120)]
        var painted = 0
        let image = try SyntheticImages.make(width: 512, height: 512, arena: arena) { x, y in
            let offset = (y * 512 + x) * 3
            let cover = discs.map { discCoverage(distance: hypot(Double(x) + 0.5 - $0.x, Double(y) + 0.5 - $0.y), radius: 4) }.max() ?? 0
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
        // The share (what oiliness compares, as the shine score reads it): the painted light above
        // 1.3 × the skin around it over the T-zone's skin light. Ground truth from the painting:
        // each painted pixel's luminance (code 250) less 1.3 × the T-zone's clear-skin luminance,
        // over that luminance times the T-zone's skin pixels.
        let tZones = before.face.regions.filter { FaceAnalyzer.tZone.contains($0.region) }
        let skinLuminance = tZones.reduce(0.0) { $0 + ($1.concerns.radiance?.luminance ?? 0) * Double($1.skinPixelCount) } / Double(tSkin)
        let paintedLuminance = SRGB.linearTable[250]
        let expectedShare = Double(painted) * (paintedLuminance - 1.3 * skinLuminance) / (skinLuminance * Double(tSkin))
        let shareRise = shiny.tZoneSpecularShare - oiliness.tZoneSpecularShare
        print("oiliness share: portrait T \(oiliness.tZoneSpecularShare) U \(oiliness.uZoneSpecularShare) → T \(shiny.tZoneSpecularShare) (rise \(shareRise), expected \(expectedShare)) U \(shiny.uZoneSpecularShare)")
        #expect(abs(shareRise - expectedShare) <= 0.25 * expectedShare)
        #expect(abs(shiny.uZoneSpecularShare - oiliness.uZoneSpecularShare) < 0.002)
        #expect(abs(shiny.tMinusU - (shiny.tZoneSpecularShare - shiny.uZoneSpecularShare)) < 1e-12)
    }

    /// Before the resolution gate this test painted 2-px lines on the portrait's cheeks and found
    /// them; at the portrait's 1.5 mm per pixel (42 px between the eyes) the lines looked for,
    /// 0.3–3 mm wide, are mostly below the pixels, so the measure is now not reported there (line
    /// accuracy is tested at 0.1 mm per pixel in `WrinkleLineTests`).
    @Test("at the portrait's resolution lines are not measurable: no figures, no score, the scale that would do")
    func portraitLines() throws {
        let arena = PlaintextArena()
        defer { _ = arena.wipeAll() }
        let (_, _, before) = try Self.portrait(arena: arena)
        let scale = try #require(before.measures.millimetresPerPixel)
        // The finest scale (σ √2 px) answers most to a line 2.3548 px wide: 0.3 mm must be that wide.
        let required = 0.3 / 2.3548
        let whole = try #require(before.measures.concerns)
        print("lines: portrait at \(scale) mm/px → \(whole.wrinkles.status), needs \(whole.wrinkles.requiredMillimetresPerPixel ?? -1) mm/px")
        #expect(scale > required)
        for wrinkles in [whole.wrinkles] + before.face.regions.map(\.concerns.wrinkles) {
            #expect(!wrinkles.isMeasured)
            #expect(wrinkles.lineCount == nil && wrinkles.lineLengthPixels == nil && wrinkles.lineLengthMillimetres == nil)
            #expect(abs((wrinkles.requiredMillimetresPerPixel ?? 0) - required) < 1e-9)
        }
        #expect(whole.scores.wrinkles == nil && before.face.regions.allSatisfy { $0.concerns.scores.wrinkles == nil })
        // The overall score is the mean of the measured ones.
        let s = whole.scores
        let measured = [s.redness] + [s.evenness, s.spots, s.shine, s.pores].compactMap { $0 }
        #expect(s.overall == Int((Double(measured.reduce(0, +)) / Double(measured.count)).rounded()))
        let json = String(decoding: try JSONEncoder().encode(whole.wrinkles), as: UTF8.self)
        #expect(json.contains("\"not_measurable\"") && !json.contains("line_count"))
    }
}
