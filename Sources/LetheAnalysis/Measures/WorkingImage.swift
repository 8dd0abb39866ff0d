import Foundation
import LetheAPI
import LetheImaging
import LetheMemory

/// A crop of the photo, averaged over each working pixel's footprint (`factor` input pixels across:
/// whole blocks for close-ups, any factor for a face's canonical frame), as CIELAB L* (`Float`),
/// a*, b* and the erythema index (16-bit `FixedLayer`s) and a Chai & Ngan skin mask. Everything
/// lives in `.intermediate` arena planes; `release(_:)` wipes them.
struct WorkingImage {
    /// Crop origin in input pixels.
    let originX: Int, originY: Int
    /// Size in working pixels.
    let width: Int, height: Int
    /// Input pixels per working pixel (along each axis): whole for block averages, any value in a
    /// face's canonical frame (below 1 where a small face is enlarged).
    let factor: Double
    /// CIELAB L*: every filter reads it.
    let lightness: Plane<Float>
    /// Three layers of `FixedLayer` codes: a*, b* and the erythema index (nil after
    /// `releaseColourPlanes`). Half a float plane each: at the marks' and the regions' steps, the
    /// working image and the marks' planes are the arena's largest holding beside the lines'.
    private(set) var chroma: Plane<Int16>?
    /// `skinBit` = skin; `surfaceBit` = not skin-coloured but on the skin
    /// surface (a highlight enclosed by skin, or a face-zone pixel that fails the colour check):
    /// counted by shine only; 0 = elsewhere. With `markClipped`, also `clippedBit` and
    /// `whiteClippedBit` (the camera's saturation, whatever the pixel is); on a face's surface
    /// pixels `coveringBit`.
    let skin: Plane<UInt8>
    /// Faces: the zone label of each working pixel (`applyFaceZones`), 0 = no zone.
    var zones: Plane<UInt8>?
    /// Faces: the median CIELAB (L*, a*, b*) of the zones' pixels, the reference colour of the
    /// skin mask and of the zones' colour evenness (`applyFaceZones`).
    var faceMedianLab: SIMD3<Float>?
    /// Faces: γ of the exposure normalisation (`applyFaceZones(_:normaliseExposure:)`): the
    /// planes hold L* + 16, a* and b* × γ, as if the photo had been exposed by γ³ (1 = as taken).
    var lightnessScale: Float = 1

    static let skinBit: UInt8 = 1
    static let surfaceBit: UInt8 = 2
    /// A face-zone pixel that fails the colour check and is no highlight: darker than the check's
    /// limit, of a chroma off the way from the face's median to white, or with too little of the
    /// skin's colour under it to be light on skin (`applyFaceZones`, `Highlight`). What
    /// covers the skin — hair, a beard, a mask (`RegionMeasures.coveredFraction`).
    static let coveringBit: UInt8 = 32
    /// An input pixel under the working pixel has a channel at or near saturation
    /// (`saturationCode`): its colour is lost (the clipped channel's ratio to the others is not
    /// the scene's), so colour measures leave it out (docs/analysis/repeatability.md, "Clipping").
    static let clippedBit: UInt8 = 8
    /// 8-bit code from which a channel counts as saturated: 255 less JPEG's ringing at a clipped
    /// edge (a few codes at quality 75–95) and a camera's highlight roll-off; 250 is 0.956 of full
    /// scale in linear light.
    static let saturationCode = 250
    /// A clipped working pixel whose darkest channel is still at least 0.8 of full scale in
    /// linear light (code 231): near the light's white. Diffuse skin's blue reflectance is at most
    /// about 0.6 of its red (Anderson & Parrish 1981, J Invest Dermatol 77:13: 450 vs 650 nm),
    /// so overexposing skin clips red with blue far below; only the light's own colour added —
    /// a specular reflection — lifts every channel that near saturation.
    static let whiteClippedBit: UInt8 = 16
    static let nearWhiteCode: Int32 = 231

    var pixelCount: Int { width * height }
    /// Half an 8-bit code step in linear light: the darkest reflectance the log-ratio indices
    /// (erythema, melanin) take, so that a black pixel gives a finite index.
    static let reflectanceFloor = 0.5 / 255 / 12.92

