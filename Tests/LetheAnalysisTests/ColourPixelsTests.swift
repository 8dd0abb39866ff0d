import LetheAPI
@testable import LetheAnalysis
import LetheMemory
import LetheTestSupport
import Testing

/// The working image keeps a*, b* and the erythema index as 16-bit codes in steps of 1/128
/// (`FixedLayer`); every value must come back within half a step, clamped at ±256.
@Suite("Colour planes in 16 bits")
struct ColourPixelsTests {
    @Test("a value comes back within half a step of 1/128; beyond ±256 it is clamped, a NaN is the lowest code")
    func codesRoundTrip() {
        var random = SeededGenerator(seed: 16)
        var values: [Float] = [0, -0.0, 1, -1, 0.5 / 128, -0.5 / 128, 127.99, -127.99, 255.99, -255.99, 96.3, -107.9]
        values += (0..<50_000).map { _ in Float.random(in: -255.99...255.99, using: &random) }
        var worst: Float = 0
        var codes = [Int16](repeating: 0, count: 1)
        codes.withUnsafeMutableBufferPointer { codes in
            let layer = FixedLayer(codes: codes)
            for value in values {
                layer[0] = value
                worst = max(worst, abs(layer[0] - value))
                // The nearest code: no other is closer.
                #expect(abs(Float(codes[0]) - value * 128) <= 0.5 + 1e-3, "\(value)")
            }
            for (value, code) in [(Float(300), Int16.max), (-300, -Int16.max), (.infinity, Int16.max), (-.infinity, -Int16.max), (.nan, -Int16.max)] {
                layer[0] = value
                #expect(codes[0] == code, "\(value)")
            }
        }
        #expect(worst <= 0.5 / 128 + 1e-4)
        #expect(worst > 0.4 / 128, "the values fall between the steps")
    }

    @Test("the working image's a*, b* and erythema index are the colour's, within half a step")
    func workingImageColour() throws {
        let arena = PlaintextArena()
        defer { _ = arena.wipeAll() }
        // A saturated red beside skin: a* of the red is far above skin's, its erythema index clamped at 256.
        let skin = RGB(224, 172, 150), red = RGB(255, 0, 0)
        let image = try SyntheticImages.make(width: 16, height: 16, arena: arena) { x, _ in x < 8 ? skin : red }
        let work = try WorkingImage.make(image, crop: PixelRect(width: 16, height: 16), factor: 1, arena: arena)
        defer { work.release(arena) }
        let expected = CIELab(sRGBRed: skin.r, green: skin.g, blue: skin.b)
        let colour = work.colour
        #expect(abs(Double(colour.aStar[0]) - expected.a) <= 0.5 / 128 + 1e-4)
        #expect(abs(Double(colour.bStar[0]) - expected.b) <= 0.5 / 128 + 1e-4)
        #expect(colour.aStar[15] > 70)
        #expect(colour.erythema[15] == Float(Int16.max) / 128)
    }
}
