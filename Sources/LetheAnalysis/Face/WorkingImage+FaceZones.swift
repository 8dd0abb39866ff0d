import LetheImaging
import LetheMemory

extension WorkingImage {
    /// Largest chroma distance √(Δa*² + Δb*²) from the face's median skin colour of a pixel
    /// that counts as skin, and the largest L* below the median: hair, shadowed background and
    /// the dark lip line fail, a pink or a brown face passes as itself (no fixed colour rule).
    static let faceSkinChromaDistance: Float = 14
    static let faceSkinDarkerLStar: Float = 25

    /// The lightness the face's median skin is normalised to: Y = 0.36, one stop above the 18 %
    /// middle grey a meter exposes for, where the zone system places average light skin (zone VI;
    /// Adams, *The Negative*, 1981). L* = 116 · 0.36^⅓ − 16.
    static let referenceSkinLStar: Float = 66.5

    /// Restricts the skin mask to the face's skin: labels each working pixel with its zone
    /// (`zones`, 0 = none: outside the oval, inside an eye, brow, lip or nostril part, or outside
    /// every zone), then keeps as skin (`skinBit`) only labelled pixels near the face's own median
    /// colour; labelled pixels that fail the colour check are `surfaceBit` (highlights stay
    /// measurable as shine), and `coveringBit` too when darker than the check's limit, of a chroma
    /// off the way from the median's to white, or with too little of the skin's colour under it
    /// (`Highlight`): hair, a beard, a mask cover the skin; a highlight does not.
    /// - Parameter normaliseExposure: scale the planes as a change of exposure that brings the
    ///   face's median skin to `referenceSkinLStar` before the skin is chosen (the measures: every
    ///   threshold in ΔL* or Δa* then means the same contrast ratio whatever the exposure);
    ///   `lightnessScale` records it. Simulations keep the photo's exposure (their preview edits
    ///   the planes and writes them back).
    /// - Parameter covering: zones whose every pixel covers the skin, whatever its colour: those
    ///   behind eyeglasses' lenses (`Eyeglasses.lensZones`).
    mutating func applyFaceZones(
        _ geometry: FaceGeometry, normaliseExposure: Bool = false, covering: [String] = [], arena: PlaintextArena
    ) throws(LetheError) {
        let labels = try Plane<UInt8>(width: width, height: height, what: "the face zone labels", arena: arena)
        zones = labels
        let unassigned: UInt8 = 255
        let order = FaceGeometry.zonePriority.compactMap { name in geometry.zones.firstIndex { $0.name == name } }
        let label = labels.pixels
        for i in 0..<pixelCount { label[i] = 0 }
        fill(geometry.oval, into: label) { _ in unassigned }
        for index in order {
            fill(geometry.zones[index].polygon, into: label) { $0 == unassigned ? UInt8(index + 1) : $0 }
        }
        for i in 0..<pixelCount where label[i] == unassigned { label[i] = 0 }
        for part in geometry.exclusions { fill(part.polygon, into: label) { _ in 0 } }
        let (median, gamma) = Self.keepFaceSkin(
            labels: UnsafeBufferPointer(label), lightness: lStar, colour: colour, skin: skin.pixels, count: pixelCount, normaliseExposure: normaliseExposure)
        faceMedianLab = median
        lightnessScale = gamma
        var isCovering = [Bool](repeating: false, count: 256)
        for name in covering { if let index = geometry.zones.firstIndex(where: { $0.name == name }) { isCovering[index + 1] = true } }
        if isCovering.contains(true) {
            let skin = self.skin.pixels
            for i in 0..<pixelCount where isCovering[Int(label[i])] {
                skin[i] = Self.surfaceBit | Self.coveringBit | (skin[i] & (Self.clippedBit | Self.whiteClippedBit))
            }
        }
    }

    /// The share of the face's zone pixels (`zones` ≠ 0, the skin surface the measures read) that
    /// lost their colour to the camera's saturation (`clippedBit`); nil before `applyFaceZones` or
    /// without a zone pixel.
    func clippedSkinFraction() -> Double? {
        guard let zones = self.zones?.pixels else { return nil }
        let skin = self.skin.pixels
        var labelled = 0, clipped = 0
        for i in 0..<pixelCount where zones[i] != 0 {
            labelled += 1
            if Self.isClipped(skin[i]) { clipped += 1 }
        }
        return labelled > 0 ? Double(clipped) / Double(labelled) : nil
    }

