import Foundation
import LetheAPI
import LetheAnalysis
import LetheImaging
import LetheMemory
import LetheTestSupport
import Testing

/// Skin made the way light makes it, for the brown and red unevenness measures: a base skin
/// reflectance, attenuated per channel by Beer–Lambert optical densities of melanin and
/// haemoglobin (the model of Tsumura, Haneishi & Miyake 1999, J Opt Soc Am A 16:2169), times a
/// shading factor that is the same on every channel, then sRGB-encoded to 8 bits.
///
/// The channel densities are this test's own physics, not the analyser's: melanin absorbs as
/// λ^−3.46 (Jacques 1998) at 610 / 545 / 465 nm, relative to red; oxyhaemoglobin's absorption is
/// weak in red and strong in green (its 542/576 nm bands), a little less in blue (band averages of
/// Prahl's molar extinction table, relative to green).
struct PigmentedSkin {
    static let melanin = (red: 1.0, green: 1.48, blue: 2.56)
    static let haemoglobin = (red: 0.04, green: 1.0, blue: 0.80)

    /// Base sRGB code of even skin (light-medium, ITA° ≈ 40).
    static let base: (red: UInt8, green: UInt8, blue: UInt8) = (220, 170, 145)

    var size = 256
    /// Standard deviation of the melanin and haemoglobin densities (in units of the vectors
    /// above: a melanin density of 0.01 is 0.01 in red).
    var melaninSpread = 0.0
    var haemoglobinSpread = 0.0
    /// Shading from 1 (left) down to this factor (right), on every channel.
    var darkestShading = 1.0

    /// Fine mottling: white noise box-blurred twice with radius 2 along rows and columns (far
    /// below the analyser's background scale, so it is unevenness, not shading), scaled to unit
    /// standard deviation.
    static func mottling(size: Int, seed: UInt64) -> [Double] {
        var random = SeededGenerator(seed: seed)
        var field = (0..<(size * size)).map { _ in Double.random(in: -1...1, using: &random) }
        func blur(lineStride: Int, along: Int) {
            var line = [Double](repeating: 0, count: size)
            for _ in 0..<2 {
                for start in 0..<size {
                    let origin = start * lineStride
                    for k in 0..<size {
                        var sum = 0.0, n = 0.0
                        for d in max(0, k - 2)...min(size - 1, k + 2) { sum += field[origin + d * along]; n += 1 }
                        line[k] = sum / n
                    }
                    for k in 0..<size { field[origin + k * along] = line[k] }
                }
            }
        }
        blur(lineStride: size, along: 1)   // rows
        blur(lineStride: 1, along: size)   // columns
        let mean = field.reduce(0, +) / Double(field.count)
        let sd = (field.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(field.count)).squareRoot()
        return field.map { ($0 - mean) / sd }
    }

    static func linear(_ code: UInt8) -> Double {
        let v = Double(code) / 255
        return v <= 0.04045 ? v / 12.92 : pow((v + 0.055) / 1.055, 2.4)
    }

    static func encode(_ linear: Double) -> UInt8 {
        let c = min(1, max(0, linear))
        let v = c <= 0.003_130_8 ? 12.92 * c : 1.055 * pow(c, 1 / 2.4) - 0.055
        return UInt8((v * 255).rounded())
    }

    func render(seed: UInt64, arena: PlaintextArena) throws -> DecodedImage {
        let melaninField = Self.mottling(size: size, seed: seed)
        let haemoglobinField = Self.mottling(size: size, seed: seed ^ 0x9E37)
        let base = (Self.linear(Self.base.red), Self.linear(Self.base.green), Self.linear(Self.base.blue))
        let buffer = try arena.allocate(count: size * size * 3, bufferClass: .pixels)
        buffer.withUnsafeMutableBytes { bytes in
            for y in 0..<size {
                for x in 0..<size {
                    let i = y * size + x
                    let m = melaninSpread * melaninField[i], h = haemoglobinSpread * haemoglobinField[i]
                    let shading = 1 - (1 - darkestShading) * Double(x) / Double(size - 1)
                    func channel(_ reflectance: Double, _ melanin: Double, _ haemoglobin: Double) -> UInt8 {
                        Self.encode(reflectance * shading * pow(10, -(m * melanin + h * haemoglobin)))
                    }
                    bytes[3 * i] = channel(base.0, Self.melanin.red, Self.haemoglobin.red)
                    bytes[3 * i + 1] = channel(base.1, Self.melanin.green, Self.haemoglobin.green)
                    bytes[3 * i + 2] = channel(base.2, Self.melanin.blue, Self.haemoglobin.blue)
                }
            }
        }
        return DecodedImage(width: size, height: size, format: .png, pixels: buffer)
    }

