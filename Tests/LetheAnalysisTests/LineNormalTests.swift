import Foundation
@testable import LetheAnalysis
import LetheTestSupport
import Testing

/// The line detector's flank test samples the smoothed L* a few σ either side of a pixel along
/// the Hessian's major eigenvector. It used `cos` and `sin` of ½ · atan2(2·dxy, dxx − dyy); the
/// closed form must give that vector to within the angle route's own rounding, and be the exact
/// vector rounded to `Float`.
@Suite("Line normals")
struct LineNormalTests {
    /// Hessians over several magnitudes, with every sign of dxx − dyy and dxy, plus the axes,
    /// the diagonals, the isotropic case and signed zeros.
    static func hessians() -> [(dxx: Float, dyy: Float, dxy: Float)] {
        var random = SeededGenerator(seed: 15)
        var cases: [(Float, Float, Float)] = [
            (1, 0, 0), (0, 1, 0), (1, 1, 0), (1, 1, 1), (1, 1, -1), (0, 0, 1), (0, 0, -1),
            (-1, 2, 0), (-1, 2, -0.0), (2, -1, -0.0), (3, 3, 1e-30), (1e-3, 2e-3, 1e-9), (5, -5, 1e-6),
        ]
        for _ in 0..<20_000 {
            let magnitude = [Float(1e-3), 0.1, 1, 30, 1e3].randomElement(using: &random)!
            cases.append((
                Float.random(in: -1...1, using: &random) * magnitude,
                Float.random(in: -1...1, using: &random) * magnitude,
                Float.random(in: -1...1, using: &random) * magnitude * [Float(1), 1e-4].randomElement(using: &random)!))
        }
        return cases
    }

    @Test("the closed form is the exact eigenvector rounded, and within the angle route's rounding")
    func matchesAngleRoute() {
        var worstAgainstAngles: Float = 0
        for (dxx, dyy, dxy) in Self.hessians() {
            let normal = LineDetector.majorEigenvector(dxx: dxx, dyy: dyy, dxy: dxy)
            // The exact vector from the same Float arguments, in Double.
            let angle = 0.5 * atan2(Double(2 * dxy), Double(dxx - dyy))
            let exact = (x: cos(angle), y: sin(angle))
            #expect(abs(Double(normal.x) - exact.x) <= Double(Float.ulpOfOne), "x of \(dxx), \(dyy), \(dxy)")
            #expect(abs(Double(normal.y) - exact.y) <= Double(Float.ulpOfOne), "y of \(dxx), \(dyy), \(dxy)")
            // It is the major eigenvector: H·v = λ·v with λ the larger eigenvalue.
            let half = (Double(dxx) + Double(dyy)) / 2
            let spread = ((Double(dxx) - Double(dyy)) * (Double(dxx) - Double(dyy)) / 4 + Double(dxy) * Double(dxy)).squareRoot()
            let major = half + spread, scale = max(abs(Double(dxx)), abs(Double(dyy)), abs(Double(dxy)), 1e-30)
            let hx = Double(dxx) * Double(normal.x) + Double(dxy) * Double(normal.y)
            let hy = Double(dxy) * Double(normal.x) + Double(dyy) * Double(normal.y)
            #expect(abs(hx - major * Double(normal.x)) <= 1e-6 * scale && abs(hy - major * Double(normal.y)) <= 1e-6 * scale)
            // The old route: Float angle, then Float cosine and sine.
            let oldAngle = 0.5 * atan2(2 * dxy, dxx - dyy)
            worstAgainstAngles = max(worstAgainstAngles, abs(normal.x - cos(oldAngle)), abs(normal.y - sin(oldAngle)))
        }
        // A few Float steps at most: a sample point 3σ away moves by far less than a millionth of a pixel.
        #expect(worstAgainstAngles <= 4 * Float.ulpOfOne)
        #expect(worstAgainstAngles > 0, "the test compares two routes that round differently")
    }

    @Test("signed zeros and the isotropic Hessian point as the angle route does")
    func edgeCases() {
        #expect(LineDetector.majorEigenvector(dxx: 2, dyy: 2, dxy: 0) == (1, 0))
        #expect(LineDetector.majorEigenvector(dxx: 2, dyy: 1, dxy: 0) == (1, 0))
        // dxx < dyy, dxy = ±0: the normal is vertical, its sign that of atan2's ±π.
        #expect(LineDetector.majorEigenvector(dxx: 1, dyy: 2, dxy: 0).y == 1)
        #expect(LineDetector.majorEigenvector(dxx: 1, dyy: 2, dxy: -0.0).y == -1)
        #expect(sin(0.5 * atan2(Float(-0.0), -1)) == -1)
        let nan = LineDetector.majorEigenvector(dxx: .nan, dyy: 1, dxy: 0)
        #expect(nan.x.isNaN && nan.y.isNaN)
    }

    @Test("a normal's byte is its angle to within 0.36°, and a normal and its opposite are one code")
    func normalAngleCodes() {
        let step = Float.pi / 256
        var worst: Float = 0
        for k in 0...20_000 {
            let angle = -Float.pi / 2 + Float(k) / 20_000 * Float.pi
            let unit = LineDetector.NormalAngle.unitVectors[Int(LineDetector.NormalAngle.code(angle))]
            // The same line: the code's normal is ± the angle's, and within half a step of it.
            let alignment = abs(unit.x * cos(angle) + unit.y * sin(angle))
            worst = max(worst, acos(min(1, alignment)))
        }
        #expect(worst <= step / 2 + 1e-5)
        #expect(worst > step / 4, "the sweep reaches between the codes")
        #expect(LineDetector.NormalAngle.code(0) == 0)
        #expect(LineDetector.NormalAngle.code(-Float.pi / 2) == LineDetector.NormalAngle.code(Float.pi / 2))
        #expect(LineDetector.NormalAngle.code(Float.pi / 4) == 64 && LineDetector.NormalAngle.code(-Float.pi / 4) == 192)
        // Every code is a unit vector.
        #expect(LineDetector.NormalAngle.unitVectors.allSatisfy { abs(($0 * $0).sum() - 1) < 1e-6 })
    }
}
