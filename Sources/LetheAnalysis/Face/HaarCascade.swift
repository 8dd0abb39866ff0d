import Foundation
import LetheMemory

/// A boosted cascade of Haar-like stump classifiers in OpenCV's "new" XML format
/// (`opencv-cascade-classifier`, `stageType BOOST`, `featureType HAAR`), as shipped by Debian's
/// `opencv-data`. Viola & Jones 2001 (CVPR, "Rapid object detection using a boosted cascade of
/// simple features"); extended features by Lienhart & Maydt 2002 (ICIP).
public struct HaarCascade: Sendable {
    /// One weighted rectangle of a feature, in window coordinates.
    struct Rectangle: Sendable {
        var x: Int32, y: Int32, width: Int32, height: Int32
        var weight: Float
    }

    /// A Haar-like feature: two or three weighted rectangles.
    struct Feature: Sendable {
        var rectangles: [Rectangle]
    }

    /// A depth-1 tree: `feature < threshold · σ-normalisation ? left : right`.
    struct Stump: Sendable {
        var featureIndex: Int
        var threshold: Float
        var leftValue: Float
        var rightValue: Float
    }

    /// A stage passes when the sum of its stumps' values reaches `threshold`.
    struct Stage: Sendable {
        var threshold: Float
        var stumps: [Stump]
    }

    /// Detector window width in pixels (24 for the frontal-face cascades).
    public let windowWidth: Int
    /// Detector window height in pixels.
    public let windowHeight: Int
    let stages: [Stage]
    let features: [Feature]

    /// Number of stages (25 for `haarcascade_frontalface_default.xml`).
    public var stageCount: Int { stages.count }
    /// Number of weak classifiers over all stages.
    public var classifierCount: Int { stages.reduce(0) { $0 + $1.stumps.count } }

    /// Reads a cascade file.
    /// - Throws: `model_unreadable` when the file is missing or not a supported cascade.
    public static func load(contentsOf url: URL) throws(LetheError) -> HaarCascade {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw .modelUnreadable("cannot read the face model \(url.path)")
        }
        return try parse(data)
    }

    /// Parses the XML text of a cascade.
    public static func parse(_ data: Data) throws(LetheError) -> HaarCascade {
        func fail(_ why: String) -> LetheError {
            .modelUnreadable("face model: \(why)")
        }
        guard let root = MiniXML.parse(data), let cascade = root.child("opencv_storage")?.child("cascade") ?? root.child("cascade") else {
            throw fail("not an OpenCV cascade XML file")
        }
        guard cascade.child("stageType")?.text == "BOOST", cascade.child("featureType")?.text == "HAAR" else {
            throw fail("only BOOST/HAAR cascades are supported")
        }
        guard let width = cascade.child("width")?.text.flatMap({ Int($0) }),
            let height = cascade.child("height")?.text.flatMap({ Int($0) }), width > 2, height > 2
        else { throw fail("missing window size") }

        var features: [Feature] = []
        for node in cascade.child("features")?.children ?? [] {
            if let tilted = node.child("tilted")?.text, tilted != "0" { throw fail("tilted features are not supported") }
            var rectangles: [Rectangle] = []
            for rect in node.child("rects")?.children ?? [] {
                let numbers = MiniXML.numbers(rect.text)
                guard numbers.count == 5 else { throw fail("malformed feature rectangle") }
                let r = Rectangle(
                    x: Int32(numbers[0]), y: Int32(numbers[1]), width: Int32(numbers[2]), height: Int32(numbers[3]),
                    weight: Float(numbers[4]))
                guard r.x >= 0, r.y >= 0, r.width > 0, r.height > 0, Int(r.x + r.width) <= width, Int(r.y + r.height) <= height else {
                    throw fail("feature rectangle outside the window")
                }
                rectangles.append(r)
            }
            guard (2...3).contains(rectangles.count) else { throw fail("a feature needs 2 or 3 rectangles") }
            features.append(Feature(rectangles: rectangles))
        }

        var stages: [Stage] = []
        for node in cascade.child("stages")?.children ?? [] {
            guard let threshold = node.child("stageThreshold")?.text.flatMap({ Float($0) }) else { throw fail("stage without threshold") }
            var stumps: [Stump] = []
            for weak in node.child("weakClassifiers")?.children ?? [] {
                let nodes = MiniXML.numbers(weak.child("internalNodes")?.text)
                let leaves = MiniXML.numbers(weak.child("leafValues")?.text)
                // Stumps only: "left right featureIndex threshold" with left = right = leaf markers.
                guard nodes.count == 4, leaves.count == 2 else { throw fail("only stump (depth-1) classifiers are supported") }
                let featureIndex = Int(nodes[2])
                guard features.indices.contains(featureIndex) else { throw fail("classifier names feature \(featureIndex), which does not exist") }
                stumps.append(Stump(featureIndex: featureIndex, threshold: Float(nodes[3]), leftValue: Float(leaves[0]), rightValue: Float(leaves[1])))
            }
            guard !stumps.isEmpty else { throw fail("empty stage") }
            stages.append(Stage(threshold: threshold, stumps: stumps))
        }
        guard !stages.isEmpty else { throw fail("no stages") }
        return HaarCascade(windowWidth: width, windowHeight: height, stages: stages, features: features)
    }
}
