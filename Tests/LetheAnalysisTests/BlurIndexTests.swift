import Foundation
@testable import LetheAnalysis
import LetheTestSupport
import Testing

/// The blur index's vertical axis is walked a row at a time (`BlurIndex.columns`), not a column
/// at a time: it must be the column walk's figure bit for bit.
@Suite("Blur index")
struct BlurIndexTests {
    @Test("the row-at-a-time vertical axis equals the column walk bit for bit", arguments: [(37, 23), (640, 480), (10, 300), (300, 10)])
    func columnsEqualColumnWalk(width: Int, height: Int) {
        var generator = SeededGenerator(seed: UInt64(width * 1_000 + height))
        // Detail at several scales and a slope, luma levels 0–255 as the gate's plane holds.
        let plane: [Float] = (0..<(width * height)).map { i in
            let x = Float(i % width), y = Float(i / width)
            return min(255, max(0, 40 + 0.3 * x + 0.2 * y + 20 * sinf(x / 3) * cosf(y / 5) + Float.random(in: -6...6, using: &generator)))
        }
        plane.withUnsafeBufferPointer { values in
            let walked = BlurIndex.axis(values, step: width, along: height, across: width, acrossStep: 1)
            var scratch = [Float](repeating: .nan, count: BlurIndex.scratchCount(width: width))
            let rows = scratch.withUnsafeMutableBufferPointer { BlurIndex.columns(values, width: width, height: height, scratch: $0) }
            #expect(walked.bitPattern == rows.bitPattern, "\(walked) against \(rows)")
            #expect(walked > 0 && walked < 1)
        }
    }
}
