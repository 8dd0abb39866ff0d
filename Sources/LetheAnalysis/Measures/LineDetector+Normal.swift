import Foundation

extension LineDetector {
    /// The unit major eigenvector (cos θ, sin θ) of the symmetric Hessian [dxx dxy; dxy dyy],
    /// θ = ½ · atan2(2·dxy, dxx − dyy) ∈ (−π/2, π/2], without `atan2`, `cos` and `sin`: with
    /// p = dxx − dyy, q = 2·dxy, r = √(p² + q²) (so cos 2θ = p/r, sin 2θ = q/r), the half-angle
    /// identities give cos²θ = (r + p)/2r, sin²θ = (r − p)/2r and sin θ · cos θ = q/2r. The larger
    /// of the two is taken from its square root and the other from the product, so neither suffers
    /// the cancellation of 1 ± p/r; computed in `Double` and rounded once, each component is within
    /// half a `Float` step of the exact value (the angle route rounds θ first, then its cosine: a
    /// step or two). Used for the flank test's sample points, where a step of 10⁻⁷ in the normal
    /// moves a sample by well under a millionth of a pixel (test: `LineNormalTests`).
    @inline(__always)
    static func majorEigenvector(dxx: Float, dyy: Float, dxy: Float) -> (x: Float, y: Float) {
        // The same Float arguments that `atan2(2 * dxy, dxx - dyy)` receives.
        let p = Double(dxx - dyy), q = Double(2 * dxy)
        let r = (p * p + q * q).squareRoot()
        guard r > 0 else { return r == 0 ? (1, 0) : (.nan, .nan) }
        if p >= 0 {
            let cosine = ((r + p) / (2 * r)).squareRoot()
            return (Float(cosine), Float(q / (2 * r * cosine)))
        }
        // θ near ±π/2: sin θ carries q's sign (atan2 of −0 is −π, so −0 counts as negative).
        let sineMagnitude = ((r - p) / (2 * r)).squareRoot()
        let sine = q.sign == .minus ? -sineMagnitude : sineMagnitude
        return (Float(abs(q) / (2 * r * sineMagnitude)), Float(sine))
    }
}

extension LineDetector {
    /// The normal's angle across a line, kept in a byte: code k stands for k · π/256 modulo π (a
    /// normal and its opposite are one line's), steps of 0.7°. A quarter of a float plane at the
    /// lines' step, the arena's largest; the non-maximum suppression's samples, one pixel along
    /// the normal, move by at most sin(0.35°) ≈ 0.006 px (test: `LineNormalTests`).
    enum NormalAngle {
        /// The code nearest θ ∈ [−π/2, π/2].
        @inline(__always)
        static func code(_ angle: Float) -> UInt8 {
            // Made positive before truncating, which is then rounding to the nearest (the
            // baseline x86-64 has no rounding instruction: `rounded()` is a call to libm).
            UInt8(truncatingIfNeeded: Int(angle * (256 / Float.pi) + 256.5))
        }

        /// (cos, sin) of each code's angle.
        static let unitVectors: [SIMD2<Float>] = (0..<256).map { k in
            let angle = Double(k) * .pi / 256
            return SIMD2(Float(cos(angle)), Float(sin(angle)))
        }
    }
}
