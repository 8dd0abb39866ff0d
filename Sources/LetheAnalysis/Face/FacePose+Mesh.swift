import Foundation
import LetheAPI
import LetheMemory

extension FacePose {
    /// The largest pose the zones are drawn for; a face turned further is refused.
    public struct Limits: Sendable, Equatable, Codable {
        public var maxYawDegrees: Double
        public var maxPitchDegrees: Double
        public var maxRollDegrees: Double

        public init(maxYawDegrees: Double = 15, maxPitchDegrees: Double = 20, maxRollDegrees: Double = 15) {
            self.maxYawDegrees = maxYawDegrees
            self.maxPitchDegrees = maxPitchDegrees
            self.maxRollDegrees = maxRollDegrees
        }
    }

    /// Nose-tip projection in front of the eye–mouth plane, in inter-ocular distances: about
    /// 2.8 cm for 6.2 cm between the eye centres (adult anthropometry, Farkas 1994).
    static let noseProjection = 0.45
    /// Nose tip's share of the way from the eye line to the mouth line in a frontal view
    /// (mesh point 1, the base of the lobule: 0.75 on the fixture portrait, taken as frontal).
    static let frontalNoseHeight = 0.75

    /// Yaw and pitch from how far the nose tip (which stands `noseProjection` in front of the
    /// eyes and mouth) is displaced from its frontal place in the eye-aligned frame: a turn by φ
    /// moves it by `noseProjection · tan φ` inter-ocular distances (the distances between the
    /// eyes and between eyes and mouth shrink by cos φ with it). Roll is the eye line's angle.
    init(frame: FaceFrame, noseTip: FaceGeometry.Point, mouth: FaceGeometry.Point) {
        let degrees = 180 / Double.pi
        let yaw = atan(noseTip.x / Self.noseProjection) * degrees
        let frontalHeight = Self.frontalNoseHeight * mouth.y
        let pitch = atan((noseTip.y - frontalHeight) / Self.noseProjection) * degrees
        self.init(yawDegrees: (yaw * 10).rounded() / 10, pitchDegrees: (pitch * 10).rounded() / 10, rollDegrees: (frame.rollDegrees * 10).rounded() / 10)
    }

    /// - Throws: `face_yaw_out_of_range`, `face_pitch_out_of_range`, `face_roll_out_of_range`.
    func check(_ limits: Limits) throws(LetheError) {
        if abs(rollDegrees) > limits.maxRollDegrees { throw .facePose(.faceRollOutOfRange, "roll", rollDegrees, limits.maxRollDegrees) }
        if abs(yawDegrees) > limits.maxYawDegrees { throw .facePose(.faceYawOutOfRange, "yaw", yawDegrees, limits.maxYawDegrees) }
        if abs(pitchDegrees) > limits.maxPitchDegrees { throw .facePose(.facePitchOutOfRange, "pitch", pitchDegrees, limits.maxPitchDegrees) }
    }
}
