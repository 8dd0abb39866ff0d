import LetheImaging
import LetheMemory

/// The virtual "after" photo of a skin or face crop, edited in CIELAB and confined to the
/// editable pixels (skin, spots and pores, `ConcernLabels.editable`); every other pixel of the
/// photo is copied unchanged, and a strength of 0 changes nothing at all.
///
/// In order, each step scaled by its concern's strength s ∈ [0, 1]:
/// 1. texture (pores, wrinkles): L* ← L* + s·(G − L*), G the guided filter of L* (He, Sun & Tang
///    2013, IEEE TPAMI 35:1397) with weighted box means over editable pixels only: it smooths
///    fine texture (variance ≪ ε) and keeps edges (variance ≫ ε) such as eyelids and lips;
/// 2. spots and pores: L* and b* pulled toward the surrounding clear skin by s·α, α the mark's
///    feathered mask (1 on the mark, fading to 0 over a few pixels around it);
/// 3. redness: a* above the surrounding clear skin's a* reduced by s·(a* − a*_background), fading
///    out for excesses far beyond erythema (lips);
/// 4. evenness: the mid-scale L* blotches (a local mean minus the clear-skin background)
///    removed by s, fading out for large deviations (eyes, brows: features, not blotches).
/// The edit weight ramps to 0 toward crop edges inside the photo (face crops), so no seam shows.
/// The surrounding clear skin is a normalised convolution of clear-skin pixels only (not marks,
/// not red, not highlights) over the radius the marks were measured with.
enum AfterCarePreview {
    // Plane indices: the photo in CIELAB, the surrounding clear skin, the pixel weights, the
    // weighted mean's numerator and denominator and the box filter's scratch, then
    // - localMeanL: L* averaged over a small window (the guided filter's mean, then its offset b;
    //   later the mid-scale mean of the evenness step),
    // - guidedSlope: the guided filter's per-pixel slope a = σ² / (σ² + ε),
    // - markAlpha: one concern's mark mask, feathered.
    private static let lStar = 0, aStar = 1, bStar = 2, backgroundL = 3, backgroundA = 4, backgroundB = 5
    private static let editable = 6, clear = 7, numerator = 8, denominator = 9, scratch = 10
    private static let localMeanL = 11, guidedSlope = 12, markAlpha = 13
    private static let planeCount = 14

    /// Texture smoothing: ε of the guided filter, (ΔL*)²; variations well below 5 L* are texture.
    static let guidedEpsilon: Float = 25

