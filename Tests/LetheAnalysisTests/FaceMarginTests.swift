import Foundation
import LetheAPI
@testable import LetheAnalysis
import LetheMemory
import LetheTestSupport
import Testing

/// The skin mask keeps a margin in millimetres from the eyes, lips and nostrils (issue 16,
/// redness repeatability): their edges — lid margins, the lip line, the alar rims — are redder
/// than skin, and a mask drawn at the mesh's outline took them in or left them out as the
/// landmarks moved by a pixel.
@Suite("Face margin from the eyes, lips and nostrils")
struct FaceMarginTests {
    /// Distance from `point` to a closed polygon's outline, 0 inside it.
    static func distance(_ point: FaceGeometry.Point, to polygon: [FaceGeometry.Point]) -> Double {
        if FaceGeometry.contains(polygon, point) { return 0 }
        var nearest = Double.infinity
        for i in polygon.indices {
            let a = polygon[i], b = polygon[(i + 1) % polygon.count]
            let edge = b - a, length = (edge * edge).sum()
            let t = length > 0 ? min(1, max(0, ((point - a) * edge).sum() / length)) : 0
            let offset = point - (a + edge * t)
            nearest = min(nearest, (offset * offset).sum().squareRoot())
        }
        return nearest
    }

    @Test("on the portrait's mesh, no zone point lies within 3 mm of an eye's, the lips' or the nostrils' mesh outline")
    func zonesKeepTheMargin() throws {
        let arena = PlaintextArena()
        defer { _ = arena.wipeAll() }
        let image = try SyntheticImages.decodeFixture("astronaut.png", arena: arena)
        let (_, face, geometry) = try FaceAnalyzer.analyze(
            image, models: try FaceAnalysisTests.models(), configuration: .init(), reportLandmarks: true, arena: arena)
        let landmarks = try #require(face.landmarks).map { FaceGeometry.Point($0[0], $0[1]) }
        // The face's millimetres from its mesh, as the margin is drawn: 63 mm between the eyes.
        let pixelsPerMillimetre = geometry.interOcularPixels / EvennessBand.interOcularMillimetres
        let margin = FaceGeometry.marginMillimetres * pixelsPerMillimetre
        #expect(FaceGeometry.marginMillimetres == 3)
        // The astronaut's face is small (42 px between the eyes): the margin is 2.0 pixels; without
        // it the zones come within 0.5 px of the lips' mesh outline, 0.4 px of the nostrils' and
        // 1.7 px of the eyes' (the growth about a centroid adds little across a thin part).
        #expect(margin > 1.5, "margin \(margin) px")
        let parts: [(name: String, indices: [Int])] = [
            ("right eye", FaceGeometry.rightEyeIndices), ("left eye", FaceGeometry.leftEyeIndices),
            ("lips", FaceGeometry.lipsIndices), ("nostrils", FaceGeometry.nostrilIndices),
        ]
        for part in parts {
            let outline = part.indices.map { landmarks[$0] }
            let outlineForDistance = part.name == "nostrils" ? FaceGeometry.convexHull(outline) : outline
            let xs = outline.map(\.x), ys = outline.map(\.y)
            var nearest = Double.infinity, zonePoints = 0
            // Every quarter pixel of the part's box widened by twice the margin.
            var y = ys.min()! - 2 * margin
            while y <= ys.max()! + 2 * margin {
                var x = xs.min()! - 2 * margin
                while x <= xs.max()! + 2 * margin {
                    let point = FaceGeometry.Point(x, y)
                    if geometry.zone(at: point) != nil {
                        zonePoints += 1
                        nearest = min(nearest, Self.distance(point, to: outlineForDistance))
                    }
                    x += 0.25
                }
                y += 0.25
            }
            #expect(zonePoints > 0, "\(part.name): zone skin around it")
            // The 16-gon circumscribes the margin's disc: nothing nearer than the margin itself.
            #expect(nearest >= margin - 1e-9, "\(part.name): nearest zone point \(nearest) px (\(nearest / pixelsPerMillimetre) mm) from the outline")
        }
    }

    @Test("a convex hull widened by a margin holds every point within the margin and none much beyond")
    func widenedHull() {
        let square = [FaceGeometry.Point(0, 0), FaceGeometry.Point(10, 0), FaceGeometry.Point(10, 10), FaceGeometry.Point(0, 10)]
        let widened = FaceGeometry.convexHull(square, margin: 2)
        for angle in stride(from: 0.0, to: 2 * Double.pi, by: Double.pi / 50) {
            // Round every corner and along every side: 1.999 from the square is inside, 2.2 is not.
            for corner in square {
                let direction = FaceGeometry.Point(cos(angle), sin(angle))
                let near = corner + direction * 1.999, far = corner + direction * 2.2
                if Self.distance(near, to: square) >= 1.99 { #expect(FaceGeometry.contains(widened, near), "\(near)") }
                if Self.distance(far, to: square) >= 2.19 { #expect(!FaceGeometry.contains(widened, far), "\(far)") }
            }
        }
        #expect(FaceGeometry.convexHull(square, margin: 0).count == 4)
    }
}