    /// What the indices must read by the model: the melanin index 100·log10(1/R) moves by 100 × the
    /// red density; the erythema index 100·log10(R/G) by 100 × (green density − red density).
    var expectedMelaninIndexSpread: Double {
        100 * ((melaninSpread * Self.melanin.red).squared + (haemoglobinSpread * Self.haemoglobin.red).squared).squareRoot()
    }

    var expectedErythemaIndexSpread: Double {
        let fromMelanin = melaninSpread * (Self.melanin.green - Self.melanin.red)
        let fromHaemoglobin = haemoglobinSpread * (Self.haemoglobin.green - Self.haemoglobin.red)
        return 100 * (fromMelanin.squared + fromHaemoglobin.squared).squareRoot()
    }
}

private extension Double {
    var squared: Double { self * self }
}

/// Brown (melanin) and red (haemoglobin) unevenness told apart (issue 16.3), against skin the test
/// made from pigment densities it chose.
@Suite("Brown and red unevenness")
struct PigmentEvennessTests {
    static func evenness(_ skin: PigmentedSkin, seed: UInt64 = 31) throws -> SkinConcerns.Evenness {
        let arena = PlaintextArena()
        defer { _ = arena.wipeAll() }
        let image = try skin.render(seed: seed, arena: arena)
        let result = try SkinAnalyzer.analyze(image, configuration: SkinAnalysisConfiguration(minLaplacianVariance: 0), arena: arena)
        return try #require(result.concerns).evenness
    }

    @Test("even skin reads below half an index unit in both, unshaded and shaded to 70 % across 1024 px")
    func evenSkin() throws {
        for (size, shading) in [(256, 1.0), (1024, 0.7)] {
            let evenness = try Self.evenness(PigmentedSkin(size: size, darkestShading: shading))
            print("even skin, shading to \(shading): melanin s.d. \(evenness.melaninIndexStandardDeviation), erythema s.d. \(evenness.erythemaIndexStandardDeviation)")
            #expect(evenness.melaninIndexStandardDeviation < 0.5)
            #expect(evenness.erythemaIndexStandardDeviation < 0.5)
        }
    }

    @Test("melanin mottling reads as brown, within 20 % of the density the test put in, unshaded and shaded")
    func brownMottling() throws {
        for (size, shading) in [(256, 1.0), (1024, 0.7)] {
            let skin = PigmentedSkin(size: size, melaninSpread: 0.02, darkestShading: shading)
            let evenness = try Self.evenness(skin)
            print("melanin mottling, shading to \(shading): melanin s.d. \(evenness.melaninIndexStandardDeviation) (model \(skin.expectedMelaninIndexSpread)), erythema s.d. \(evenness.erythemaIndexStandardDeviation) (model \(skin.expectedErythemaIndexSpread))")
            #expect(abs(evenness.melaninIndexStandardDeviation / skin.expectedMelaninIndexSpread - 1) <= 0.2)
            // Melanin also absorbs more green than red, so the erythema index sees half as much.
            #expect(abs(evenness.erythemaIndexStandardDeviation / skin.expectedErythemaIndexSpread - 1) <= 0.25)
            #expect(evenness.erythemaIndexStandardDeviation < 0.6 * evenness.melaninIndexStandardDeviation)
        }
    }

    @Test("haemoglobin mottling reads as red, within 20 % of the density the test put in, and hardly as brown")
    func redMottling() throws {
        for (size, shading) in [(256, 1.0), (1024, 0.7)] {
            let skin = PigmentedSkin(size: size, haemoglobinSpread: 0.02, darkestShading: shading)
            let evenness = try Self.evenness(skin)
            print("haemoglobin mottling, shading to \(shading): erythema s.d. \(evenness.erythemaIndexStandardDeviation) (model \(skin.expectedErythemaIndexSpread)), melanin s.d. \(evenness.melaninIndexStandardDeviation) (model \(skin.expectedMelaninIndexSpread))")
            #expect(abs(evenness.erythemaIndexStandardDeviation / skin.expectedErythemaIndexSpread - 1) <= 0.2)
            #expect(evenness.melaninIndexStandardDeviation < 0.25 * evenness.erythemaIndexStandardDeviation)
        }
    }
}