    /// - Returns: the median L*, a*, b* of the labelled pixels (after the normalisation) and the
    ///   normalisation's γ (1 without).
    private static func keepFaceSkin(
        labels: UnsafeBufferPointer<UInt8>, lightness: UnsafeMutableBufferPointer<Float>, colour: ColourPixels, skin: UnsafeMutableBufferPointer<UInt8>, count: Int,
        normaliseExposure: Bool
    ) -> (median: SIMD3<Float>, lightnessScale: Float) {
        // Each half of the pixels on a thread of its own when the request has a second core
        // (`RequestThreads`): the halves' histograms add up, and every other step is per pixel.
        let middle = count / 2
        func halves<Result>(_ body: (Range<Int>) -> Result) -> (Result, Result) {
            RequestThreads.fork({ body(0..<middle) }, { body(middle..<count) })
        }
        // Medians from half-unit histograms (aggregates, not pixels).
        let (front, back) = halves { pixels in
            var histogram = LabHistogram()
            histogram.add(pixels, of: colour) { labels[$0] != 0 }
            return histogram
        }
        let histogram = front + back
        var median = histogram.median
        // Exposure × k multiplies X, Y, Z by k, so CIELAB's cube root multiplies L* + 16, a* and b*
        // by γ = k^⅓ (CIE 15:2004; exact above L* 8): normalising is that scaling, with the k that
        // brings the median to the reference. The erythema index, a ratio R/G, does not change.
        var gamma: Float = 1
        if normaliseExposure, histogram.count > 0 {
            gamma = (referenceSkinLStar + 16) / max(median.x + 16, 1)
            _ = halves { pixels in
                for i in pixels {
                    lightness[i] = (lightness[i] + 16) * gamma - 16
                    colour.aStar[i] *= gamma
                    colour.bStar[i] *= gamma
                }
            }
            median = SIMD3((median.x + 16) * gamma - 16, median.y * gamma, median.z * gamma)
        }
        let chromaLimit = faceSkinChromaDistance * faceSkinChromaDistance
        let medianChroma = SIMD2(median.y, median.z), medianChromaSquared = max((medianChroma * medianChroma).sum(), 1e-6)
        let highlight = Highlight(skin: median, exposure: Double(gamma * gamma * gamma))
        _ = halves { pixels in
            for i in pixels {
                let clipping = skin[i] & (clippedBit | whiteClippedBit)
                guard labels[i] != 0 else { skin[i] = clipping; continue }
                let chroma = SIMD2(colour.aStar[i], colour.bStar[i])
                let fromMedian = chroma - medianChroma
                if (fromMedian * fromMedian).sum() <= chromaLimit, lightness[i] >= median.x - faceSkinDarkerLStar {
                    skin[i] = skinBit | clipping
                    continue
                }
                // Not skin-coloured: a highlight on the skin or something over it. What covers the
                // skin is darker than the skin's limit (hair, a beard), of a chroma off the way from
                // the skin's to white, along which a highlight's lies (the dichromatic model, Shafer
                // 1985), or a grey or white with too little of the skin's colour under it (a grey
                // mask, grey hair). A clipped pixel's chroma is lost, so it is judged by its lightness alone.
                let towardWhite = min(max((chroma * medianChroma).sum() / medianChromaSquared, 0), 1)
                let offLine = chroma - towardWhite * medianChroma
                let covers = lightness[i] < median.x - faceSkinDarkerLStar
                    || (clipping == 0 && ((offLine * offLine).sum() > chromaLimit || highlight.lacksSkin(lStar: lightness[i], chroma: chroma)))
                skin[i] = surfaceBit | (covers ? coveringBit : 0) | clipping
            }
        }
        return (median, gamma)
    }

