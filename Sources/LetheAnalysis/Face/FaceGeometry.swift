import Foundation
import LetheAPI
import LetheMemory

/// Where a face's skin is, from its 468-point mesh (MediaPipe's mesh order): the face oval, the
/// parts inside it that are not skin (eyes, brows, lips, nostrils), the zones the measures report
/// and the head pose. Polygons are in input pixels.
///
/// The zones are drawn in a face frame aligned with the eyes (roll-aligned): origin midway between
/// the eye centres, `s` along the eye line towards the image right, `t` perpendicular, downwards,
/// both in units of the inter-ocular distance `d`; their edges follow mesh points (brows, lower
/// eyelids, alae, mouth corners, lower lip, chin). A pixel inside several zone polygons belongs to
/// the first in `zonePriority`; pixels outside the oval or inside an excluded part belong to none.
public struct FaceGeometry: Sendable, Equatable {
    public typealias Point = SIMD2<Double>

    /// A named polygon in input pixels.
    public struct Part: Sendable, Equatable {
        public var name: String
        public var polygon: [Point]
    }

    public var oval: [Point]
    /// Eyes, brows, lips and nostrils (grown a little: lashes, brow hairs, the lip line; eyes,
    /// lips and nostrils then widened by `marginMillimetres`).
    public var exclusions: [Part]
    /// The measured zones, in reporting order.
    public var zones: [Part]
    public var pose: FacePose
    /// The distance between the eye centres (each the midpoint of its corners), in input pixels:
    /// the face's own length unit, which sets its canonical frame and its scale estimate.
    public var interOcularPixels: Double
    /// Where eyeglasses' bridge would cross the nose (`Eyeglasses.probe`): rows of sample points
    /// in input pixels.
    var eyeglassesProbe: [[Point]]

    // Mesh indices (MediaPipe `face_mesh_connections.py`): contours in drawing order.
    static let ovalIndices = [
        10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377, 152, 148, 176, 149, 150, 136,
        172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109,
    ]
    /// The subject's right eye is on the image's left.
    static let rightEyeIndices = [33, 246, 161, 160, 159, 158, 157, 173, 133, 155, 154, 153, 145, 144, 163, 7]
    static let leftEyeIndices = [263, 466, 388, 387, 386, 385, 384, 398, 362, 382, 381, 380, 374, 373, 390, 249]
    static let rightBrowIndices = [70, 63, 105, 66, 107, 55, 65, 52, 53, 46]
    static let leftBrowIndices = [300, 293, 334, 296, 336, 285, 295, 282, 283, 276]
    static let lipsIndices = [61, 185, 40, 39, 37, 0, 267, 269, 270, 409, 291, 375, 321, 405, 314, 17, 84, 181, 91, 146]
    /// Alae, alar bases and subnasale: their hull covers both nostrils.
    static let nostrilIndices = [64, 98, 97, 2, 326, 327, 294]

    /// Growth of each excluded part about its centroid.
    static let eyeGrowth = 1.35, browGrowth = 1.3, lipsGrowth = 1.1, nostrilGrowth = 1.15
    /// Skin kept this far (in millimetres of the face, from its mesh) from the grown eyes, lips
    /// and nostrils, whose excluded parts are the convex hulls of the grown outlines widened by it.
    /// Growth about a centroid scales with the part, so a thin part grows little across it (the
    /// lips 1.1 × a half-height of a few mm): the lip line, the lid margins and the alar edges
    /// are redder than skin and lie within a pixel or two of the mesh's outline, so the skin mask
    /// took them in or left them out as the landmarks moved. 3 mm: the astronaut's red area range
    /// over 30 re-captures 0.0149 → 0.0057 (2 mm 0.0104, 4 mm 0.0054; docs/analysis/repeatability.md,
    /// "A margin in millimetres").
    static let marginMillimetres = 3.0

    /// Zones in the order that decides overlaps (small, specific zones first).
    public static let zonePriority = [
        "right_crows_feet", "left_crows_feet", "right_under_eye", "left_under_eye", "glabella", "nose", "right_nasolabial",
        "left_nasolabial", "perioral", "chin", "right_cheek", "left_cheek", "forehead",
    ]
    /// Reporting order.
    public static let zoneNames = [
        "forehead", "glabella", "right_crows_feet", "left_crows_feet", "right_under_eye", "left_under_eye", "right_cheek",
        "left_cheek", "nose", "right_nasolabial", "left_nasolabial", "perioral", "chin",
    ]

