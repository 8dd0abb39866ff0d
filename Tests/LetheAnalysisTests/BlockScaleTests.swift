import Foundation
@testable import LetheAnalysis
import Testing

/// Issue 15: the coarse scales run on block sums (the evenness band's two Gaussians, the wrinkle
/// lines' wider scales). What a block costs must not change the scale: the block's own spread and
/// the interpolation back are taken out of the Gaussian's σ (`PlaneFilters.blockSigma`).
@Suite("Scales on blocks")
struct BlockScaleTests {
    /// An impulse at every phase within a block (d × d positions), summed into blocks, filtered at
    /// `blockSigma` and read back at every pixel, by bilinear interpolation between the block
    /// centres (`interpolatedBack`) or at the block centres themselves: the kernel's variance about
    /// the impulse, in working pixels, averaged over the phases.
    static func kernelVariance(sigma: Double, step d: Int, interpolatedBack: Bool) -> Double {
        let width = 16 * d + Int(12 * sigma), columns = (width + d - 1) / d
        var total = 0.0
        for phase in 0..<d {
            let impulse = width / 2 + phase
            // One dimension is enough: the filter is separable and each axis has the same rule.
            var blocks = [Float](repeating: 0, count: columns), scratch = [Float](repeating: 0, count: columns)
            blocks[impulse / d] = 1
            blocks.withUnsafeMutableBufferPointer { p in
                scratch.withUnsafeMutableBufferPointer { s in
                    PlaneFilters.extendedBox(
                        p, sigma: PlaneFilters.blockSigma(sigma, step: d, interpolatedBack: interpolatedBack), scratch: s, width: columns, height: 1)
                }
            }
            var sum = 0.0, variance = 0.0
            if interpolatedBack {
                for x in 0..<width {
                    let u = min(max((Double(x) + 0.5) / Double(d) - 0.5, 0), Double(columns - 1))
                    let u0 = min(Int(u), columns - 2), f = u - Double(u0)
                    let w = Double(blocks[u0]) * (1 - f) + Double(blocks[u0 + 1]) * f
                    sum += w
                    variance += w * Double((x - impulse) * (x - impulse))
                }
            } else {
                for u in 0..<columns {
                    let centre = Double(u * d) + Double(d - 1) / 2, w = Double(blocks[u])
                    sum += w
                    variance += w * (centre - Double(impulse)) * (centre - Double(impulse))
                }
            }
            total += variance / sum
        }
        return total / Double(d)
    }

    @Test("read back by interpolation (the evenness band): the kernel's variance is σ² within 0.5 %, for σ 8 … 98 px in blocks of 2 … 8",
          arguments: [(8.0, 2), (16.0, 4), (30.0, 4), (98.0, 8)])
    func interpolatedBack(sigma: Double, step: Int) {
        let variance = Self.kernelVariance(sigma: sigma, step: step, interpolatedBack: true)
        print("blocks of \(step), σ \(sigma), read back: variance \(variance) (σ² \(sigma * sigma))")
        #expect(abs(variance / (sigma * sigma) - 1) < 0.005)
    }

    @Test("kept on the blocks (the wrinkle lines' coarse scales): the kernel's variance is σ² within 0.5 %, for σ 5.5 … 14.5 px",
          arguments: [5.48, 7.48, 10.49, 14.49])
    func onBlocks(sigma: Double) {
        let variance = Self.kernelVariance(sigma: sigma, step: 2, interpolatedBack: false)
        print("blocks of 2, σ \(sigma), on blocks: variance \(variance) (σ² \(sigma * sigma))")
        #expect(abs(variance / (sigma * sigma) - 1) < 0.005)
    }

    @Test("the line scales of a face's canonical frame: the three finest on the pixels, the four coarser on 2 × 2 blocks")
    func lineSteps() {
        // 0.3 … 3 mm at 0.1207 mm per working pixel (the benchmark's face at 512 px between the eyes).
        let radii = LineDetector.radii(workingMillimetres: 0.1207, factor: 1.139, width: 1200, height: 1400, configuration: LineDetectionConfiguration())
        #expect(radii == [1, 2, 3, 5, 7, 10, 14])
        #expect(radii.map(LineDetector.step(radius:)) == [1, 1, 1, 2, 2, 2, 2])
    }
}