    /// A highlight is light of the illuminant's colour added to the skin's own reflection (the
    /// dichromatic model, Shafer 1985): in linear RGB a pixel k · skin + s · white, where k is the
    /// skin's shading there and s the specular light. Adding white leaves the differences between
    /// the channels as they were, so k is read from them alone (the least-squares k of the two-colour
    /// fit). A grey or white material over the face — a grey mask, grey hair — has almost none of the
    /// skin's channel differences, and no shading explains it; skin is the check's colour down to L* 25
    /// below the face's median (`faceSkinDarkerLStar`), so a highlight's k is at least that
    /// lightness's share of the median's luminance (0.34 at the reference L* 66.5).
    ///
    /// Where a camera's highlight roll-off compresses the channels (the photo's brightest channel above
    /// `rollOff` of full scale, where `PaintedShine`'s shoulder begins too) the differences shrink with
    /// the light, so k is not read there: with it read, painted highlights at level 0.6 raised the
    /// covered share of Grace Hopper's glabella 0.01 → 0.12 and of her nose 0.27 → 0.34 (docs/analysis/face.md).
    struct Highlight {
        static let rollOff = 0.75
        static let minimumShading = CIELab.relativeLuminance(lStar: Double(referenceSkinLStar - faceSkinDarkerLStar))
            / CIELab.relativeLuminance(lStar: Double(referenceSkinLStar))
        /// The skin's linear RGB less its mean (its channel differences), and their squared length.
        let skinDifferences: SIMD3<Double>, skinDifferencesSquared: Double
        /// Photo-to-working linear scale: the normalisation's exposure (γ³).
        let exposure: Double

        /// - Parameters: skin, the face's median L*, a*, b* as the planes hold them; exposure, γ³.
        init(skin: SIMD3<Float>, exposure: Double) {
            let rgb = Self.linear(lStar: skin.x, chroma: SIMD2(skin.y, skin.z))
            skinDifferences = rgb - rgb.sum() / 3
            skinDifferencesSquared = max((skinDifferences * skinDifferences).sum(), 1e-9)
            self.exposure = exposure
        }

        static func linear(lStar: Float, chroma: SIMD2<Float>) -> SIMD3<Double> {
            let rgb = CIELab(l: Double(lStar), a: Double(chroma.x), b: Double(chroma.y)).linearSRGB()
            return SIMD3(rgb.red, rgb.green, rgb.blue)
        }

        /// Whether an unclipped pixel has too little of the skin's colour to be skin under a
        /// highlight (k below `minimumShading`); false where the roll-off leaves k unread.
        func lacksSkin(lStar: Float, chroma: SIMD2<Float>) -> Bool {
            let rgb = Self.linear(lStar: lStar, chroma: chroma)
            guard rgb.max() / exposure < Self.rollOff else { return false }
            let shading = ((rgb - rgb.sum() / 3) * skinDifferences).sum() / skinDifferencesSquared
            return shading < Self.minimumShading
        }
    }

    /// Sets `label[i] = value(label[i])` for every working pixel whose centre lies inside
    /// `polygon` (input pixels; even-odd rule, one scanline per working row).
    private func fill(_ polygon: [FaceGeometry.Point], into label: UnsafeMutableBufferPointer<UInt8>, value: (UInt8) -> UInt8) {
        let f = factor
        var crossings: [Double] = []
        for wy in 0..<height {
            let y = Double(originY) + (Double(wy) + 0.5) * f
            crossings.removeAll(keepingCapacity: true)
            var j = polygon.count - 1
            for i in polygon.indices {
                let a = polygon[i], b = polygon[j]
                if (a.y > y) != (b.y > y) { crossings.append(a.x + (y - a.y) * (b.x - a.x) / (b.y - a.y)) }
                j = i
            }
            crossings.sort()
            var k = 0
            while k + 1 < crossings.count {
                let start = max(0, Int(((crossings[k] - Double(originX)) / f - 0.5).rounded(.up)))
                let end = min(width, Int(((crossings[k + 1] - Double(originX)) / f - 0.5).rounded(.up)))
                if start < end { for wx in start..<end { label[wy * width + wx] = value(label[wy * width + wx]) } }
                k += 2
            }
        }
    }
}

extension FaceGeometry {
    /// The same geometry in a photo scaled by `factor` (simulations work on a resized photo).
    func scaled(by factor: Double) -> FaceGeometry {
        var copy = self
        copy.interOcularPixels = interOcularPixels * factor
        copy.oval = oval.map { $0 * factor }
        copy.exclusions = exclusions.map { Part(name: $0.name, polygon: $0.polygon.map { $0 * factor }) }
        copy.zones = zones.map { Part(name: $0.name, polygon: $0.polygon.map { $0 * factor }) }
        copy.eyeglassesProbe = eyeglassesProbe.map { $0.map { $0 * factor } }
        return copy
    }
}
