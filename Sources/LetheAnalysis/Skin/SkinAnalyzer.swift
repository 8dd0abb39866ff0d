import LetheAPI
import LetheImaging
import LetheMemory

/// Skin tone, redness, skin concerns and photo quality of a close-up (the whole image is one region).
public enum SkinAnalyzer {
    /// Runs the quality gate (size → exposure → blur → skin coverage), then measures the clear
    /// skin pixels (skin-mask pixels that are not spots, pores or highlights) and the concerns (spots, pores, lines, shine, evenness, red area, scores). Every
    /// intermediate plane is an `.intermediate` arena buffer, released (wiped) before returning
    /// on every path.
    /// - Parameters:
    ///   - millimetresPerPixel: the device's scale, when known (profile or query).
    ///   - profile: the capture device; its colour-correction matrix or grey reference calibrate the colour.
    ///   - releasingPixels: wipe `image`'s pixels through `arena` once the working image is cut
    ///     from them (nothing after the analysis renders from them).
    /// - Throws: `image_too_small`, `image_too_compressed`, `lighting_too_dark`, `lighting_too_bright`, `image_greyscale`, `image_blurry`,
    ///   `no_skin_detected`, or `analysis_unavailable` when intermediate memory cannot be had.
    public static func analyze(
        _ image: DecodedImage, configuration: SkinAnalysisConfiguration, measures: SkinMeasureConfiguration = SkinMeasureConfiguration(),
        millimetresPerPixel: Double? = nil, scaleSource: String? = nil, profile: DeviceProfile? = nil, releasingPixels: Bool = false,
        arena: PlaintextArena
    ) throws(LetheError) -> SkinAnalysisResult {
        try analyze(
            image, configuration: configuration, measures: measures, millimetresPerPixel: millimetresPerPixel, scaleSource: scaleSource,
            profile: profile, releasingPixels: releasingPixels, labelling: false, arena: arena).measures
    }

    /// `analyze`, and with `labelling` the pixels each measure counted (`ConcernLabels`, which the
    /// caller releases): the simulations draw them.
    static func analyze(
        _ image: DecodedImage, configuration: SkinAnalysisConfiguration, measures: SkinMeasureConfiguration,
        millimetresPerPixel: Double?, scaleSource: String?, profile: DeviceProfile?, releasingPixels: Bool, labelling: Bool,
        arena: PlaintextArena
    ) throws(LetheError) -> (measures: SkinAnalysisResult, labels: ConcernLabels?) {
        let colour = ColourCalibrator.calibrate(image, profile: profile, model: measures.uncalibratedTone)
        let gate = try QualityGate.run(image, configuration: configuration, checkColourCast: false, requireSkin: true, arena: arena)
        let pixelCount = image.width * image.height

        let longSide = max(image.width, image.height)
        let factor = max(1, (longSide + measures.workingLongSidePixels - 1) / measures.workingLongSidePixels)
        let whole = PixelRect(width: image.width, height: image.height)
        let (region, _, _, labels) = try SkinConcernMeasurer.measureWithSkinColours(
            image, crop: whole, factor: Double(factor), regions: [NamedRegion(name: "image", rect: whole)],
            millimetresPerPixel: millimetresPerPixel, configuration: measures, colour: colour, releasingPixels: releasingPixels,
            labelling: labelling, arena: arena)

        // Tone and redness of the clear skin: spots, pores and highlights would bias the base colour.
        guard let measured = region.first, measured.skinPixelCount > 0 else {
            labels?.release(arena)
            throw .noSkinDetected(fraction: 0, minimum: configuration.minSkinFraction)
        }
        return (SkinAnalysisResult(
            skinTone: measured.skinTone,
            redness: measured.redness,
            quality: gate.quality,
            skinPixelFraction: Double(gate.skinPixelCount) / Double(pixelCount),
            skinPixelCount: gate.skinPixelCount,
            concerns: measured.concerns,
            millimetresPerPixel: millimetresPerPixel,
            scaleSource: millimetresPerPixel == nil ? nil : (scaleSource ?? "query"), colourCalibration: colour.report), labels)
    }
}
