import LetheImaging

/// Whether a face wears eyeglasses, read at the bridge of the nose: a frame's bridge crosses it
/// between the eyes as a bar whose edges run across the face, while bare skin there shades
/// smoothly (the nose-bridge test of Jiang, Binkert, Achermann & Bunke 2000, Pattern Recognition
/// 33:1215). Behind the lenses the under-eye zones are seen through glass — its reflections read as
/// shine and its frame's lower rim as red marks (Grace Hopper's under-eyes read shine 0 and 61 and
/// redness 46 and 45, her cheeks shine 79 and 100 and redness 77 and 64) — so they are listed covered
/// (`CoveredZone.Cause.eyeglasses`) and measured nowhere, the dark circles with them.
///
/// The probe: rows across the face between the inner eye corners (`probeAcross`, s in units of the
/// inter-ocular distance d) from a quarter of d above them to a quarter below (`probeAlong`), each
/// row's mean L* one value of a profile along the face's vertical axis, roll-aligned. A bridge is a
/// bar across that profile, darker or lighter than the skin on both sides of it: the contrast is
/// the largest of min(P[k − w] − P[k], P[k + w] − P[k]) (or its opposite) over the rows k and the
/// half-widths w of `barHalfWidths` (0.02–0.10 d: bars 2.5–12.5 mm tall). Averaging across the row
/// keeps an edge that spans the bridge and averages out the skin's own texture, a brow hair or a
/// wrinkle; a bar, unlike a step, is not the edge of a fringe or a shadow.
enum Eyeglasses {
    /// Frame t of each probe row, from the midpoint of the inner eye corners (133, 362): a quarter
    /// of d above it (below the brows: a fringe down to them is no bar) to a quarter below (the upper nose).
    static let probeAlong: [Double] = (0...50).map { -0.25 + Double($0) / 100 }
    /// Frame s of each row's samples: the middle fifth of the inter-ocular distance, inside the
    /// inner corners (about ±0.25 d) so that no eye or lid reaches the probe.
    static let probeAcross: [Double] = (0...10).map { -0.10 + Double($0) / 50 }
    /// Half-widths of the bars looked for, in probe rows (0.01 d each).
    static let barHalfWidths = 2...10
    /// L* a bar across the bridge differs from the skin on both its sides by at least, for a frame.
    /// Measured on the fixture portraits: Grace Hopper's amber frame 20.2; the astronaut 1.4, Obama
    /// 3.2 (his whole portrait) and 3.1 (cut to the face): bare skin's shading. A thin metal or a
    /// clear frame may lie below it, and is then measured as skin (docs/analysis/face.md).
    static let minimumBridgeContrast = 10.0
    /// The zones that lie behind the lenses.
    static let lensZones = ["right_under_eye", "left_under_eye"]

    /// The probe's sample points in input pixels, one array per row.
    static func probe(frame: FaceFrame, innerCorners: (FaceGeometry.Point, FaceGeometry.Point)) -> [[FaceGeometry.Point]] {
        let centre = frame.local((innerCorners.0 + innerCorners.1) / 2)
        return probeAlong.map { t in probeAcross.map { s in frame.image(centre + FaceGeometry.Point(s, t)) } }
    }

    /// The probe's bar contrast in `image` (input pixels, its origin taken into account; the pixel
    /// each sample falls in), or nil when a row has no sample inside the image.
    static func bridgeContrast(_ image: DecodedImage, probe: [[FaceGeometry.Point]]) -> Double? {
        var profile: [Double] = []
        profile.reserveCapacity(probe.count)
        let linear = SRGB.linearTable
        image.pixels.withUnsafeBytes { pixels in
            for row in probe {
                var sum = 0.0, count = 0
                for point in row {
                    let x = Int(point.x.rounded(.down)) - image.originX, y = Int(point.y.rounded(.down)) - image.originY
                    guard x >= 0, y >= 0, x < image.width, y < image.height else { continue }
                    let i = (y * image.width + x) * DecodedImage.bytesPerPixel
                    sum += CIELab.fromLinear(red: linear[Int(pixels[i])], green: linear[Int(pixels[i + 1])], blue: linear[Int(pixels[i + 2])]).l
                    count += 1
                }
                if count > 0 { profile.append(sum / Double(count)) }
            }
        }
        guard profile.count == probe.count else { return nil }
        var contrast = 0.0
        for w in barHalfWidths where 2 * w < profile.count {
            for k in w..<(profile.count - w) {
                let above = profile[k - w] - profile[k], below = profile[k + w] - profile[k]
                contrast = max(contrast, min(above, below), min(-above, -below))
            }
        }
        return contrast
    }

    /// Whether `image` (the face's crop) shows eyeglasses on the face of `geometry`.
    static func areWorn(in image: DecodedImage, geometry: FaceGeometry) -> Bool {
        (bridgeContrast(image, probe: geometry.eyeglassesProbe) ?? 0) >= minimumBridgeContrast
    }
}
