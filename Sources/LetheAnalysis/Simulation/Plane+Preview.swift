extension Plane where Element == Float {
    /// Normalised convolution (Knutsson & Westin 1993): layer `destination` = blur(source · w) /
    /// blur(w) of layers `source` and `weight`, with three box passes (≈ Gaussian); where the
    /// weights vanish, `fallback`. `numerator`, `denominator` and `scratch` are work layers;
    /// `source` may be `destination`.
    func weightedMean(
        _ source: Int, weight: Int, into destination: Int, radius: Int, passes: Int = 3, fallback: Float? = nil,
        numerator: Int, denominator: Int, scratch: Int
    ) {
        let s = layer(source), w = layer(weight), d = layer(destination)
        let num = layer(numerator), den = layer(denominator), tmp = layer(scratch)
        for i in 0..<count { num[i] = s[i] * w[i]; den[i] = w[i] }
        PlaneFilters.boxBlur(num, scratch: tmp, width: width, height: height, radius: radius, passes: passes)
        PlaneFilters.boxBlur(den, scratch: tmp, width: width, height: height, radius: radius, passes: passes)
        for i in 0..<count {
            d[i] = den[i] > 0.02 ? num[i] / den[i] : (fallback ?? s[i])
        }
    }

    /// A soft mask from a hard one (layer `mask` holds 0/1): box-blurred twice over `radius`, then
    /// doubled and capped at 1, so the mark itself stays fully covered and the edit fades out
    /// over about `radius` pixels around it (feathered edges, no visible seam).
    func feather(_ mask: Int, radius: Int, scratch: Int) {
        let p = layer(mask)
        PlaneFilters.boxBlur(p, scratch: layer(scratch), width: width, height: height, radius: radius, passes: 2)
        for i in 0..<count { p[i] = min(1, 2 * p[i]) }
    }
}
