import LetheAPI
import LetheImaging
import LetheMemory

/// Photos made from a real portrait by changing its face or everything but its face: a crop,
/// a paste, a blur and a brightness change of a rectangle, written into arena buffers.
enum FaceComposites {
    /// `rect` of `image` (inside it) as an image of its own.
    static func crop(_ image: DecodedImage, _ rect: PixelRect, arena: PlaintextArena) throws -> DecodedImage {
        let buffer = try arena.allocate(count: rect.width * rect.height * 3, bufferClass: .pixels)
        image.pixels.withUnsafeBytes { source in
            buffer.withUnsafeMutableBytes { target in
                for y in 0..<rect.height {
                    let from = ((rect.y + y) * image.width + rect.x) * 3, to = y * rect.width * 3
                    for i in 0..<(rect.width * 3) { target[to + i] = source[from + i] }
                }
            }
        }
        return DecodedImage(width: rect.width, height: rect.height, format: image.format, pixels: buffer)
    }

    /// A copy of `base` with `patch` written at `origin`.
    static func paste(_ patch: DecodedImage, into base: DecodedImage, at origin: (x: Int, y: Int), arena: PlaintextArena) throws -> DecodedImage {
        let buffer = try arena.allocate(count: base.width * base.height * 3, bufferClass: .pixels)
        base.pixels.withUnsafeBytes { source in
            buffer.withUnsafeMutableBytes { target in
                for i in 0..<source.count { target[i] = source[i] }
                patch.pixels.withUnsafeBytes { patchBytes in
                    for y in 0..<patch.height {
                        let from = y * patch.width * 3, to = ((origin.y + y) * base.width + origin.x) * 3
                        for i in 0..<(patch.width * 3) { target[to + i] = patchBytes[from + i] }
                    }
                }
            }
        }
        return DecodedImage(width: base.width, height: base.height, format: base.format, pixels: buffer)
    }

    /// `rect` of `image` blurred by a Gaussian of `sigma` pixels, the rest unchanged (the blur reads
    /// the pixels around the rectangle, so its edge is not clamped).
    static func blur(_ image: DecodedImage, inside rect: PixelRect, sigma: Double, arena: PlaintextArena) throws -> DecodedImage {
        let reach = Int((3 * sigma).rounded(.up))
        let context = PixelRect(x: rect.x - reach, y: rect.y - reach, width: rect.width + 2 * reach, height: rect.height + 2 * reach)
            .clipped(width: image.width, height: image.height)
        let blurred = try SyntheticImages.gaussianBlur(try crop(image, context, arena: arena), sigma: sigma, arena: arena)
        let inner = try crop(blurred, PixelRect(x: rect.x - context.x, y: rect.y - context.y, width: rect.width, height: rect.height), arena: arena)
        return try paste(inner, into: image, at: (rect.x, rect.y), arena: arena)
    }

    /// A copy of `image` whose pixels are `inside(x, y)` where `region` holds them, `outside(x, y)` elsewhere.
    static func map(
        _ image: DecodedImage, region: PixelRect, arena: PlaintextArena, inside: (RGB) -> RGB = { $0 }, outside: (RGB) -> RGB = { $0 }
    ) throws -> DecodedImage {
        try image.pixels.withUnsafeBytes { source in
            try SyntheticImages.make(width: image.width, height: image.height, arena: arena) { x, y in
                let offset = (y * image.width + x) * 3
                let pixel = RGB(source[offset], source[offset + 1], source[offset + 2])
                let isInside = x >= region.x && x < region.x + region.width && y >= region.y && y < region.y + region.height
                return isInside ? inside(pixel) : outside(pixel)
            }
        }
    }

    /// `rect` grown by `fraction` of its width on every side, inside a `width × height` photo.
    static func grown(_ rect: PixelRect, by fraction: Double, width: Int, height: Int) -> PixelRect {
        let margin = Int((fraction * Double(rect.width)).rounded())
        return PixelRect(x: rect.x - margin, y: rect.y - margin, width: rect.width + 2 * margin, height: rect.height + 2 * margin)
            .clipped(width: width, height: height)
    }
}
