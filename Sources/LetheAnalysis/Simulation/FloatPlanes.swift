import LetheMemory

/// A fixed number of `Float` planes of one size in a single `.rendering` arena buffer, with the
/// few plane operations the preview needs (weighted means, feathering).
struct FloatPlanes {
    let width: Int, height: Int
    let buffer: SecureBuffer

    var pixelCount: Int { width * height }

    init(count: Int, width: Int, height: Int, arena: PlaintextArena) throws(LetheError) {
        self.width = width
        self.height = height
        do { buffer = try arena.allocate(count: count * width * height * MemoryLayout<Float>.stride, bufferClass: .rendering) } catch {
            throw .analysisAllocationFailed(error, "the simulation planes")
        }
    }

    func release(_ arena: PlaintextArena) { arena.release(buffer) }

    /// Every plane; plane `k` starts at `k × pixelCount` (valid until `release`).
    var all: Planes { Planes(base: buffer.elements(as: Float.self), count: width * height, width: width, height: height) }

    struct Planes {
        let base: UnsafeMutableBufferPointer<Float>
        let count: Int, width: Int, height: Int

        /// Plane `index` as a buffer.
        subscript(_ index: Int) -> UnsafeMutableBufferPointer<Float> {
            UnsafeMutableBufferPointer(rebasing: base[(index * count)..<((index + 1) * count)])
        }

        /// Normalised convolution (Knutsson & Westin 1993): `destination = blur(source · w) / blur(w)`,
        /// with three box passes (≈ Gaussian); where the weights vanish, `fallback`.
        /// `numerator`, `denominator` and `scratch` are work planes; `source` may be `destination`.
        func weightedMean(
            _ source: Int, weight: Int, into destination: Int, radius: Int, passes: Int = 3, fallback: Float? = nil,
            numerator: Int, denominator: Int, scratch: Int
        ) {
            let s = self[source], w = self[weight], d = self[destination]
            let num = self[numerator], den = self[denominator], tmp = self[scratch]
            for i in 0..<count { num[i] = s[i] * w[i]; den[i] = w[i] }
            PlaneFilters.boxBlur(num, scratch: tmp, width: width, height: height, radius: radius, passes: passes)
            PlaneFilters.boxBlur(den, scratch: tmp, width: width, height: height, radius: radius, passes: passes)
            for i in 0..<count {
                d[i] = den[i] > 0.02 ? num[i] / den[i] : (fallback ?? s[i])
            }
        }

        /// A soft mask from a hard one (`plane` holds 0/1): box-blurred twice over `radius`, then
        /// doubled and capped at 1, so the mark itself stays fully covered and the edit fades out
        /// over about `radius` pixels around it (feathered edges, no visible seam).
        func feather(_ plane: Int, radius: Int, scratch: Int) {
            let p = self[plane]
            PlaneFilters.boxBlur(p, scratch: self[scratch], width: width, height: height, radius: radius, passes: 2)
            for i in 0..<count { p[i] = min(1, 2 * p[i]) }
        }
    }
}
