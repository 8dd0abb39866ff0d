import Foundation
import LetheAnalysis
import LetheEnvelope
import LetheMemory

/// What the decrypted inner request asks for, after routing and query parsing (no photo bytes).
struct InnerRoute: Equatable {
    let kind: AnalysisKind
    /// `profile=NAME`: a device profile from the profiles directory.
    let profile: String?
    /// `mm_per_pixel=…`: the device's scale, overriding the profile's.
    let millimetresPerPixel: Double?
    /// `simulate=…` and its strength and output options; nil without `simulate`.
    let simulation: SimulationRequest?
    /// `landmarks=true` (face only): report the 468 face-mesh points.
    let landmarks: Bool

    /// Routes `POST /v1/analyses?kind=…&profile=…&mm_per_pixel=…&simulate=…`; `kind` defaults to `skin`.
    init(_ head: BinaryHTTPRequestHead, simulationLimits: SimulationLimits = SimulationLimits()) throws(LetheError) {
        let parts = head.path.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let path = String(parts.first ?? "")
        guard path == "/v1/analyses" else { throw .notFound }
        guard head.method == "POST" else { throw .methodNotAllowed(head.method) }
        var kindText = AnalysisKind.skin.rawValue
        var profile: String?
        var scaleText: String?
        var landmarksText: String?
        var simulationPairs: [(name: String, value: String)] = []
        if parts.count == 2 {
            for pair in parts[1].split(separator: "&") {
                let keyValue = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                let value = keyValue.count == 2 ? String(keyValue[1]).removingPercentEncodingOrSelf : ""
                switch keyValue.first {
                case "kind": kindText = value
                case "profile": profile = value
                case "mm_per_pixel": scaleText = value
                case "landmarks": landmarksText = value
                case let name? where SimulationQuery.isParameter(String(name)):
                    simulationPairs.append((String(name), value))
                default: break
                }
            }
        }
        guard let kind = AnalysisKind(rawValue: kindText) else {
            throw .unknownKind(kindText, supported: AnalysisKind.allCases.map(\.rawValue))
        }
        var scale: Double?
        if let scaleText {
            guard let value = Double(scaleText), value.isFinite, value > 0, value <= 10 else {
                throw .invalidParameter("mm_per_pixel", "must be a number of millimetres per pixel in (0, 10]")
            }
            scale = value
        }
        switch landmarksText {
        case nil, "false": landmarks = false
        case "true":
            guard kind == .face else { throw .invalidParameter("landmarks", "is only for kind=face") }
            landmarks = true
        default: throw .invalidParameter("landmarks", "must be true or false")
        }
        self.kind = kind
        self.profile = profile
        self.millimetresPerPixel = scale
        simulation = try SimulationQuery.parse(simulationPairs, kind: kind, limits: simulationLimits)
    }
}

extension String {
    var removingPercentEncodingOrSelf: String { removingPercentEncoding ?? self }
}
