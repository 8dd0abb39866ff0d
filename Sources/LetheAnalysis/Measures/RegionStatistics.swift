import LetheAPI
import LetheImaging

/// The per-region loops: colour of the clear skin (`clearSkin`), then its evenness against the
/// band (`measureEvenness`), then red area, shine, ridges and the colour spreads (`measureSurface`):
/// three passes, so that the band and the ridge-smoothed L* take the same plane in turn
/// (`SkinConcernMeasurer.regionParts`).
struct RegionStatistics {
    var skinCount = 0
    /// The region's pixels on the skin surface, skin-coloured or not, and those of them that
    /// cover a face's skin (`WorkingImage.coveringBit`).
    var surfaceCount = 0, coveringCount = 0
    var clearCount = 0
    var meanL = 0.0, meanA = 0.0, meanB = 0.0, meanErythema = 0.0
    /// The median colour of the clear skin (`LabHistogram.interpolatedMedian`), its clipped pixels
    /// counted in L* (brighter than the median: their rank is right where their value is not, so a
    /// brighter capture that clips more of the bright tail leaves the median where it was, while
    /// a mean without them falls) and left out of a*, b*; nil without an unclipped clear pixel, or
    /// unless `clearSkin` was asked for it.
    /// What the region's colour difference from the face's is of (`zone_delta_e`).
    var medianColour: SIMD3<Float>?
    /// Mean over the clear skin of the melanin index against the local background's grey (the
    /// reference brown and red spots are told apart from).
    var meanMelaninIndex = 0.0
    /// Radiance: mean relative luminance of the clear skin, and the s.d. of Y − the local background's Y.
    var meanLuminance = 0.0, luminanceStandardDeviation = 0.0
    /// The median colour of the skin, marks included, by the rule of `medianColour` (clipped
    /// pixels in L* alone); nil without an unclipped skin pixel, or unless `clearSkin` was asked
    /// for medians. What a face's dark circles compare (under-eye against cheek).
    var skinMedianColour: SIMD3<Float>?
    /// Skin pixels left out of the colour measures: a channel at the camera's saturation.
    var clippedCount = 0, clippedClearCount = 0
    var redFraction = 0.0
    var specularFraction = 0.0
    /// Shine's light: Σ over the skin surface of max(0, Y − (1 + `specularShareMargin`) · Y of the
    /// local background) / Σ Y of the local background (`SkinConcerns.Shine.specularShare`).
    var specularShare = 0.0
    /// Evenness: the s.d. of the green lightness band-passed to 2–12 mm (`EvennessBand`), or
    /// without the band of L* − background L* (local, shading removed).
    var lStandardDeviation = 0.0
    var meanDeltaE = 0.0
    /// Brown and red unevenness of the clear skin: standard deviations of the melanin index
    /// about its local background and of the erythema index (`SkinConcerns.Evenness`). A face's
    /// melanin index reads the red at most at its cap (`melaninRedCapRatio`), clipped pixels included.
    var melaninIndexStandardDeviation = 0.0
    var erythemaIndexStandardDeviation = 0.0
    var ridgeFraction = 0.0
    /// Thresholds found on the way (simulations draw the same pixels): red from this a*,
    /// specular from this L* at chroma up to `specularChroma`.
    var redLimitAStar: Float = .infinity
    var specularL: Float = .infinity
    var specularChroma: Float = 0

    /// A face's brown unevenness reads each pixel's red reflectance at most at this multiple of
    /// the red of the face's median colour (exposure normalised), and a clipped pixel at that cap.
    /// Skin's red is the first channel to clip: a brighter capture loses its brightest reds, and
    /// leaving them out (as the other colour ratios do) narrowed the spread with the exposure
    /// (Grace Hopper's melanin s.d. 5.9 at −⅓ EV, 4.1 at +⅓). After the normalisation a clipped
    /// red lies at γ³ (γ brings the median to L* 66.5): above 1.3 × a typical skin median's red
    /// (0.571 at L* 66.5, a* 15, b* 18) in every capture whose median is below L* 75, so capped
    /// there the spread reads the same pixels whatever the exposure up to it. Measured on the
    /// three portraits (docs/analysis/repeatability.md): the ICC as taken 0.467 → 0.903; 1.2 and
    /// 1.1 cap a growing part of ordinary skin (Grace Hopper's spread fell by a fifth and by two
    /// fifths), 1.4 … 1.7 left the brightest captures' clipping in (ICC 0.854 … 0.747).
    static let melaninRedCapRatio = 1.3

