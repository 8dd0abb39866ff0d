import LetheAPI
/// Regions of a face as fractions of the detector's box (x, y, width, height), from the typical
/// geometry of OpenCV frontal-face boxes (checked on the fixture portrait): eyebrows at ≈ 0.29
/// of the box height, eyes at ≈ 0.39, mouth at ≈ 0.82, chin at ≈ 1.1; the box spans roughly
/// temple to temple. Left and right are the subject's: the subject's left
/// cheek is on the right of a frontal photo.
public enum FaceRegions {
    public static let layout: [(name: String, x: Double, y: Double, width: Double, height: Double)] = [
        ("forehead", 0.22, 0.02, 0.56, 0.23),
        ("right_under_eye", 0.18, 0.45, 0.24, 0.09),
        ("left_under_eye", 0.58, 0.45, 0.24, 0.09),
        ("right_cheek", 0.13, 0.56, 0.24, 0.22),
        ("left_cheek", 0.63, 0.56, 0.24, 0.22),
        ("nose", 0.41, 0.40, 0.18, 0.30),
        ("chin", 0.36, 0.89, 0.28, 0.14),
    ]

    /// The named regions, in input pixels.
    static func regions(for face: PixelRect) -> [NamedRegion] {
        let w = Double(face.width), h = Double(face.height)
        return layout.map { part in
            NamedRegion(name: part.name, rect: PixelRect(
                x: face.x + Int((part.x * w).rounded()), y: face.y + Int((part.y * h).rounded()),
                width: Int((part.width * w).rounded()), height: Int((part.height * h).rounded())))
        }
    }
}
