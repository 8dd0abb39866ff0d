import Foundation
import LetheMemory
import Synchronization

/// The trained models the analyses load from `Config/models` at start: today the frontal-face
/// Haar cascade. Loaded once per directory and shared (read-only) by every request.
public final class AnalysisModels: Sendable {
    /// File name of the face cascade inside the models directory.
    public static let faceCascadeFileName = "haarcascade_frontalface_default.xml"

    public let faceDetector: FaceDetector

    init(faceDetector: FaceDetector) {
        self.faceDetector = faceDetector
    }

    private static let cache = Mutex<[String: AnalysisModels]>([:])

    /// Loads (or returns the already loaded) models of `directory`.
    /// - Throws: `model_unreadable` when a model file is missing or malformed.
    public static func load(directory: String, detector configuration: FaceDetectorConfiguration = FaceDetectorConfiguration()) throws(LetheError) -> AnalysisModels {
        let key = URL(fileURLWithPath: directory).standardizedFileURL.path
        if let cached = cache.withLock({ $0[key] }), cached.faceDetector.configuration == configuration { return cached }
        let cascade = try HaarCascade.load(contentsOf: URL(fileURLWithPath: key).appendingPathComponent(faceCascadeFileName))
        let models = AnalysisModels(faceDetector: FaceDetector(cascade: cascade, configuration: configuration))
        cache.withLock { $0[key] = models }
        return models
    }
}