    /// The erythema index 100·log10(R/G) of linear reflectances (Diffey, Oliver & Farr 1984), each
    /// at least `reflectanceFloor`: one logarithm of the ratio, in `Float`, the plane's precision
    /// (a `Double` logarithm per working pixel was 3 % of a face request's CPU), read from
    /// `SRGB.log10MantissaTable` (`log10f` was 1.5 %).
    @inline(__always)
    static func erythemaIndex(red: Double, green: Double, log10Table: UnsafeBufferPointer<Float>) -> Float {
        100 * SRGB.log10(Float(max(red, reflectanceFloor) / max(green, reflectanceFloor)), table: log10Table)
    }

    /// The melanin index 100·log10(1/R) (Diffey, Oliver & Farr 1984) of a red reflectance against
    /// the same index of a grey of luminance `shading` (the local background's L* as luminance),
    /// which takes out shading, a factor on every channel: 100·log10(shading / R), the ratio in
    /// `Float` and its logarithm from `SRGB.log10MantissaTable`, as the erythema index's (two
    /// `Double` logarithms per skin pixel were 1.5 % of a face request's CPU).
    @inline(__always)
    static func melaninIndex(red: Double, againstGrey shading: Double, log10Table: UnsafeBufferPointer<Float>) -> Double {
        Double(100 * SRGB.log10(Float(max(shading, reflectanceFloor) / max(red, reflectanceFloor)), table: log10Table))
    }

    /// Wipes the a*, b* and erythema planes, keeping what the line detector reads (L*, the skin
    /// mask, the zones).
    mutating func releaseColourPlanes(arena: PlaintextArena) {
        chroma?.release(to: arena)
        chroma = nil
    }

    func release(_ arena: PlaintextArena) {
        lightness.release(to: arena)
        chroma?.release(to: arena)
        skin.release(to: arena)
        zones?.release(to: arena)
    }

    /// Every pixel's colour, to read (L*, a*, b*, the erythema index); not after `releaseColourPlanes`.
    var colour: ColourPixels {
        guard let chroma else { preconditionFailure("the colour planes were released") }
        return ColourPixels(lStar: UnsafeBufferPointer(lightness.pixels), chroma: chroma.pixels)
    }

    /// A colour measured on the (exposure-normalised) planes, as the photo shows it: the
    /// normalisation undone, exactly for L* > 8 (where CIELAB's cube root applies).
    func photoColour(_ lab: CIELab) -> CIELab {
        let gamma = Double(lightnessScale)
        return CIELab(l: (lab.l + 16) / gamma - 16, a: lab.a / gamma, b: lab.b / gamma)
    }

    /// The scale the working pixels resolve, given `workingMillimetres` per working pixel: an
    /// enlarged face (factor below 1) shows no more than its photo, so the coarser of the two.
    func resolvedMillimetres(_ workingMillimetres: Double?) -> Double? { workingMillimetres.map { $0 / min(1, factor) } }

    /// Input-pixel rectangle → working-pixel rectangle (clipped to the working image).
    func workingRect(_ rect: PixelRect) -> PixelRect {
        let x0 = Int((Double(rect.x - originX) / factor).rounded(.down))
        let y0 = Int((Double(rect.y - originY) / factor).rounded(.down))
        let x1 = Int((Double(rect.x + rect.width - originX) / factor).rounded(.up))
        let y1 = Int((Double(rect.y + rect.height - originY) / factor).rounded(.up))
        return PixelRect(x: x0, y: y0, width: x1 - x0, height: y1 - y0).clipped(width: width, height: height)
    }

    /// Converts `crop` of `image`, averaging `factor × factor` blocks in linear light.
    /// - Parameter correction: the device's colour correction, applied to each block's linear RGB
    ///   before CIELAB and the erythema index (the skin mask keeps the photo's own codes).
    static func make(
        _ image: DecodedImage, crop requested: PixelRect, factor: Int, correction: ColourMatrix? = nil, arena: PlaintextArena
    ) throws(LetheError) -> WorkingImage {
        try make(image, crop: requested, factor: Double(factor), correction: correction, arena: arena)
    }