    /// The geometry of one face mesh.
    public init(landmarks: FaceLandmarks, pose configuration: FacePose.Limits = FacePose.Limits()) {
        let points = landmarks.points.map { Point($0.x, $0.y) }
        func centroid(_ indices: [Int]) -> Point { indices.reduce(Point(0, 0)) { $0 + points[$1] } / Double(indices.count) }
        let frame = FaceFrame(mesh: points)
        interOcularPixels = frame.interOcular
        func st(_ index: Int) -> Point { frame.local(points[index]) }
        func grown(_ indices: [Int], by factor: Double) -> [Point] {
            let centre = centroid(indices)
            return indices.map { centre + (points[$0] - centre) * factor }
        }
        oval = Self.ovalIndices.map { points[$0] }
        // The margin in this face's pixels: its millimetres from the mesh (63 mm between the eyes).
        let margin = Self.marginMillimetres * interOcularPixels / EvennessBand.interOcularMillimetres
        exclusions = [
            Part(name: "right_eye", polygon: Self.convexHull(grown(Self.rightEyeIndices, by: Self.eyeGrowth), margin: margin)),
            Part(name: "left_eye", polygon: Self.convexHull(grown(Self.leftEyeIndices, by: Self.eyeGrowth), margin: margin)),
            Part(name: "right_brow", polygon: grown(Self.rightBrowIndices, by: Self.browGrowth)),
            Part(name: "left_brow", polygon: grown(Self.leftBrowIndices, by: Self.browGrowth)),
            Part(name: "lips", polygon: Self.convexHull(grown(Self.lipsIndices, by: Self.lipsGrowth), margin: margin)),
            Part(name: "nostrils", polygon: Self.convexHull(grown(Self.nostrilIndices, by: Self.nostrilGrowth), margin: margin)),
        ]
        pose = FacePose(frame: frame, noseTip: st(1), mouth: (st(61) + st(291)) / 2)
        eyeglassesProbe = Eyeglasses.probe(frame: frame, innerCorners: (points[133], points[362]))

        // Landmark positions in the face frame (units of d).
        let browTop = (Self.rightBrowIndices + Self.leftBrowIndices).map { st($0).y }.min()!
        let rightLid = Self.rightEyeIndices.map { st($0).y }.max()!, leftLid = Self.leftEyeIndices.map { st($0).y }.max()!
        let nasion = st(168).y, subnasale = st(2).y
        let rightAla = st(64), leftAla = st(294), rightCorner = st(61), leftCorner = st(291)
        let lowerLip = st(17).y, chin = st(152).y, top = st(10).y
        let rightSide = st(234).x, leftSide = st(454).x
        let rightOuter = st(33).x, rightInner = st(133).x, leftInner = st(362).x, leftOuter = st(263).x
        func box(_ s0: Double, _ t0: Double, _ s1: Double, _ t1: Double) -> [Point] {
            [Point(s0, t0), Point(s1, t0), Point(s1, t1), Point(s0, t1)]
        }
        let local: [String: [Point]] = [
            "forehead": box(rightOuter - 0.25, top - 0.3, leftOuter + 0.25, browTop - 0.06),
            "glabella": box(-0.22, browTop - 0.06, 0.22, nasion),
            "right_crows_feet": box(rightOuter - 0.5, -0.2, rightOuter - 0.06, 0.3),
            "left_crows_feet": box(leftOuter + 0.06, -0.2, leftOuter + 0.5, 0.3),
            "right_under_eye": box(rightOuter, rightLid + 0.04, rightInner, rightLid + 0.35),
            "left_under_eye": box(leftInner, leftLid + 0.04, leftOuter, leftLid + 0.35),
            "nose": [Point(-0.15, nasion), Point(0.15, nasion), Point(leftAla.x + 0.02, leftAla.y), Point(0, subnasale), Point(rightAla.x - 0.02, rightAla.y)],
            "right_nasolabial": [
                Point(rightAla.x - 0.02, rightAla.y - 0.05), Point(rightAla.x - 0.27, rightAla.y - 0.05),
                Point(rightCorner.x - 0.22, rightCorner.y + 0.08), Point(rightCorner.x - 0.02, rightCorner.y + 0.08),
            ],
            "left_nasolabial": [
                Point(leftAla.x + 0.02, leftAla.y - 0.05), Point(leftCorner.x + 0.02, leftCorner.y + 0.08),
                Point(leftCorner.x + 0.22, leftCorner.y + 0.08), Point(leftAla.x + 0.27, leftAla.y - 0.05),
            ],
            "perioral": box(rightCorner.x - 0.12, subnasale, leftCorner.x + 0.12, lowerLip + 0.12),
            "chin": box(rightCorner.x - 0.2, lowerLip + 0.12, leftCorner.x + 0.2, chin + 0.1),
            "right_cheek": box(rightSide - 0.1, 0.3, rightAla.x - 0.04, rightCorner.y + 0.1),
            "left_cheek": box(leftAla.x + 0.04, 0.3, leftSide + 0.1, leftCorner.y + 0.1),
        ]
        zones = Self.zoneNames.map { name in Part(name: name, polygon: local[name]!.map(frame.image)) }
    }

    /// The convex hull of `points` grown outward by `margin`: the Minkowski sum with a 16-gon
    /// circumscribing the disc of that radius (so every point within `margin` of the hull is inside).
    static func convexHull(_ points: [Point], margin: Double) -> [Point] {
        guard margin > 0 else { return convexHull(points) }
        let sides = 16, radius = margin / cos(Double.pi / Double(sides))
        let disc = (0..<sides).map { k in
            let angle = 2 * Double.pi * Double(k) / Double(sides)
            return Point(cos(angle), sin(angle)) * radius
        }
        return convexHull(points.flatMap { point in disc.map { point + $0 } })
    }

