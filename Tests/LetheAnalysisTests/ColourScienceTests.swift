import Foundation
@testable import LetheAnalysis
import LetheImaging
import LetheMemory
import LetheTestSupport
import Testing

@Suite("Colour science")
struct ColourScienceTests {
    struct Reference: Sendable, CustomTestStringConvertible {
        let colour: RGB
        let l: Double, a: Double, b: Double
        var testDescription: String { "sRGB \(colour)" }
    }

    /// Published CIELAB (D65) values of sRGB primaries and greys (e.g. Lindbloom's calculator,
    /// colormine.org); hand-copied, not computed by the code under test.
    static let published: [Reference] = [
        Reference(colour: RGB(255, 255, 255), l: 100, a: 0, b: 0),
        Reference(colour: RGB(0, 0, 0), l: 0, a: 0, b: 0),
        Reference(colour: RGB(128, 128, 128), l: 53.59, a: 0, b: 0),
        Reference(colour: RGB(255, 0, 0), l: 53.24, a: 80.09, b: 67.20),
        Reference(colour: RGB(0, 255, 0), l: 87.73, a: -86.18, b: 83.18),
        Reference(colour: RGB(0, 0, 255), l: 32.30, a: 79.19, b: -107.86),
        Reference(colour: RGB(255, 255, 0), l: 97.14, a: -21.55, b: 94.48),
        Reference(colour: RGB(0, 255, 255), l: 91.11, a: -48.09, b: -14.13),
        Reference(colour: RGB(255, 0, 255), l: 60.32, a: 98.23, b: -60.82),
    ]

    @Test("sRGB → CIELAB matches published values within 0.1", arguments: published)
    func publishedValues(_ reference: Reference) {
        let lab = CIELab(sRGBRed: reference.colour.r, green: reference.colour.g, blue: reference.colour.b)
        #expect(abs(lab.l - reference.l) < 0.1, "L* \(lab.l)")
        #expect(abs(lab.a - reference.a) < 0.1, "a* \(lab.a)")
        #expect(abs(lab.b - reference.b) < 0.1, "b* \(lab.b)")
    }

    @Test("every 8-bit grey and a sweep of colours match the textbook formula within 0.01")
    func sweepMatchesReference() {
        var generator = SeededGenerator(seed: 11)
        var colours = (0...255).map { RGB(UInt8($0), UInt8($0), UInt8($0)) }
        colours += (0..<2000).map { _ in RGB(.random(in: 0...255, using: &generator), .random(in: 0...255, using: &generator), .random(in: 0...255, using: &generator)) }
        for colour in colours {
            let lab = CIELab(sRGBRed: colour.r, green: colour.g, blue: colour.b)
            let reference = ReferenceColour.lab(colour)
            #expect(abs(lab.l - reference.l) < 0.01 && abs(lab.a - reference.a) < 0.01 && abs(lab.b - reference.b) < 0.01, "\(colour)")
        }
    }

    @Test("the per-pixel log10 is within 10⁻⁶ of log10 over every ratio an erythema or melanin index takes, within 10⁻⁷ for skin's")
    func tableLog10() {
        SRGB.log10MantissaTable.withUnsafeBufferPointer { table in
            // The indices' ratios run from the reflectance floor over full scale to its inverse.
            let floor = WorkingImage.reflectanceFloor
            let (low, high) = (Foundation.log10(floor), Foundation.log10(1 / floor))
            var worst = 0.0, worstSkin = 0.0
            for step in 0...200_000 {
                let x = Float(pow(10, low + (high - low) * Double(step) / 200_000))
                let error = abs(Double(SRGB.log10(x, table: table)) - Foundation.log10(Double(x)))
                worst = max(worst, error)
                // Skin's red over green: 1 to 4 (erythema index 0 to 60).
                if x >= 1, x <= 4 { worstSkin = max(worstSkin, error) }
            }
            // Powers of two and their neighbours: the exponent's seams.
            for exponent in -12...12 {
                for x in [Float(pow(2, Double(exponent))), Float(pow(2, Double(exponent))).nextDown, Float(pow(2, Double(exponent))).nextUp] {
                    worst = max(worst, abs(Double(SRGB.log10(x, table: table)) - Foundation.log10(Double(x))))
                }
            }
            #expect(worst < 1e-6, "worst \(worst)")
            #expect(worstSkin < 1e-7, "worst on skin's ratios \(worstSkin)")
            #expect(SRGB.log10(1, table: table) == 0)
            #expect(SRGB.log10Of2.bitPattern == Float(Foundation.log10(2.0)).bitPattern)
        }
    }

    struct CategoryCase: Sendable, CustomTestStringConvertible {
        let l: Double, b: Double
        let expected: SkinToneCategory
        var testDescription: String { "L*=\(l) b*=\(b) → \(expected.rawValue)" }
    }

    /// ITA° = atan2(L* − 50, b*): each case's angle is stated in the comment.
    static let categoryCases: [CategoryCase] = [
        CategoryCase(l: 70, b: 10, expected: .veryLight),       // 63.4°
        CategoryCase(l: 64.3, b: 10, expected: .veryLight),     // 55.04°
        CategoryCase(l: 65, b: 15, expected: .light),           // 45.0°
        CategoryCase(l: 60, b: 15, expected: .intermediate),    // 33.7°
        CategoryCase(l: 55, b: 20, expected: .tan),             // 14.0°
        CategoryCase(l: 52, b: 18, expected: .brown),           // 6.3°
        CategoryCase(l: 45, b: 20, expected: .brown),           // −14.0°
        CategoryCase(l: 40, b: 25, expected: .brown),           // −21.8°
        CategoryCase(l: 30, b: 15, expected: .dark),            // −53.1°
        CategoryCase(l: 25, b: 10, expected: .dark),            // −68.2°
    ]

    @Test("ITA° category from constructed L*a*b* values", arguments: categoryCases)
    func category(_ testCase: CategoryCase) {
        let ita = CIELab(l: testCase.l, a: 12, b: testCase.b).itaDegrees
        #expect(abs(ita - atan2(testCase.l - 50, testCase.b) * 180 / .pi) < 1e-12)
        #expect(SkinToneCategory(itaDegrees: ita) == testCase.expected, "ITA \(ita)")
    }

    @Test("category boundaries belong to the darker class",
          arguments: [(55.0, SkinToneCategory.light), (41, .intermediate), (28, .tan), (10, .brown), (-30, .dark),
                      (55.0001, .veryLight), (41.0001, .light), (28.0001, .intermediate), (10.0001, .tan), (-29.9999, .brown)])
    func boundaries(ita: Double, expected: SkinToneCategory) {
        #expect(SkinToneCategory(itaDegrees: ita) == expected)
    }
}
