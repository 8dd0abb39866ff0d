/// Head pose estimated from the face mesh, in degrees (see docs/analysis/face.md for the model
/// and its limits). Yaw: positive when the nose points to the image right; pitch: positive when
/// the face turns down; roll: positive when the eye line turns clockwise on screen.
public struct FacePose: Sendable, Codable, Equatable {
    public var yawDegrees: Double
    public var pitchDegrees: Double
    public var rollDegrees: Double

    public init(yawDegrees: Double, pitchDegrees: Double, rollDegrees: Double) {
        self.yawDegrees = yawDegrees
        self.pitchDegrees = pitchDegrees
        self.rollDegrees = rollDegrees
    }

    enum CodingKeys: String, CodingKey {
        case yawDegrees = "yaw_degrees", pitchDegrees = "pitch_degrees", rollDegrees = "roll_degrees"
    }
}

/// A polygon of the face in input pixels: the oval, an excluded part (eyes, brows, lips,
/// nostrils) or a measured zone (the names of `FaceAnalysisResult.regions`).
public struct FaceZone: Sendable, Codable, Equatable {
    public var name: String
    /// `oval`, `excluded` or `zone`.
    public var kind: String
    /// [x, y] vertices in input pixels, to 0.1 px.
    public var polygon: [[Double]]

    public init(name: String, kind: String, polygon: [[Double]]) {
        self.name = name
        self.kind = kind
        self.polygon = polygon
    }
}
