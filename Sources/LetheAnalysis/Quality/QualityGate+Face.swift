import LetheAPI
import LetheImaging
import LetheMemory

extension QualityGate {
    /// `kind=face`, once the frame is measured and the detector has run: the checks that belong to
    /// the frame, in the gate's order. Resolution was checked by `measureFrame`; a photo without
    /// colour is refused whether or not it shows a face (`image_greyscale`); the grey-world
    /// colour cast is the frame's (a face alone is not grey); the frame's exposure and focus decide
    /// only when no face was found — a black or wholly blurred photo is refused for that, not as
    /// `face_not_found`. With a face, the face's own figures decide (`measureRegion`).
    /// - Returns: the detection, when every frame check passed.
    static func checkFrameForFace(
        _ frame: FrameQuality, located: Result<FaceDetection, LetheError>, configuration: SkinAnalysisConfiguration,
        checkColourCast: Bool
    ) throws(LetheError) -> FaceDetection {
        let noFace: Bool
        if case .failure(let error) = located, error.code == .faceNotFound { noFace = true } else { noFace = false }
        try frame.checkCompression(configuration)
        if noFace { try frame.figures.checkExposure(configuration) }
        try frame.checkColour(configuration)
        if checkColourCast { try frame.checkColourCast(configuration) }
        if noFace { try frame.figures.checkFocus(configuration) }
        return try located.get()
    }
}
