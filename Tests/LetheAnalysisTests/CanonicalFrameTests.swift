import Foundation
import LetheAPI
@testable import LetheAnalysis
import LetheImaging
import LetheMemory
import Testing

/// The face's canonical frame (docs/analysis/face.md, step 8): a working image at any factor is
/// the photo's linear light averaged over each working pixel's footprint.
@Suite("Canonical face frame resampling")
struct CanonicalFrameTests {
    /// A grey ramp: code 40 + 3x, so every column has its own linear light.
    static func ramp(arena: PlaintextArena) throws -> DecodedImage {
        try SyntheticImages.make(width: 60, height: 30, arena: arena) { x, _ in
            let code = UInt8(40 + 3 * x)
            return RGB(code, code, code)
        }
    }

    /// The ramp's working image at `factor`.
    static func rampWorkingImage(factor: Double, arena: PlaintextArena) throws -> WorkingImage {
        try WorkingImage.make(try ramp(arena: arena), crop: PixelRect(width: 60, height: 30), factor: factor, arena: arena)
    }

    static func linear(column: Int) -> Double {
        let v = Double(40 + 3 * column) / 255
        return v <= 0.04045 ? v / 12.92 : pow((v + 0.055) / 1.055, 2.4)
    }

    static func lStar(row: Int, of work: WorkingImage) -> [Double] {
        (0..<work.width).map { Double(work.lStar[row * work.width + $0]) }
    }

    @Test("shrinking by 2.5: each working pixel is the overlap-weighted mean of the input columns it covers, in linear light")
    func fractionalShrink() throws {
        let arena = PlaintextArena()
        defer { _ = arena.wipeAll() }
        let work = try Self.rampWorkingImage(factor: 2.5, arena: arena)
        defer { work.release(arena) }
        #expect(work.width == 24 && work.height == 12)
        let measured = Self.lStar(row: 1, of: work)
        for i in 0..<work.width {
            // Columns 2.5i … 2.5i + 2.5: two whole columns and a half, the half at one end or the other.
            let start = 2.5 * Double(i)
            let first = Int(start)
            let weights: [(Int, Double)] = start == Double(first)
                ? [(first, 1), (first + 1, 1), (first + 2, 0.5)] : [(first, 0.5), (first + 1, 1), (first + 2, 1)]
            let mean = weights.reduce(0) { $0 + $1.1 * Self.linear(column: $1.0) } / 2.5
            let expected = CIELab.fromLinear(red: mean, green: mean, blue: mean).l
            #expect(abs(measured[i] - expected) < 0.02, "working column \(i): L* \(measured[i]), expected \(expected)")
        }
        // Input rectangles map onto the working grid by the same factor.
        #expect(work.workingRect(PixelRect(x: 5, y: 0, width: 10, height: 5)) == PixelRect(x: 2, y: 0, width: 4, height: 2))
    }

    @Test("enlarging by 2 (factor ½): inside the crop, each working pixel is the linear interpolation between the input pixel centres")
    func enlargement() throws {
        let arena = PlaintextArena()
        defer { _ = arena.wipeAll() }
        let work = try Self.rampWorkingImage(factor: 0.5, arena: arena)
        defer { work.release(arena) }
        #expect(work.width == 120 && work.height == 60)
        let measured = Self.lStar(row: 10, of: work)
        for i in 1..<(work.width - 1) {
            // Working centre at input x = (i + ½)/2; input pixel centres at p + ½.
            let position = (Double(i) + 0.5) / 2 - 0.5
            let left = Int(position.rounded(.down)), t = position - Double(left)
            let value = (1 - t) * Self.linear(column: left) + t * Self.linear(column: left + 1)
            let expected = CIELab.fromLinear(red: value, green: value, blue: value).l
            #expect(abs(measured[i] - expected) < 0.02, "working column \(i): L* \(measured[i]), expected \(expected)")
        }
        // An enlarged face resolves no more than its photo: pores and texture are judged at the input scale.
        #expect(work.resolvedMillimetres(0.3) == 0.6)
    }
}
