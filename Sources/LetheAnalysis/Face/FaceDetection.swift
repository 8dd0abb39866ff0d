import LetheAPI

/// A face the detector found: its box in input pixels and how many raw window hits support it.
public struct FaceDetection: Sendable, Equatable {
    /// The face box, in input pixels.
    public var box: PixelRect
    /// Raw window hits merged into this face (OpenCV's "neighbours"); more = more certain.
    public var neighbours: Int

    public init(box: PixelRect, neighbours: Int) {
        self.box = box
        self.neighbours = neighbours
    }
}

extension FaceDetection {
    /// The same detection in a photo `factor` times larger (a reduced photo's overview to the photo).
    func scaled(by factor: Int) -> FaceDetection {
        guard factor != 1 else { return self }
        return FaceDetection(
            box: PixelRect(x: box.x * factor, y: box.y * factor, width: box.width * factor, height: box.height * factor), neighbours: neighbours)
    }
}