    /// Edits `output` (a copy of `image`'s pixels) inside the working crop `work` (factor 1), which
    /// `labels` cover pixel for pixel; `skin`: their clear skin's colour and largest spot.
    static func render(
        _ image: DecodedImage, work: WorkingImage, labels: ConcernLabels, skin: ConcernLabels.SkinReference, request: SimulationRequest,
        output: SecureBuffer, arena: PlaintextArena
    ) throws(LetheError) {
        let strengths = (
            spots: Float(request.strength(of: .spots)), pores: Float(request.strength(of: .pores)),
            wrinkles: Float(request.strength(of: .wrinkles)), redness: Float(request.strength(of: .redness)),
            evenness: Float(request.strength(of: .evenness)))
        guard max(strengths.spots, strengths.pores, strengths.wrinkles, strengths.redness, strengths.evenness) > 0 else { return }
        let p = try Plane<Float>(
            width: work.width, height: work.height, layers: planeCount, what: "the simulation planes", bufferClass: .rendering, arena: arena)
        defer { p.release(to: arena) }
        let radius = SkinConcernMeasurer.backgroundRadius(spotMaxDiameter: skin.spotMaxDiameter, width: work.width, height: work.height)
        let textureRadius = max(2, min(work.width, work.height) / 128)
        let spotFeather = max(2, radius / 12)

        let n = p.count
        let source = work.colour, flags = labels.labels.pixels
        let (l0, a0, b0, editableWeight, clearWeight) = (p.layer(lStar), p.layer(aStar), p.layer(bStar), p.layer(editable), p.layer(clear))
        for i in 0..<n { l0[i] = source.lStar[i]; a0[i] = source.aStar[i]; b0[i] = source.bStar[i] }
        for i in 0..<n {
            editableWeight[i] = flags[i] & ConcernLabels.editable != 0 ? 1 : 0
            clearWeight[i] = flags[i] & ConcernLabels.clear != 0 ? 1 : 0
        }
        fadeAtCropEdges(p.layer(editable), work: work, image: image, over: max(4, radius / 2))
        func mean(_ source: Int, weight: Int, into destination: Int, radius: Int, passes: Int = 3, fallback: Float? = nil) {
            p.weightedMean(
                source, weight: weight, into: destination, radius: radius, passes: passes, fallback: fallback,
                numerator: numerator, denominator: denominator, scratch: scratch)
        }
        mean(lStar, weight: clear, into: backgroundL, radius: radius, fallback: Float(skin.clearSkin.l))
        mean(aStar, weight: clear, into: backgroundA, radius: radius, fallback: Float(skin.clearSkin.a))
        mean(bStar, weight: clear, into: backgroundB, radius: radius, fallback: Float(skin.clearSkin.b))
        let e = p.layer(editable), l = p.layer(lStar), a = p.layer(aStar), b = p.layer(bStar)

        // 1. Texture: guided filter of L* with itself as guide, over editable pixels.
        let texture = max(strengths.pores, strengths.wrinkles)
        if texture > 0 {
            mean(lStar, weight: editable, into: localMeanL, radius: textureRadius, passes: 1)
            // The slope plane first holds L*², then its mean, then the slope.
            let m = p.layer(localMeanL), ca = p.layer(guidedSlope)
            for i in 0..<n { ca[i] = l[i] * l[i] }
            mean(guidedSlope, weight: editable, into: guidedSlope, radius: textureRadius, passes: 1)
            for i in 0..<n {
                let variance = max(0, ca[i] - m[i] * m[i])
                ca[i] = variance / (variance + guidedEpsilon)
                m[i] = m[i] * (1 - ca[i])  // the guided filter's b = mean − a·mean
            }
            mean(guidedSlope, weight: editable, into: guidedSlope, radius: textureRadius, passes: 1)
            mean(localMeanL, weight: editable, into: localMeanL, radius: textureRadius, passes: 1)
            for i in 0..<n where e[i] > 0 {
                let filtered = ca[i] * l[i] + m[i]
                l[i] += texture * e[i] * (filtered - l[i])
            }
        }

        // 2. Spots and pores fade into the surrounding clear skin, with feathered edges.
        for (flag, strength, feather) in [(ConcernLabels.spot, strengths.spots, spotFeather), (ConcernLabels.pore, strengths.pores, 1)] where strength > 0 {
            let alpha = p.layer(markAlpha)
            for i in 0..<n { alpha[i] = flags[i] & flag != 0 ? 1 : 0 }
            p.feather(markAlpha, radius: feather, scratch: scratch)
            let bgL = p.layer(backgroundL), bgB = p.layer(backgroundB)
            for i in 0..<n where e[i] > 0 && alpha[i] > 0 {
                let weight = strength * alpha[i] * e[i]
                l[i] += weight * (bgL[i] - l[i])
                b[i] += weight * (bgB[i] - b[i])
            }
        }

        // 3. Redness: a* pulled down toward the surrounding clear skin.
        if strengths.redness > 0 {
            let bgA = p.layer(backgroundA)
            for i in 0..<n where e[i] > 0 && a[i] > bgA[i] {
                let excess = a[i] - bgA[i]
                a[i] -= strengths.redness * e[i] * excess * fade(excess, from: rednessFadeAStar)
            }
        }

        // 4. Evenness: mid-scale L* blotches removed.
        if strengths.evenness > 0 {
            mean(lStar, weight: editable, into: localMeanL, radius: max(2, radius / 8), passes: 2)
            let local = p.layer(localMeanL), bgL = p.layer(backgroundL)
            for i in 0..<n where e[i] > 0 {
                let blotch = local[i] - bgL[i]
                l[i] -= strengths.evenness * e[i] * blotch * fade(abs(blotch), from: evennessFadeLStar)
            }
        }

        image.pixels.withUnsafeBytes { original in
            write(
                original: source, planes: p, image: image, work: work,
                source: original.bindMemory(to: UInt8.self), target: output.elements(as: UInt8.self))
        }
    }

