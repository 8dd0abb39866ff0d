import LetheMemory

extension WorkingImage {
    /// The zone label at a working pixel (0 without face zones or outside the image).
    func zoneLabel(x: Int, y: Int) -> UInt8 {
        guard let zones = self.zones?.pixels, x >= 0, y >= 0, x < width, y < height else { return 0 }
        return zones[y * width + x]
    }

    /// Close-ups: marks the holes of the skin mask — non-skin pixels not connected (4-neighbours,
    /// through non-skin pixels) to the crop's border — as `surfaceBit`. A highlight on the forehead
    /// fails the skin colour rule but is enclosed by skin; a white collar, a helmet's glare or a
    /// pale wall reach the border through other non-skin pixels and stay outside the skin surface.
    ///
    /// - Parameter queue: `pixelCount` Int32s of scratch for the flood fill. The caller lends the
    ///   local contrast's box-filter scratch once the ridge smoothing is done with it, so the fill
    ///   needs no buffer of its own (the local contrast and the mark detector read `skinBit` only,
    ///   so marking the surface after them changes nothing they computed).
    func markEnclosedSurface(queue q: UnsafeMutableBufferPointer<Int32>) {
        precondition(q.count >= pixelCount, "the surface queue is too small")
        let outside: UInt8 = 4
        let (width, height, mask) = (self.width, self.height, skin.pixels)
        var border: [Int] = []
        for x in 0..<width { border += [x, (height - 1) * width + x] }
        for y in 0..<height { border += [y * width, y * width + width - 1] }
        // The clipping bits ride along: only skin and surface decide.
        FloodFill.fill(from: border, width: width, height: height, queue: q) { i in
            guard mask[i] & (Self.skinBit | outside) == 0 else { return false }
            mask[i] |= outside
            return true
        }
        for i in 0..<(width * height) {
            if mask[i] & outside != 0 { mask[i] &= ~outside } else if mask[i] & Self.skinBit == 0 { mask[i] |= Self.surfaceBit }
        }
    }
}
