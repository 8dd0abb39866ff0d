/// Separable box filters on `Float` planes. Three box passes approximate a Gaussian (central limit
/// theorem; Wells 1986, IEEE PAMI 8:234) at a cost independent of the radius.
enum PlaneFilters {
    /// Box-blurs `plane` in place `passes` times with a `(2·radius + 1)²` box; near the borders
    /// the mean is over the pixels that exist. `scratch` must hold `width × height` floats.
    static func boxBlur(
        _ plane: UnsafeMutableBufferPointer<Float>, scratch: UnsafeMutableBufferPointer<Float>,
        width: Int, height: Int, radius: Int, passes: Int
    ) {
        guard radius > 0, width > 0, height > 0 else { return }
        for _ in 0..<passes {
            // Horizontal: plane → scratch.
            for y in 0..<height {
                let row = y * width
                var sum: Float = 0
                var count = 0
                for x in 0..<min(radius, width) { sum += plane[row + x]; count += 1 }
                for x in 0..<width {
                    let enter = x + radius, leave = x - radius - 1
                    if enter < width { sum += plane[row + enter]; count += 1 }
                    if leave >= 0 { sum -= plane[row + leave]; count -= 1 }
                    scratch[row + x] = sum / Float(count)
                }
            }
            // Vertical: scratch → plane, row by row (a column-by-column walk strides a whole row
            // per pixel). Each column's running sum is kept in `plane` itself: row y holds the
            // sum until row y + 1 has been derived from it, then becomes the mean. Every column
            // sees the same additions in the same order as a column walk: bit-identical means.
            var count = 0
            for x in 0..<width { plane[x] = 0 }
            for y in 0..<min(radius, height) {
                let row = y * width
                for x in 0..<width { plane[x] += scratch[row + x] }
                count += 1
            }
            var previousCount = 0
            for y in 0..<height {
                let enter = y + radius, leave = y - radius - 1
                let row = y * width, above = row - width
                if y > 0 {
                    for x in 0..<width { plane[row + x] = plane[above + x] }
                }
                if enter < height {
                    let entering = enter * width
                    for x in 0..<width { plane[row + x] += scratch[entering + x] }
                    count += 1
                }
                if leave >= 0 {
                    let leaving = leave * width
                    for x in 0..<width { plane[row + x] -= scratch[leaving + x] }
                    count -= 1
                }
                if y > 0 {
                    let divisor = Float(previousCount)
                    for x in 0..<width { plane[above + x] /= divisor }
                }
                previousCount = count
            }
            let last = (height - 1) * width, divisor = Float(previousCount)
            for x in 0..<width { plane[last + x] /= divisor }
        }
    }
}