    /// Redness above the surrounding skin by up to 12 a* (erythema) is reduced fully, the
    /// reduction fades out by 24 a* (lips are red by nature, not a concern).
    static let rednessFadeAStar: (full: Float, none: Float) = (12, 24)
    /// L* blotches up to 3 L* are evened fully, fading out by 8 L* (eyes, brows, nostrils and
    /// the face's shading are features, not unevenness).
    static let evennessFadeLStar: (full: Float, none: Float) = (3, 8)

    /// 1 up to `full`, 0 from `none`, linear between.
    @inline(__always)
    static func fade(_ value: Float, from limits: (full: Float, none: Float)) -> Float {
        min(1, max(0, (limits.none - value) / (limits.none - limits.full)))
    }

    /// Ramps the edit weight down to 0 toward every crop edge that lies inside the photo (a face
    /// crop ends in the hair or on the neck), so the preview has no seam there.
    private static func fadeAtCropEdges(_ weight: UnsafeMutableBufferPointer<Float>, work: WorkingImage, image: DecodedImage, over distance: Int) {
        let interiorLeft = work.originX > 0, interiorTop = work.originY > 0
        let interiorRight = work.originX + work.width < image.width, interiorBottom = work.originY + work.height < image.height
        guard interiorLeft || interiorTop || interiorRight || interiorBottom else { return }
        let far = Int.max / 2
        for y in 0..<work.height {
            let vertical = min(interiorTop ? y : far, interiorBottom ? work.height - 1 - y : far)
            for x in 0..<work.width {
                let nearest = min(vertical, interiorLeft ? x : far, interiorRight ? work.width - 1 - x : far)
                if nearest < distance { weight[y * work.width + x] *= Float(nearest) / Float(distance) }
            }
        }
    }

    /// Applies the CIELAB change of each edited pixel as a change of its sRGB code values
    /// (target colour − original colour, both through the same conversion), so pixels the
    /// preview did not change keep their exact bytes.
    private static func write(
        original: ColourPixels, planes p: Plane<Float>, image: DecodedImage, work: WorkingImage,
        source: UnsafeBufferPointer<UInt8>, target: UnsafeMutableBufferPointer<UInt8>
    ) {
        let e = p.layer(editable), l = p.layer(lStar), a = p.layer(aStar), b = p.layer(bStar)
        for y in 0..<work.height {
            for x in 0..<work.width {
                let i = y * work.width + x
                guard e[i] > 0 else { continue }
                let l0 = original.lStar[i], a0 = original.aStar[i], b0 = original.bStar[i]
                guard abs(l[i] - l0) + abs(a[i] - a0) + abs(b[i] - b0) >= 0.02 else { continue }
                let before = CIELab(l: Double(l0), a: Double(a0), b: Double(b0)).sRGBComponents()
                let after = CIELab(l: Double(l[i]), a: Double(a[i]), b: Double(b[i])).sRGBComponents()
                let offset = ((work.originY + y) * image.width + work.originX + x) * 3
                @inline(__always) func set(_ channel: Int, _ delta: Double) {
                    let value = Double(source[offset + channel]) + 255 * delta
                    target[offset + channel] = UInt8(min(255, max(0, value.rounded())))
                }
                set(0, after.red - before.red)
                set(1, after.green - before.green)
                set(2, after.blue - before.blue)
            }
        }
    }
}
