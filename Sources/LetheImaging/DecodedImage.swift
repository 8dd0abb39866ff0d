import LetheAPI
import LetheMemory

/// Decoded pixels in the worker's canonical layout: interleaved 8-bit sRGB, 3 bytes per pixel,
/// row-major, no row padding, EXIF orientation applied. The pixels live in an arena buffer of
/// class `.pixels`; the arena that allocated them wipes them. Either the whole photo, or a window
/// of it (`ImageDecoder.decode(_:region:…)`): then `originX`, `originY` place it in the photo.
public struct DecodedImage: Sendable {
    /// Width in pixels, after EXIF orientation.
    public let width: Int
    /// Height in pixels, after EXIF orientation.
    public let height: Int
    /// The format the image arrived in.
    public let format: ImageFormat
    /// `width * height * 3` bytes.
    public let pixels: SecureBuffer
    /// Where the pixels' top-left corner lies in the photo: 0, 0 unless this is a window of it.
    public let originX: Int, originY: Int
    /// A JPEG's compression as the IJG quality its luminance table matches
    /// (`JPEGQuantisation.equivalentQuality`); nil for other formats and for pixels not decoded from a file.
    public var equivalentJPEGQuality: Double?

    /// Bytes per pixel of the canonical layout.
    public static let bytesPerPixel = 3

    /// Wraps pixels already in the canonical layout (for synthetic images and simulations).
    public init(width: Int, height: Int, format: ImageFormat, pixels: SecureBuffer, originX: Int = 0, originY: Int = 0) {
        precondition(width > 0 && height > 0, "image dimensions must be positive")
        precondition(pixels.count == width * height * DecodedImage.bytesPerPixel, "pixel buffer size does not match width × height × 3")
        self.width = width
        self.height = height
        self.format = format
        self.pixels = pixels
        self.originX = originX
        self.originY = originY
    }

    /// Bytes per row.
    public var rowBytes: Int { width * DecodedImage.bytesPerPixel }

    /// The photo's pixels these are, in photo coordinates.
    public var frame: PixelRect { PixelRect(x: originX, y: originY, width: width, height: height) }
}
