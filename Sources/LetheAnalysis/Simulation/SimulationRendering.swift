import LetheImaging
import LetheMemory

/// The encoded images of one simulation. Every byte lives in `.rendering` arena buffers, wiped
/// with the request.
public struct SimulationRendering: Sendable {
    /// One encoded image.
    public struct Image: Sendable {
        /// The encoded file (PNG, JPEG or WebP).
        public let encoded: SecureBuffer
        public let format: ImageFormat
        public let width: Int
        public let height: Int

        /// `image/png`, `image/jpeg`, `image/webp`.
        public var mediaType: String { "image/\(format.rawValue)" }
    }

    /// A concern's mask: a PNG in the legend colour whose alpha is 255 where the concern is.
    public struct Mask: Sendable {
        public let concern: SimulationConcern
        public let image: Image
        /// Fraction of the image's pixels in the mask.
        public let pixelFraction: Double
    }

    /// Size of every rendered image (the photo scaled to fit `max_dimension`).
    public let width: Int
    public let height: Int
    /// The after-care preview (skin and face photos when a preview concern was asked for).
    public let preview: Image?
    /// The photo with every requested mask blended in its legend colour.
    public let overlay: Image?
    public let masks: [Mask]
    /// What was asked for.
    public let request: SimulationRequest
}