    /// Whether the working pixel at `index` of a skin mask lost its colour to the camera's saturation.
    @inline(__always)
    static func isClipped(_ mask: UInt8) -> Bool { mask & clippedBit != 0 }

    /// Converts `crop` of `image` at `factor` input pixels per working pixel, each working pixel
    /// the mean in linear light of the input pixels under its footprint, weighted by the overlap:
    /// a whole factor is the plain block average, a fractional one above 1 the same area average;
    /// below 1 (enlarging) the footprint is one input pixel wide, which is bilinear interpolation.
    /// - Parameter markClipped: set `clippedBit` and `whiteClippedBit` in the skin mask (skin and face measures).
    static func make(
        _ image: DecodedImage, crop requested: PixelRect, factor: Double, correction: ColourMatrix? = nil, markClipped: Bool = false,
        arena: PlaintextArena
    ) throws(LetheError) -> WorkingImage {
        // `requested` is in photo pixels; the image may be a window of the photo (`DecodedImage.frame`).
        let crop = PixelRect(x: requested.x - image.originX, y: requested.y - image.originY, width: requested.width, height: requested.height)
            .clipped(width: image.width, height: image.height)
        let width = Int(Double(crop.width) / factor), height = Int(Double(crop.height) / factor)
        guard width >= 8, height >= 8 else {
            throw .analysedAreaTooSmall(width: crop.width, height: crop.height)
        }
        let lightness = try Plane<Float>(width: width, height: height, what: "the L* plane", arena: arena)
        let chroma: Plane<Int16>, skin: Plane<UInt8>
        do { chroma = try Plane(width: width, height: height, layers: 3, what: "the a*, b* and erythema planes", arena: arena) } catch {
            lightness.release(to: arena)
            throw error
        }
        do { skin = try Plane(width: width, height: height, what: "the skin mask", arena: arena) } catch {
            lightness.release(to: arena)
            chroma.release(to: arena)
            throw error
        }
        let colour = ColourPixels(lStar: UnsafeBufferPointer(lightness.pixels), chroma: chroma.pixels)
        let skinValues = skin.pixels
        image.pixels.withUnsafeBytes { pixelBytes in
            linearAndCodeTable.withUnsafeBufferPointer { linearAndCode in
                SRGB.labFTable.withUnsafeBufferPointer { labF in SRGB.log10MantissaTable.withUnsafeBufferPointer { log10Table in
                    let footprint = Footprint(factor: factor, width: width, height: height, crop: crop, imageWidth: image.width)
                    func fill(rows: Range<Int>) {
                        Self.fill(
                            pixels: pixelBytes.bindMemory(to: UInt8.self), footprint: footprint, rows: rows,
                            lightness: lightness.pixels, colour: colour, skin: skinValues,
                            linearAndCode: linearAndCode, labF: labF, log10Table: log10Table, correction: correction,
                            markClipped: markClipped)
                    }
                    // Each working row is its own: the two halves side by side when the request
                    // has a second core (`RequestThreads`), the same values either way.
                    _ = RequestThreads.fork({ fill(rows: 0..<(height / 2)) }, { fill(rows: (height / 2)..<height) })
                } }
            }
        }
        return WorkingImage(
            originX: image.originX + crop.x, originY: image.originY + crop.y, width: width, height: height, factor: factor,
            lightness: lightness, chroma: chroma, skin: skin)
    }

    /// The input pixels under each working column and row, with their overlap in input pixels:
    /// working pixel i is centred at (i + ½)·factor of the crop and covers max(factor, 1) input
    /// pixels (for a factor ≥ 1, exactly [i·factor, (i + 1)·factor)), clipped to the crop.
    struct Footprint {
        /// One axis: working pixel i's input pixels are `taps[starts[i]..<starts[i + 1]]`, in
        /// one flat array (no array per pixel to reach in the per-pixel loop).
        struct Axis {
            let starts: [Int]
            /// Each input pixel as its offset in the image's bytes along this axis (a column's
            /// from the row's start, a row's from the image's), so that a tap's pixel is at the
            /// sum of its row's and its column's offsets, with no product in the per-pixel loop.
            let taps: [(offset: Int, weight: Double)]

