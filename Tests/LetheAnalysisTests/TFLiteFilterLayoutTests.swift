@testable import LetheAnalysis
import Testing

/// The interpreter's convolution reads its filters rearranged so that eight output channels'
/// weights for one input channel lie side by side; every weight must land where that read expects it.
@Suite("TFLite filter layout")
struct TFLiteFilterLayoutTests {
    @Test("a [out][height][width][in] filter rearranged to [height][width][in][out] moves every weight and only moves it")
    func outputChannelLast() {
        let (outputs, rows, columns, inputs) = (11, 3, 2, 5)
        let filter = (0..<(outputs * rows * columns * inputs)).map(Float.init)
        let rearranged = TFLiteModel.outputChannelLast(filter, shape: [outputs, rows, columns, inputs])
        #expect(rearranged.count == filter.count)
        #expect(Set(rearranged) == Set(filter))
        for output in 0..<outputs {
            for row in 0..<rows {
                for column in 0..<columns {
                    for input in 0..<inputs {
                        let original = filter[((output * rows + row) * columns + column) * inputs + input]
                        #expect(rearranged[((row * columns + column) * inputs + input) * outputs + output] == original)
                    }
                }
            }
        }
    }
}
