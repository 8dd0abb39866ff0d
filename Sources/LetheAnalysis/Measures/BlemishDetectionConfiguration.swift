/// Thresholds of the red-papule (acne blemish) detector (`BlemishDetector`, docs/analysis/face.md
/// "Blemishes"). The defaults are the ones the ground-truth tests were run with.
public struct BlemishDetectionConfiguration: Sendable, Equatable, Codable {
    /// A pixel belongs to a red mark when its a* (3×3 box) exceeds the surrounding skin's by this.
    public var contrastAStar: Double
    /// Papule sizes (equivalent-disc diameter): inflammatory papules and pustules are raised
    /// lesions under 5 mm; below 1 mm a red dot is a petechia or a pixel's noise.
    public var minimumDiameterMillimetres: Double
    public var maximumDiameterMillimetres: Double
    /// The same in input pixels without a scale (at the nominal 0.2 mm per pixel of close-ups).
    public var minimumDiameterPixels: Double
    public var maximumDiameterPixels: Double
    /// Roundish: √ of the moment ratio at most this (a telangiectasia or a scratch is a line).
    public var maxElongation: Double

    public init(
        contrastAStar: Double = 4, minimumDiameterMillimetres: Double = 1, maximumDiameterMillimetres: Double = 5,
        minimumDiameterPixels: Double = 5, maximumDiameterPixels: Double = 25, maxElongation: Double = 2
    ) {
        self.contrastAStar = contrastAStar
        self.minimumDiameterMillimetres = minimumDiameterMillimetres
        self.maximumDiameterMillimetres = maximumDiameterMillimetres
        self.minimumDiameterPixels = minimumDiameterPixels
        self.maximumDiameterPixels = maximumDiameterPixels
        self.maxElongation = maxElongation
    }
}