            /// - Parameters:
            ///   - origin: the crop's first input pixel along this axis, in the image.
            ///   - stride: bytes from one input pixel to the next along this axis.
            init(factor: Double, count: Int, limit: Int, origin: Int, stride: Int) {
                let span = max(factor, 1)
                var starts = [0], taps: [(offset: Int, weight: Double)] = []
                for i in 0..<count {
                    let centre = (Double(i) + 0.5) * factor
                    let start = max(0, centre - span / 2), end = min(Double(limit), centre + span / 2)
                    for p in Int(start.rounded(.down))..<Int(end.rounded(.up)) {
                        let overlap = min(end, Double(p + 1)) - max(start, Double(p))
                        if overlap > 1e-9 { taps.append(((origin + p) * stride, overlap)) }
                    }
                    starts.append(taps.count)
                }
                self.starts = starts
                self.taps = taps
            }
        }

        let width: Int, height: Int
        let columns: Axis, rows: Axis

        /// Working pixels `width × height` over `crop` of an RGB image `imageWidth` pixels wide.
        init(factor: Double, width: Int, height: Int, crop: PixelRect, imageWidth: Int) {
            self.width = width
            self.height = height
            columns = Axis(factor: factor, count: width, limit: crop.width, origin: crop.x, stride: 3)
            rows = Axis(factor: factor, count: height, limit: crop.height, origin: crop.y, stride: imageWidth * 3)
        }
    }

    /// Each 8-bit code's linear light (`SRGB.linearTable`) beside the code itself: one two-lane
    /// load, product and sum per channel and tap in `fill` for what were two scalar ones (a
    /// lane's product and sum are the scalar's, so the sums are the same to the bit).
    private static let linearAndCodeTable: [SIMD2<Double>] = (0..<256).map { SIMD2(SRGB.linearTable[$0], Double($0)) }

