import Foundation
import LetheMemory

extension DeviceProfile {
    /// A neutral patch of known colour that the device shows in every photo (a grey card in a
    /// booth, the grey ring of a dermatoscope's spacer): where it lies and what colour it is.
    ///
    /// ```json
    /// "grey_reference": {"region": {"x": 0.9, "y": 0.0, "width": 0.1, "height": 0.1}, "l_star": 50, "a_star": 0, "b_star": 0}
    /// ```
    public struct GreyReference: Sendable, Codable, Equatable {
        /// The patch as fractions (0–1) of the photo's width and height, so that one profile fits
        /// every resolution the device takes.
        public var region: FrameRegion
        /// The patch's CIELAB (D65) as its maker states it; a* and b* default to 0.
        public var lStar: Double
        public var aStar: Double
        public var bStar: Double

        enum CodingKeys: String, CodingKey {
            case region, lStar = "l_star", aStar = "a_star", bStar = "b_star"
        }

        public init(region: FrameRegion, lStar: Double, aStar: Double = 0, bStar: Double = 0) {
            self.region = region
            self.lStar = lStar
            self.aStar = aStar
            self.bStar = bStar
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            region = try container.decode(FrameRegion.self, forKey: .region)
            lStar = try container.decode(Double.self, forKey: .lStar)
            aStar = try container.decodeIfPresent(Double.self, forKey: .aStar) ?? 0
            bStar = try container.decodeIfPresent(Double.self, forKey: .bStar) ?? 0
        }
    }

    /// A rectangle in fractions of the photo's width and height (origin top left).
    public struct FrameRegion: Sendable, Codable, Equatable {
        public var x: Double, y: Double, width: Double, height: Double

        public init(x: Double, y: Double, width: Double, height: Double) {
            self.x = x
            self.y = y
            self.width = width
            self.height = height
        }

        /// The input pixels the region covers in a `imageWidth × imageHeight` photo.
        func pixelRect(imageWidth: Int, imageHeight: Int) -> (x0: Int, y0: Int, x1: Int, y1: Int) {
            let x0 = Int((x * Double(imageWidth)).rounded()), y0 = Int((y * Double(imageHeight)).rounded())
            let x1 = Int(((x + width) * Double(imageWidth)).rounded()), y1 = Int(((y + height) * Double(imageHeight)).rounded())
            return (max(0, x0), max(0, y0), min(imageWidth, x1), min(imageHeight, y1))
        }
    }

    /// Bounds a colour-correction matrix must keep. A correction fitted to a chart under the
    /// device's own light stays well inside them (entries within ±3, white mapped to gains near 1);
    /// outside them the matrix is a typo or amplifies noise more than it corrects colour.
    public enum ColourMatrixLimits {
        /// Largest magnitude of one entry.
        public static let maximumEntry = 4.0
        /// Each row sum — the gain the matrix gives white on that channel — within these.
        public static let rowSumRange = 0.25...4.0
        /// Smallest |determinant|: below it the matrix folds colours onto each other.
        public static let minimumDeterminant = 1e-3
        /// Largest condition number ‖M‖∞·‖M⁻¹‖∞: above it a code step of noise becomes a colour.
        public static let maximumConditionNumber = 100.0
    }

    /// Bounds of a grey reference: a patch large enough to average, inside the frame, neither
    /// near black (noise) nor near white (clipping), and neutral.
    public enum GreyReferenceLimits {
        /// Smallest width and height as a fraction of the frame's.
        public static let minimumSideFraction = 0.01
        public static let lStarRange = 20.0...95.0
        /// Largest |a*| and |b*| of a patch called neutral.
        public static let maximumChroma = 5.0
    }

