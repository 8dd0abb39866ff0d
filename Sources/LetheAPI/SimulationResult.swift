import Foundation

/// One rendered image inside the JSON result: the encoded file, base64 in JSON.
public struct SimulationImage: Codable, Sendable, Equatable {
    /// `image/jpeg`, `image/png` or `image/webp`.
    public var mediaType: String
    public var width: Int
    public var height: Int
    /// The encoded file (base64 in the JSON).
    public var data: Data

    enum CodingKeys: String, CodingKey {
        case mediaType = "media_type"
        case width, height, data
    }

    public init(mediaType: String, width: Int, height: Int, data: Data) {
        self.mediaType = mediaType
        self.width = width
        self.height = height
        self.data = data
    }
}

/// One concern's mask: a PNG with alpha (255 where the concern is) in the legend colour.
public struct ConcernMask: Codable, Sendable, Equatable {
    /// Legend colour, `#rrggbb` (also the mask's colour in the overlay).
    public var colour: String
    /// Fraction of the image's pixels in the mask.
    public var pixelFraction: Double
    public var image: SimulationImage

    enum CodingKeys: String, CodingKey {
        case colour
        case pixelFraction = "pixel_fraction"
        case image
    }

    public init(colour: String, pixelFraction: Double, image: SimulationImage) {
        self.colour = colour
        self.pixelFraction = pixelFraction
        self.image = image
    }
}

/// What was rendered and how: the requested concerns, their strengths, the legend and the
/// output settings.
public struct SimulationSummary: Codable, Sendable, Equatable {
    /// Requested concerns, in request order.
    public var concerns: [String]
    /// Strength 0–1 applied in the preview, per requested concern.
    public var strengths: [String: Double]
    /// Legend colour (`#rrggbb`) per concern with a mask.
    public var legend: [String: String]
    /// Format of the preview and the overlay (`jpeg`, `png`, `webp`); masks are PNG.
    public var format: String
    public var quality: Int
    /// Size of every rendered image.
    public var width: Int
    public var height: Int

    public init(concerns: [String], strengths: [String: Double], legend: [String: String], format: String, quality: Int, width: Int, height: Int) {
        self.concerns = concerns
        self.strengths = strengths
        self.legend = legend
        self.format = format
        self.quality = quality
        self.width = width
        self.height = height
    }
}
