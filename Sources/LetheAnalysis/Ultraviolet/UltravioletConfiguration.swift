/// Thresholds of the measures on UV photos (`UltravioletAnalyzer`; docs/analysis/devices.md#light).
public struct UltravioletConfiguration: Sendable, Equatable, Codable {
    /// Pixels darker than this fraction of the photo's median luminance are outside the lit field
    /// (the dark vignette of a UV ring light, background) and not measured.
    public var fieldMinimumFractionOfMedian: Double
    /// A UV spot is at least this much darker than the skin around it: Y ≤ (1 − this) × background Y.
    public var spotMinimumDarkening: Double
    /// UV spot size limits (equivalent-disc diameter), with a scale…
    public var spotMinDiameterMillimetres: Double
    public var spotMaxDiameterMillimetres: Double
    /// …and without one, in input pixels.
    public var spotMinDiameterPixels: Double
    public var spotMaxDiameterPixels: Double
    /// Longer/shorter axis above which a dark mark is a hair or a fold, not a spot.
    public var spotMaxElongation: Double
    /// A porphyrin pixel's red chromaticity R / (R + G + B) (linear) is at least this, and at
    /// least the field's median plus `porphyrinMarginOverMedian` (a UV photo with visible light
    /// leaking in has reddish skin everywhere: that is no fluorescence).
    public var porphyrinMinRedChromaticity: Double
    public var porphyrinMarginOverMedian: Double
    /// Porphyrin dot size limits (equivalent-disc diameter), with a scale and without.
    public var porphyrinMaxDiameterMillimetres: Double
    public var porphyrinMaxDiameterPixels: Double
    /// Smallest dot, in working pixels (one stray pixel of sensor noise is no dot).
    public var porphyrinMinimumAreaPixels: Int
    /// Photos are measured box-averaged so that the longer side is at most this.
    public var workingLongSidePixels: Int

    /// Defaults: field ≥ 35 % of the median, spots ≥ 15 % darker and 0.5–10 mm (4–100 px), dots
    /// red chromaticity ≥ 0.45 and ≥ median + 0.15, ≤ 2 mm (20 px), ≥ 3 px; 1024 px working side.
    public init(
        fieldMinimumFractionOfMedian: Double = 0.35, spotMinimumDarkening: Double = 0.15,
        spotMinDiameterMillimetres: Double = 0.5, spotMaxDiameterMillimetres: Double = 10, spotMinDiameterPixels: Double = 4,
        spotMaxDiameterPixels: Double = 100, spotMaxElongation: Double = 3, porphyrinMinRedChromaticity: Double = 0.45,
        porphyrinMarginOverMedian: Double = 0.15, porphyrinMaxDiameterMillimetres: Double = 2, porphyrinMaxDiameterPixels: Double = 20,
        porphyrinMinimumAreaPixels: Int = 3, workingLongSidePixels: Int = 1024
    ) {
        self.fieldMinimumFractionOfMedian = fieldMinimumFractionOfMedian
        self.spotMinimumDarkening = spotMinimumDarkening
        self.spotMinDiameterMillimetres = spotMinDiameterMillimetres
        self.spotMaxDiameterMillimetres = spotMaxDiameterMillimetres
        self.spotMinDiameterPixels = spotMinDiameterPixels
        self.spotMaxDiameterPixels = spotMaxDiameterPixels
        self.spotMaxElongation = spotMaxElongation
        self.porphyrinMinRedChromaticity = porphyrinMinRedChromaticity
        self.porphyrinMarginOverMedian = porphyrinMarginOverMedian
        self.porphyrinMaxDiameterMillimetres = porphyrinMaxDiameterMillimetres
        self.porphyrinMaxDiameterPixels = porphyrinMaxDiameterPixels
        self.porphyrinMinimumAreaPixels = porphyrinMinimumAreaPixels
        self.workingLongSidePixels = workingLongSidePixels
    }
}