    /// Checks the colour fields: the matrix is 3×3, finite, bounded and invertible; the grey
    /// reference lies inside the frame and is a neutral of usable lightness.
    /// - Throws: `profile_colour_matrix_shape`, `profile_colour_matrix_not_finite`,
    ///   `profile_colour_matrix_out_of_bounds`, `profile_colour_matrix_singular`,
    ///   `profile_grey_reference_region`, `profile_grey_reference_colour`.
    public func validateColour() throws(LetheError) {
        if let rows = colourCorrectionMatrix { try Self.validate(matrix: rows, profile: name) }
        if let greyReference { try Self.validate(greyReference, profile: name) }
    }

    static func validate(matrix rows: [[Double]], profile: String) throws(LetheError) {
        guard rows.count == 3, rows.allSatisfy({ $0.count == 3 }) else {
            throw LetheError(.profileColourMatrixShape, "device profile \(profile): colour_correction_matrix must be three rows of three numbers, not \(rows.map(\.count))")
        }
        let entries = rows.flatMap { $0 }
        guard entries.allSatisfy(\.isFinite) else {
            throw LetheError(.profileColourMatrixNotFinite, "device profile \(profile): colour_correction_matrix has an entry that is not a finite number")
        }
        let limits = ColourMatrixLimits.self
        if let entry = entries.first(where: { abs($0) > limits.maximumEntry }) {
            throw LetheError(.profileColourMatrixOutOfBounds, "device profile \(profile): colour_correction_matrix entry \(entry) is beyond ±\(limits.maximumEntry)")
        }
        for (index, row) in rows.enumerated() where !limits.rowSumRange.contains(row.reduce(0, +)) {
            throw LetheError(
                .profileColourMatrixOutOfBounds,
                "device profile \(profile): colour_correction_matrix row \(index + 1) sums to \(row.reduce(0, +)) (the gain on white), outside \(limits.rowSumRange.lowerBound)–\(limits.rowSumRange.upperBound)")
        }
        let matrix = ColourMatrix(rows: rows)
        let determinant = matrix.determinant
        guard abs(determinant) >= limits.minimumDeterminant, let inverse = matrix.inverse else {
            throw LetheError(.profileColourMatrixSingular, "device profile \(profile): colour_correction_matrix has determinant \(determinant): it is not invertible")
        }
        let condition = matrix.infinityNorm * inverse.infinityNorm
        guard condition <= limits.maximumConditionNumber else {
            throw LetheError(
                .profileColourMatrixSingular,
                "device profile \(profile): colour_correction_matrix has condition number \(LetheError.oneDecimal(condition)), above \(limits.maximumConditionNumber): nearly singular")
        }
    }

    static func validate(_ grey: GreyReference, profile: String) throws(LetheError) {
        let region = grey.region, limits = GreyReferenceLimits.self
        let inside = [region.x, region.y, region.width, region.height].allSatisfy(\.isFinite)
            && region.x >= 0 && region.y >= 0 && region.x + region.width <= 1 && region.y + region.height <= 1
            && region.width >= limits.minimumSideFraction && region.height >= limits.minimumSideFraction
        guard inside else {
            throw LetheError(
                .profileGreyReferenceRegion,
                "device profile \(profile): grey_reference region (x \(region.x), y \(region.y), width \(region.width), height \(region.height)) must lie inside the frame (fractions 0–1) and be at least \(limits.minimumSideFraction) of it on each side")
        }
        let neutral = [grey.lStar, grey.aStar, grey.bStar].allSatisfy(\.isFinite)
            && limits.lStarRange.contains(grey.lStar) && abs(grey.aStar) <= limits.maximumChroma && abs(grey.bStar) <= limits.maximumChroma
        guard neutral else {
            throw LetheError(
                .profileGreyReferenceColour,
                "device profile \(profile): grey_reference L*a*b* (\(grey.lStar), \(grey.aStar), \(grey.bStar)) must be a neutral with L* \(limits.lStarRange.lowerBound)–\(limits.lStarRange.upperBound) and |a*|, |b*| ≤ \(limits.maximumChroma)")
        }
    }
}
