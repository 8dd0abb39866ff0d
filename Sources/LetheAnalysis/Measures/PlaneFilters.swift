/// Separable box filters on `Float` planes. Three box passes approximate a Gaussian (central limit
/// theorem; Wells 1986, IEEE PAMI 8:234) at a cost independent of the radius.
enum PlaneFilters {
    /// Box-blurs `plane` in place `passes` times with a `(2·radius + 1)²` box; near the borders
    /// the mean is over the pixels that exist. `scratch` must hold `width × height` floats.
    static func boxBlur(
        _ plane: UnsafeMutableBufferPointer<Float>, scratch: UnsafeMutableBufferPointer<Float>,
        width: Int, height: Int, radius: Int, passes: Int
    ) {
        guard radius > 0 else { return }
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
            // Vertical: scratch → plane, column by column.
            for x in 0..<width {
                var sum: Float = 0
                var count = 0
                for y in 0..<min(radius, height) { sum += scratch[y * width + x]; count += 1 }
                for y in 0..<height {
                    let enter = y + radius, leave = y - radius - 1
                    if enter < height { sum += scratch[enter * width + x]; count += 1 }
                    if leave >= 0 { sum -= scratch[leave * width + x]; count -= 1 }
                    plane[y * width + x] = sum / Float(count)
                }
            }
        }
    }
}