    static let aStarBinsPerUnit = 4.0
    static let aStarMinimum = -40.0
    static let aStarBins = 480

    /// Hessian of the smoothed L* (central differences) at one pixel: a dark line has a large
    /// positive curvature across it and little along it. `up`/`row`/`down` are row offsets.
    /// The nine indices are inside the plane: wrapping adds, no overflow checks at every pixel.
    @inline(__always)
    static func isRidge(
        _ ridgePlane: UnsafeBufferPointer<Float>, x: Int, row: Int, up: Int, down: Int, width: Int, curvature: Float, anisotropy: Float
    ) -> Bool {
        let left = max(0, x &- 1), right = min(width &- 1, x &+ 1)
        let c = ridgePlane[row &+ x]
        let dxx = ridgePlane[row &+ left] + ridgePlane[row &+ right] - 2 * c
        let dyy = ridgePlane[up &+ x] + ridgePlane[down &+ x] - 2 * c
        let dxy = (ridgePlane[down &+ right] - ridgePlane[down &+ left] - ridgePlane[up &+ right] + ridgePlane[up &+ left]) / 4
        let half = (dxx + dyy) / 2, spread = (((dxx - dyy) / 2) * ((dxx - dyy) / 2) + dxy * dxy).squareRoot()
        let major = half + spread, minor = half - spread
        return major >= curvature && abs(minor) <= anisotropy * major
    }

    /// What every pass over a region reads: the working image's colour (L*, a*, b*, erythema
    /// index), its skin mask, the marks' member mask, the local background L*, and a face's zones.
    struct Pixels {
        let colour: ColourPixels, skin: UnsafeBufferPointer<UInt8>, marks: UnsafeBufferPointer<UInt8>
        let background: UnsafeBufferPointer<Float>
        /// Nil: every pixel of `rect`; else the pixels labelled `zone`.
        let zones: UnsafeBufferPointer<UInt8>?, zone: UInt8
        let width: Int, height: Int, rect: PixelRect

        @inline(__always) func inZone(_ i: Int) -> Bool { zones.map { $0[i] == zone } ?? true }
    }

    /// Shine's pixel: brighter than the surrounding skin (the normalised-convolution background,
    /// which leaves highlights out) by the margin, and nearly colourless (the dichromatic model: a
    /// specular reflection has the light's colour, Shafer 1985). A clipped pixel has lost its
    /// colour — the saturated channel no longer holds its ratio to the others (Klinker, Shafer &
    /// Kanade 1988) — so its chroma says nothing; it is a highlight when bright by the margin and
    /// near white in every channel (`whiteClippedBit`: only the light's colour added lifts skin's
    /// blue that high), else overexposed diffuse skin.
    @inline(__always)
    func isSpecular(mask: UInt8, l: Float, a: Float, b: Float, background: Float, margin: Float) -> Bool {
        let bright = l >= background + margin
        return WorkingImage.isClipped(mask)
            ? bright && mask & WorkingImage.whiteClippedBit != 0
            : bright && (a * a + b * b).squareRoot() <= specularChroma
    }

