/// Thresholds of the multi-scale line (wrinkle) detector (`LineDetector`, docs/analysis/face.md
/// "Wrinkles as lines"). The defaults are the ones the ground-truth tests were run with.
public struct LineDetectionConfiguration: Sendable, Equatable, Codable {
    /// Widths of the lines looked for, from fine lines to furrows (full width at half depth).
    /// A convention, not a clinical grade; with a scale they set the scale range of the filter.
    public var minimumWidthMillimetres: Double
    public var maximumWidthMillimetres: Double
    /// The same range in input pixels for close-ups without a scale.
    public var minimumWidthPixels: Double
    public var maximumWidthPixels: Double
    /// Frangi et al. 1998's β: weight of the blob/line ratio λ1/λ2 in the vesselness.
    public var frangiBeta: Double
    /// Frangi's c, expressed as the depth (ΔL*) of a straight line whose structure term is 1 − e^(−½).
    public var frangiDepthLStar: Double
    /// Centreline pixels need this vesselness (hysteresis low); a line needs one pixel at the high one.
    public var lowVesselness: Double
    public var highVesselness: Double
    /// Step-edge test: both flanks, `flankDistanceSigmas` × σ across the line, must be brighter
    /// than its centre (both on L* at the finest scale) by at least `minimumFlankRiseLStar`, and the lower rise at least
    /// `flankSymmetry` × the higher (an edge has one flank at the centre's level or below).
    public var flankDistanceSigmas: Double
    public var minimumFlankRiseLStar: Double
    public var flankSymmetry: Double
    /// Shorter centrelines are texture, not lines.
    public var minimumLengthMillimetres: Double
    public var minimumLengthPixels: Double

    public init(
        minimumWidthMillimetres: Double = 0.3, maximumWidthMillimetres: Double = 3, minimumWidthPixels: Double = 2, maximumWidthPixels: Double = 12,
        frangiBeta: Double = 0.5, frangiDepthLStar: Double = 4, lowVesselness: Double = 0.2, highVesselness: Double = 0.4,
        flankDistanceSigmas: Double = 2, minimumFlankRiseLStar: Double = 1, flankSymmetry: Double = 0.3,
        minimumLengthMillimetres: Double = 3, minimumLengthPixels: Double = 15
    ) {
        self.minimumWidthMillimetres = minimumWidthMillimetres
        self.maximumWidthMillimetres = maximumWidthMillimetres
        self.minimumWidthPixels = minimumWidthPixels
        self.maximumWidthPixels = maximumWidthPixels
        self.frangiBeta = frangiBeta
        self.frangiDepthLStar = frangiDepthLStar
        self.lowVesselness = lowVesselness
        self.highVesselness = highVesselness
        self.flankDistanceSigmas = flankDistanceSigmas
        self.minimumFlankRiseLStar = minimumFlankRiseLStar
        self.flankSymmetry = flankSymmetry
        self.minimumLengthMillimetres = minimumLengthMillimetres
        self.minimumLengthPixels = minimumLengthPixels
    }
}
