import Foundation
import LetheAPI

/// A person-readable rendering of an analysis result.
struct ResultTable {
    let text: String

    init(_ response: AnalysisResponse) {
        let measures = response.measures
        let tone = measures.skinTone
        func number(_ value: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", value) }
        let rows: [(String, String)] = [
            ("Skin tone", "L* \(number(tone.lStar))  a* \(number(tone.aStar))  b* \(number(tone.bStar))  (CIELAB, D65)"),
            ("ITA°", "\(number(tone.itaDegrees))°  \(tone.category.replacingOccurrences(of: "_", with: " "))"),
            ("Redness", "mean a* \(number(measures.redness.meanAStar))  erythema index \(number(measures.redness.erythemaIndex))"),
            ("Skin area", "\(number(measures.skinPixelFraction * 100))% of the photo (\(measures.skinPixelCount) pixels)"),
            ("Quality", "mean luma \(number(measures.quality.meanLuma))  sharpness (Laplacian variance) \(number(measures.quality.laplacianVariance, 0))"),
        ]
        let width = rows.map(\.0.count).max() ?? 0
        let header = "Lethe \(response.kind) analysis — \(response.image.width)×\(response.image.height) \(response.image.format), request \(response.requestID)"
        text = ([header] + rows.map { "  " + $0.0.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + $0.1 }).joined(separator: "\n")
    }
}