    /// Convex hull (Andrew's monotone chain), counter-clockwise.
    static func convexHull(_ points: [Point]) -> [Point] {
        let sorted = points.sorted { $0.x != $1.x ? $0.x < $1.x : $0.y < $1.y }
        guard sorted.count > 2 else { return sorted }
        func cross(_ o: Point, _ a: Point, _ b: Point) -> Double { (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x) }
        var lower: [Point] = [], upper: [Point] = []
        for p in sorted {
            while lower.count >= 2, cross(lower[lower.count - 2], lower[lower.count - 1], p) <= 0 { lower.removeLast() }
            lower.append(p)
        }
        for p in sorted.reversed() {
            while upper.count >= 2, cross(upper[upper.count - 2], upper[upper.count - 1], p) <= 0 { upper.removeLast() }
            upper.append(p)
        }
        return Array(lower.dropLast() + upper.dropLast())
    }

    /// The zones' bounding boxes in input pixels, as the measurer's regions (zone `k` is label `k + 1`).
    func regions() -> [NamedRegion] {
        zones.enumerated().map { index, zone in
            let xs = zone.polygon.map(\.x), ys = zone.polygon.map(\.y)
            let x0 = Int(xs.min()!.rounded(.down)), y0 = Int(ys.min()!.rounded(.down))
            let x1 = Int(xs.max()!.rounded(.up)), y1 = Int(ys.max()!.rounded(.up))
            return NamedRegion(name: zone.name, rect: PixelRect(x: x0, y: y0, width: x1 - x0, height: y1 - y0), zone: UInt8(index + 1))
        }
    }

    /// Even-odd test of a point against a polygon.
    public static func contains(_ polygon: [Point], _ point: Point) -> Bool {
        var inside = false
        var j = polygon.count - 1
        for i in polygon.indices {
            let a = polygon[i], b = polygon[j]
            if (a.y > point.y) != (b.y > point.y), point.x < (b.x - a.x) * (point.y - a.y) / (b.y - a.y) + a.x { inside.toggle() }
            j = i
        }
        return inside
    }

    /// The zone a point of the photo belongs to (the first in `zonePriority` whose polygon holds
    /// it), or nil outside the oval, inside an excluded part or outside every zone.
    public func zone(at point: Point) -> String? {
        guard Self.contains(oval, point), !exclusions.contains(where: { Self.contains($0.polygon, point) }) else { return nil }
        return Self.zonePriority.first { name in zones.first { $0.name == name }.map { Self.contains($0.polygon, point) } ?? false }
    }

    /// The zones and excluded parts for the response, rounded to 0.1 px.
    var reported: [FaceZone] {
        func rounded(_ polygon: [Point]) -> [[Double]] { polygon.map { [($0.x * 10).rounded() / 10, ($0.y * 10).rounded() / 10] } }
        return [FaceZone(name: "oval", kind: "oval", polygon: rounded(oval))]
            + exclusions.map { FaceZone(name: $0.name, kind: "excluded", polygon: rounded($0.polygon)) }
            + zones.map { FaceZone(name: $0.name, kind: "zone", polygon: rounded($0.polygon)) }
    }
}

/// The eye-aligned frame of a face: origin between the eye centres, unit the inter-ocular distance.
struct FaceFrame: Sendable, Equatable {
    let origin: FaceGeometry.Point
    /// Unit vector along the eye line (image right) and perpendicular to it (image down).
    let along: FaceGeometry.Point, across: FaceGeometry.Point
    /// Inter-ocular distance in input pixels.
    let interOcular: Double

    init(rightEye: FaceGeometry.Point, leftEye: FaceGeometry.Point) {
        let line = leftEye - rightEye
        interOcular = max(1e-6, (line * line).sum().squareRoot())
        along = line / interOcular
        across = FaceGeometry.Point(-along.y, along.x)
        origin = (rightEye + leftEye) / 2
    }

    /// The frame of a face mesh's 468 points (input pixels): each eye's centre the mean of its
    /// corners (33 and 133 right, 362 and 263 left).
    init(mesh points: [FaceGeometry.Point]) {
        self.init(rightEye: (points[33] + points[133]) / 2, leftEye: (points[362] + points[263]) / 2)
    }

    /// Input pixels → frame coordinates (s, t).
    func local(_ point: FaceGeometry.Point) -> FaceGeometry.Point {
        let offset = point - origin
        return FaceGeometry.Point((offset * along).sum(), (offset * across).sum()) / interOcular
    }

    /// Frame coordinates → input pixels.
    func image(_ point: FaceGeometry.Point) -> FaceGeometry.Point {
        origin + (along * point.x + across * point.y) * interOcular
    }

    /// Angle of the eye line against the image's horizontal, in degrees (positive: clockwise on screen).
    var rollDegrees: Double { atan2(along.y, along.x) * 180 / .pi }
}