    /// Pass 1: clear skin (skin, not part of a mark, its colour not clipped: a saturated channel
    /// holds no ratio to the others, Klinker, Shafer & Kanade 1988, IJCV 2:7), its mean colour, and
    /// the red and specular thresholds the next passes read.
    /// - Parameter median: also `medianColour` and `skinMedianColour` (a face's zones: their
    ///   `zone_delta_e` and dark circles), counting every skin pixel into histograms.
    static func clearSkin(_ pixels: Pixels, configuration: SkinMeasureConfiguration, median: Bool = false) -> RegionStatistics {
        let (lStar, aStar, bStar, erythemaIndex) = (pixels.colour.lStar, pixels.colour.aStar, pixels.colour.bStar, pixels.colour.erythema)
        let (skin, marks, rect, width) = (pixels.skin, pixels.marks, pixels.rect, pixels.width)
        var stats = RegionStatistics()
        var histogram = [Int](repeating: 0, count: aStarBins)
        var colours = LabHistogram(), skinColours = LabHistogram()
        var sumL = 0.0, sumA = 0.0, sumB = 0.0, sumEI = 0.0, sumChroma = 0.0
        colours.counting { colours in skinColours.counting { skinColours in
            for y in rect.y..<(rect.y + rect.height) {
                for x in rect.x..<(rect.x + rect.width) {
                    let i = y * width + x
                    guard skin[i] & (WorkingImage.skinBit | WorkingImage.surfaceBit) != 0, pixels.inZone(i) else { continue }
                    stats.surfaceCount += 1
                    if skin[i] & WorkingImage.coveringBit != 0 { stats.coveringCount += 1 }
                    guard skin[i] & WorkingImage.skinBit != 0 else { continue }
                    stats.skinCount += 1
                    guard !WorkingImage.isClipped(skin[i]) else {
                        stats.clippedCount += 1
                        if median { skinColours.addLightness(i, of: pixels.colour) }
                        if marks[i] == 0 {
                            stats.clippedClearCount += 1
                            if median { colours.addLightness(i, of: pixels.colour) }
                        }
                        continue
                    }
                    if median { skinColours.add(i, of: pixels.colour) }
                    guard marks[i] == 0 else { continue }
                    let l = Double(lStar[i]), a = Double(aStar[i]), b = Double(bStar[i])
                    sumL += l; sumA += a; sumB += b; sumEI += Double(erythemaIndex[i])
                    sumChroma += (a * a + b * b).squareRoot()
                    // Truncated, not rounded down (a `floor` call per pixel): the two differ only below
                    // zero, where the bin is clamped to 0 either way.
                    let bin = Int((a - aStarMinimum) * aStarBinsPerUnit)
                    histogram[min(aStarBins - 1, max(0, bin))] += 1
                    if median { colours.add(i, of: pixels.colour) }
                    stats.clearCount += 1
                }
            }
        } }
        if colours.count > 0 { stats.medianColour = colours.interpolatedMedian }
        if skinColours.count > 0 { stats.skinMedianColour = skinColours.interpolatedMedian }
        guard stats.clearCount > 0 else { return stats }
        let n = Double(stats.clearCount)
        stats.meanL = sumL / n; stats.meanA = sumA / n; stats.meanB = sumB / n; stats.meanErythema = sumEI / n
        let meanChroma = sumChroma / n
        var cumulative = 0, medianBin = 0
        for (bin, value) in histogram.enumerated() {
            cumulative += value
            if cumulative * 2 >= stats.clearCount { medianBin = bin; break }
        }
        let medianA = aStarMinimum + (Double(medianBin) + 0.5) / aStarBinsPerUnit
        stats.redLimitAStar = Float(medianA + configuration.redAreaMarginAStar)
        stats.specularL = Float(stats.meanL + configuration.specularMarginLStar)
        stats.specularChroma = Float(configuration.specularChromaFactor * meanChroma)
        return stats
    }

    /// Pass 2: evenness, the spread of the band over the clear skin that is not a highlight
    /// (`lStandardDeviation`). Lightness measures keep the clipped pixels: leaving the bright tail
    /// out only when it clips would move a spread with the exposure (measured: the evenness score
    /// by 43). The evenness band is of the green lightness, which a clipped red does not touch;
    /// without it (the simulations' thresholds), L* against the marks' background.
    mutating func measureEvenness(_ pixels: Pixels, band: EvennessBand.Blocks.Reader?, configuration: SkinMeasureConfiguration) {
        guard clearCount > 0 else { return }
        let (lStar, aStar, bStar) = (pixels.colour.lStar, pixels.colour.aStar, pixels.colour.bStar)
        let (skin, marks, background, rect, width) = (pixels.skin, pixels.marks, pixels.background, pixels.rect, pixels.width)
        let margin = Float(configuration.specularMarginLStar)
        var sumSquares = 0.0, lightnessCount = 0
        let columns = rect.x..<(rect.x + rect.width)
        for y in rect.y..<(rect.y + rect.height) {
            // The band's row, read once the row has a pixel that reads it.
            var loaded = false
            for x in columns {
                let i = y * width + x
                let mask = skin[i]
                guard mask & WorkingImage.skinBit != 0, marks[i] == 0, pixels.inZone(i),
                    !isSpecular(mask: mask, l: lStar[i], a: aStar[i], b: bStar[i], background: background[i], margin: margin) else { continue }
                if let band, !loaded {
                    band.load(y: y, x: columns)
                    loaded = true
                }
                // Against the local background: shading from the face's 3-D shape is not blotchiness.
                let local = band.map { $0.value(x: x) } ?? (lStar[i] - background[i])
                if !local.isNaN {
                    sumSquares += Double(local * local)
                    lightnessCount += 1
                }
            }
        }
        lStandardDeviation = (sumSquares / Double(max(1, lightnessCount))).squareRoot()
    }

