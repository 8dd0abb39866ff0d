import Foundation
import LetheMemory
import Synchronization

/// The trained models the analyses load from `Config/models` at start: the frontal-face Haar
/// cascade and MediaPipe's face-mesh landmark model. Loaded once per directory and shared (read-only) by every request.
public final class AnalysisModels: Sendable {
    /// File name of the face cascade inside the models directory.
    public static let faceCascadeFileName = "haarcascade_frontalface_default.xml"

    public let faceDetector: FaceDetector
    /// The 468-point face mesh, run on a detected face box.
    public let faceLandmarker: FaceLandmarker

    init(faceDetector: FaceDetector, faceLandmarker: FaceLandmarker) {
        self.faceDetector = faceDetector
        self.faceLandmarker = faceLandmarker
    }

    private static let cache = Mutex<[String: AnalysisModels]>([:])

    /// Loads (or returns the already loaded) models of `directory`.
    /// - Throws: `model_unreadable` when a model file is missing or malformed, `model_unsupported`
    ///   when the landmark model uses an operator the interpreter does not evaluate.
    public static func load(directory: String, detector configuration: FaceDetectorConfiguration = FaceDetectorConfiguration()) throws(LetheError) -> AnalysisModels {
        let key = URL(fileURLWithPath: directory).standardizedFileURL.path
        if let cached = cache.withLock({ $0[key] }), cached.faceDetector.configuration == configuration { return cached }
        let cascade = try HaarCascade.load(contentsOf: URL(fileURLWithPath: key).appendingPathComponent(faceCascadeFileName))
        let landmarker = try FaceLandmarker.load(contentsOf: URL(fileURLWithPath: key).appendingPathComponent(FaceLandmarker.modelFileName))
        let models = AnalysisModels(faceDetector: FaceDetector(cascade: cascade, configuration: configuration), faceLandmarker: landmarker)
        cache.withLock { $0[key] = models }
        return models
    }
}