    /// Working rows `rows` of the planes and the skin mask.
    private static func fill(
        pixels: UnsafeBufferPointer<UInt8>, footprint: Footprint, rows: Range<Int>,
        lightness: UnsafeMutableBufferPointer<Float>, colour: ColourPixels, skin: UnsafeMutableBufferPointer<UInt8>,
        linearAndCode: UnsafeBufferPointer<SIMD2<Double>>, labF: UnsafeBufferPointer<Double>, log10Table: UnsafeBufferPointer<Float>,
        correction: ColourMatrix?, markClipped: Bool
    ) {
        let m = SRGB.toXYZ, inverseWhiteX = 1 / SRGB.whiteX, inverseWhiteZ = 1 / SRGB.whiteZ
        let width = footprint.width
        let pixelBase = pixels.baseAddress!
        let steps = Double(SRGB.labFTableSteps)
        @inline(__always) func f(_ t: Double) -> Double {
            let position = min(max(t, 0), 1) * steps
            let index = min(Int(position), SRGB.labFTableSteps - 1)
            let fraction = position - Double(index)
            return labF[index] + fraction * (labF[index + 1] - labF[index])
        }
        // The correction as a tuple: no array access in the per-pixel loop.
        let corrected = correction.map { c in
            (c.entries[0], c.entries[1], c.entries[2], c.entries[3], c.entries[4], c.entries[5], c.entries[6], c.entries[7], c.entries[8])
        }
        footprint.rows.starts.withUnsafeBufferPointer { rowStarts in
        footprint.rows.taps.withUnsafeBufferPointer { rowTaps in
        footprint.columns.starts.withUnsafeBufferPointer { columnStarts in
        footprint.columns.taps.withUnsafeBufferPointer { columnTaps in
        for wy in rows {
            // A request past its deadline stops here; the pipeline reports the deadline.
            if wy & 15 == 0, ProcessingDeadline.currentThreadDeadlinePassed { break }
            let rowTapRange = rowStarts[wy]..<rowStarts[wy + 1]
            for wx in 0..<width {
                let columnTapRange = columnStarts[wx]..<columnStarts[wx + 1]
                // Each channel's weighted (linear light, code) sums, summed tap by tap in the same
                // order as the area.
                var redSums = SIMD2<Double>(), greenSums = SIMD2<Double>(), blueSums = SIMD2<Double>()
                var area = 0.0
                var brightestChannel = 0
                for rowTap in rowTapRange {
                    let row = rowTaps[rowTap]
                    let rowPixels = pixelBase + row.offset
                    for columnTap in columnTapRange {
                        let column = columnTaps[columnTap]
                        let pixel = rowPixels + column.offset
                        let r = Int(pixel[0]), g = Int(pixel[1]), b = Int(pixel[2])
                        let weight = row.weight * column.weight
                        area += weight
                        redSums += weight * linearAndCode[r]; greenSums += weight * linearAndCode[g]; blueSums += weight * linearAndCode[b]
                        brightestChannel = max(brightestChannel, max(r, max(g, b)))
                    }
                }
                let inverse = 1 / area
                var red = redSums.x * inverse, green = greenSums.x * inverse, blue = blueSums.x * inverse
                // Linear, so correcting the block's mean is correcting each pixel and averaging.
                if let c = corrected {
                    (red, green, blue) = (
                        c.0 * red + c.1 * green + c.2 * blue, c.3 * red + c.4 * green + c.5 * blue, c.6 * red + c.7 * green + c.8 * blue)
                }
                // sRGB → XYZ (D65) → CIELAB (IEC 61966-2-1; CIE 15:2004), as `CIELab.fromLinear`,
                // the white's divisions as products (within a `Double`'s last bit, a tenth of the fill's time).
                let fx = f((m.0 * red + m.1 * green + m.2 * blue) * inverseWhiteX)
                let fy = f(m.3 * red + m.4 * green + m.5 * blue)
                let fz = f((m.6 * red + m.7 * green + m.8 * blue) * inverseWhiteZ)
                let index = wy * width + wx
                lightness[index] = Float(116 * fy - 16)
                colour.aStar[index] = Float(500 * (fx - fy))
                colour.bStar[index] = Float(200 * (fy - fz))
                // Erythema index (Diffey, Oliver & Farr 1984): 100 · log10(R/G) on linear reflectances.
                colour.erythema[index] = erythemaIndex(red: red, green: green, log10Table: log10Table)
                // The mean code rounded half up: (sum + n/2) / n, exact for whole blocks' integer sums.
                // Never negative, so truncating is rounding down (`rounded(.down)` was a call to
                // libm's `floor` per channel: the baseline x86-64 has no rounding instruction).
                @inline(__always) func code(_ sum: Double) -> Int32 { Int32((sum + area / 2) / area) }
                let r = code(redSums.y), g = code(greenSums.y), b = code(blueSums.y)
                var mask: UInt8 = SkinMask.isSkin(r, g, b, scaledLuma: SkinMask.scaledLuma(r, g, b)) ? 1 : 0
                if markClipped, brightestChannel >= saturationCode {
                    mask |= clippedBit
                    if min(r, g, b) >= nearWhiteCode { mask |= whiteClippedBit }
                }
                skin[index] = mask
            }
        }
        }
        }
        }
        }
    }
}

extension WorkingImage {
    /// `planes` float planes of the working image's size; none is left allocated when one fails.
    func allocateFloatPlanes(_ planes: Int, what: String, arena: PlaintextArena) throws(LetheError) -> [Plane<Float>] {
        var allocated: [Plane<Float>] = []
        for _ in 0..<planes {
            do { allocated.append(try Plane(width: width, height: height, what: what, arena: arena)) } catch {
                allocated.release(to: arena)
                throw error
            }
        }
        return allocated
    }

    /// The rows `PlaneFilters.boxBlur` needs on this image's planes for radii up to `radius`: a
    /// plane of a few dozen rows (at most the image's).
    func allocateBoxFilterRows(radius: Int, what: String, arena: PlaintextArena) throws(LetheError) -> Plane<Float> {
        try Plane(width: width, height: PlaneFilters.boxBlurScratchRows(height: height, radius: radius), what: what, arena: arena)
    }

    var lStar: UnsafeMutableBufferPointer<Float> { lightness.pixels }
}