    /// Pass 3: red area, shine (its area and its light), ridges, colour differences, radiance and
    /// the brown and red spreads.
    /// - Parameters:
    ///   - ridgePlane: L* smoothed at ridge scale (`SkinConcernMeasurer.smoothForRidges`).
    ///   - melaninRedCap: a face's cap on the red the melanin spread reads (`melaninRedCapRatio`).
    ///   - labels: the pixels counted, drawn for the simulations (`ConcernLabels`).
    mutating func measureSurface(
        _ pixels: Pixels, ridgePlane: UnsafeBufferPointer<Float>, configuration: SkinMeasureConfiguration, melaninRedCap: Double? = nil,
        labels: UnsafeMutableBufferPointer<UInt8>? = nil
    ) {
        guard clearCount > 0 else { return }
        let (lStar, aStar, bStar, erythemaIndex) = (pixels.colour.lStar, pixels.colour.aStar, pixels.colour.bStar, pixels.colour.erythema)
        let (skin, marks, background, rect, width, height) = (pixels.skin, pixels.marks, pixels.background, pixels.rect, pixels.width, pixels.height)
        let n = Double(clearCount)
        let redLimit = redLimitAStar
        let meanL = Float(self.meanL), meanA = Float(self.meanA), meanB = Float(self.meanB)
        let curvature = Float(configuration.ridgeMinimumCurvature), anisotropy = Float(configuration.ridgeAnisotropy)

        var red = 0, specular = 0, surfaceSpecular = 0, ridges = 0
        let specularMargin = Float(configuration.specularMarginLStar)
        var highlightLight = 0.0, surroundingLight = 0.0
        let shareKnee = 1 + configuration.specularShareMargin
        var sumDeltaE = 0.0
        var melanin = RunningVariance(), erythema = RunningVariance(), luminance = RunningVariance(), luminanceDeviation = RunningVariance()
        // A face's brown unevenness, its red capped (`melaninRedCapRatio`); `melanin` keeps the mean the marks are told by.
        var cappedMelanin = RunningVariance()
        SRGB.log10MantissaTable.withUnsafeBufferPointer { log10Table in
            for y in rect.y..<(rect.y + rect.height) {
                let up = max(0, y - 1) * width, down = min(height - 1, y + 1) * width, row = y * width
                for x in rect.x..<(rect.x + rect.width) {
                    let i = row + x
                    let mask = skin[i]
                    guard mask & (WorkingImage.skinBit | WorkingImage.surfaceBit) != 0, pixels.inZone(i) else { continue }
                    let l = lStar[i], a = aStar[i], b = bStar[i]
                    let clipped = WorkingImage.isClipped(mask)
                    // Shine's light: the luminance above the knee over the skin around it, of L*
                    // smoothed as for the ridges (pixel noise averages out rather than adding its
                    // positive half), whatever the colour: no threshold a white balance or the onset
                    // of clipping moves a flank across (`SkinConcerns.Shine.specularShare`). The
                    // background's luminance is also the shading radiance and the melanin index read.
                    let surrounding = CIELab.relativeLuminance(lStar: Double(background[i]))
                    if !surrounding.isNaN {
                        highlightLight += max(0, CIELab.relativeLuminance(lStar: Double(ridgePlane[i])) - shareKnee * surrounding)
                        surroundingLight += surrounding
                    }
                    let isSpecular = isSpecular(mask: mask, l: l, a: a, b: b, background: background[i], margin: specularMargin)
                    guard mask & WorkingImage.skinBit != 0 else {
                        // On the skin surface but not skin-coloured (a highlight enclosed by skin, or a face-zone pixel).
                        if isSpecular { surfaceSpecular += 1 }
                        continue
                    }
                    labels?[i] |= ConcernLabels.editable
                    if isSpecular { specular += 1; continue }
                    if Self.isRidge(ridgePlane, x: x, row: row, up: up, down: down, width: width, curvature: curvature, anisotropy: anisotropy) { ridges += 1 }
                    guard marks[i] == 0 else { continue }
                    let dl = l - meanL, da = a - meanA, db = b - meanB
                    sumDeltaE += Double((dl * dl + da * da + db * db).squareRoot())
                    let shading = surrounding
                    // Radiance: luminance, and its deviation from the background's (the face's shading is not dullness).
                    let y = CIELab.relativeLuminance(lStar: Double(l))
                    luminance.add(y)
                    luminanceDeviation.add(y - shading)
                    // Brown: the melanin index 100·log10(1/R) (Diffey, Oliver & Farr 1984) against the
                    // same index of the local background's grey (its L* as luminance), which takes out
                    // shading, a factor on every channel; the red reflectance is the pixel's own. A
                    // face's spread reads it at most at the cap, a clipped pixel at the cap.
                    guard melaninRedCap != nil || !clipped else { continue }
                    let reflectance = CIELab(l: Double(l), a: Double(a), b: Double(b)).linearSRGB().red
                    // The pixel's own index (read below when it is not clipped) is its capped one too
                    // where the cap leaves its red as it is: one logarithm per pixel instead of two.
                    let ownMelanin = clipped ? nil : WorkingImage.melaninIndex(red: reflectance, againstGrey: shading, log10Table: log10Table)
                    if let melaninRedCap {
                        let cappedRed = min(melaninRedCap, reflectance)
                        cappedMelanin.add(
                            (cappedRed == reflectance ? ownMelanin : nil)
                                ?? WorkingImage.melaninIndex(red: cappedRed, againstGrey: shading, log10Table: log10Table))
                    }
                    // Colour ratios (red area, melanin, erythema) leave a clipped pixel out.
                    guard !clipped else { continue }
                    if a >= redLimit {
                        red += 1
                        labels?[i] |= ConcernLabels.red
                    } else {
                        labels?[i] |= ConcernLabels.clear
                    }
                    if let ownMelanin { melanin.add(ownMelanin) }
                    // Red: the erythema index 100·log10(R/G), a ratio that shading does not change.
                    erythema.add(Double(erythemaIndex[i]))
                }
            }
        }
        let skinCount = Double(max(1, self.skinCount))
        redFraction = Double(red) / n
        // Every pixel once: skin pixels (specular or not) and the specular surface pixels that are not skin-coloured.
        specularFraction = Double(specular + surfaceSpecular) / (skinCount + Double(surfaceSpecular))
        specularShare = surroundingLight > 0 ? highlightLight / surroundingLight : 0
        let lightnessN = Double(clearCount + clippedClearCount)
        meanDeltaE = sumDeltaE / lightnessN
        melaninIndexStandardDeviation = (melaninRedCap == nil ? melanin : cappedMelanin).standardDeviation
        meanMelaninIndex = melanin.mean
        meanLuminance = luminance.mean
        luminanceStandardDeviation = luminanceDeviation.standardDeviation
        erythemaIndexStandardDeviation = erythema.standardDeviation
        ridgeFraction = Double(ridges) / skinCount
    }
}

/// Mean and population standard deviation of a stream of values (Welford 1962: no cancellation
/// when the values sit far from zero, as log indices do).
struct RunningVariance {
    private(set) var count = 0
    private(set) var mean = 0.0
    private var squares = 0.0

    mutating func add(_ value: Double) {
        count += 1
        let delta = value - mean
        mean += delta / Double(count)
        squares += delta * (value - mean)
    }

    var standardDeviation: Double { count == 0 ? 0 : (squares / Double(count)).squareRoot() }
}
