/// A rectangle in pixels: a face box or a region in the device's answer (input pixels), a crop or
/// an area of a working image inside the analysis. The one rectangle type of Lethe.
public struct PixelRect: Sendable, Codable, Hashable {
    public var x: Int
    public var y: Int
    public var width: Int
    public var height: Int

    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
    }

    /// A `width × height` rectangle at the origin: a whole image.
    public init(width: Int, height: Int) {
        self.init(x: 0, y: 0, width: width, height: height)
    }

    /// Pixels covered (0 for an empty rectangle).
    public var area: Int { max(0, width) * max(0, height) }

    /// Whether every pixel of `other` is one of this rectangle's.
    public func contains(_ other: PixelRect) -> Bool {
        other.x >= x && other.y >= y && other.x + other.width <= x + width && other.y + other.height <= y + height
    }

    /// This rectangle clipped to `0..<width × 0..<height` (empty when outside).
    public func clipped(width limitWidth: Int, height limitHeight: Int) -> PixelRect {
        let left = max(0, x), top = max(0, y)
        let right = min(limitWidth, x + width), bottom = min(limitHeight, y + height)
        return PixelRect(x: left, y: top, width: max(0, right - left), height: max(0, bottom - top))
    }

    /// The smallest rectangle holding all of `rects`; nil when there are none.
    public static func enclosing(_ rects: [PixelRect]) -> PixelRect? {
        guard let left = rects.map(\.x).min(), let top = rects.map(\.y).min(),
              let right = rects.map({ $0.x + $0.width }).max(), let bottom = rects.map({ $0.y + $0.height }).max()
        else { return nil }
        return PixelRect(x: left, y: top, width: right - left, height: bottom - top)
    }

    /// Intersection over union with another rectangle (0 when both are empty).
    public func intersectionOverUnion(_ other: PixelRect) -> Double {
        let left = max(x, other.x), top = max(y, other.y)
        let right = min(x + width, other.x + other.width), bottom = min(y + height, other.y + other.height)
        let intersection = Double(max(0, right - left) * max(0, bottom - top))
        let union = Double(area + other.area) - intersection
        return union > 0 ? intersection / union : 0
    }
}
