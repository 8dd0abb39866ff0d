/// Breadth-first 4-connected flood fill with an explicit queue (no recursion, no per-pixel
/// allocation): the skin surface enclosed by skin, the trichoscope field's border, moving marks
/// between masks.
enum FloodFill {
    /// Grows regions from `seeds`: `claim(i)` takes pixel i into the region and returns true, or
    /// returns false when i is not part of it (or already taken). Returns how many were claimed.
    /// - Parameter queue: at least `width × height` entries.
    @discardableResult
    static func fill(from seeds: [Int], width: Int, height: Int, queue: UnsafeMutableBufferPointer<Int32>, claim: (Int) -> Bool) -> Int {
        var head = 0, tail = 0
        func visit(_ i: Int) {
            guard claim(i) else { return }
            queue[tail] = Int32(i); tail += 1
        }
        for seed in seeds { visit(seed) }
        while head < tail {
            let i = Int(queue[head]); head += 1
            let x = i % width, y = i / width
            if x > 0 { visit(i - 1) }
            if x < width - 1 { visit(i + 1) }
            if y > 0 { visit(i - width) }
            if y < height - 1 { visit(i + width) }
        }
        return tail
    }
}
