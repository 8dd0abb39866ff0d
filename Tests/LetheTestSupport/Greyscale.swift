/// A photo in black and white as a camera's monochrome mode or a filter makes it.
public enum Greyscale {
    /// Each RGB8 pixel of `rgb` replaced, in place, by its Rec. 601 luma (0.299 R + 0.587 G +
    /// 0.114 B, rounded) in all three channels.
    public static func convert(_ rgb: UnsafeMutableRawBufferPointer) {
        for offset in stride(from: 0, to: rgb.count - rgb.count % 3, by: 3) {
            let (r, g, b) = (Double(rgb[offset]), Double(rgb[offset + 1]), Double(rgb[offset + 2]))
            let luma: Double = 0.299 * r + 0.587 * g + 0.114 * b
            let code = UInt8(luma.rounded())
            (rgb[offset], rgb[offset + 1], rgb[offset + 2]) = (code, code, code)
        }
    }
}
