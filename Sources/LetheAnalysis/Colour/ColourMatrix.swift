import Foundation

/// A 3×3 matrix on linear-light RGB triples (row-major), as colour corrections use them.
struct ColourMatrix: Sendable, Equatable {
    /// Row-major entries m[3·row + column].
    var entries: [Double]

    static let identity = ColourMatrix(entries: [1, 0, 0, 0, 1, 0, 0, 0, 1])

    init(entries: [Double]) {
        precondition(entries.count == 9, "a colour matrix has nine entries")
        self.entries = entries
    }

    /// From three rows of three (a validated profile's `colour_correction_matrix`).
    init(rows: [[Double]]) {
        self.init(entries: rows.flatMap { $0 })
    }

    /// A per-channel gain (von Kries scaling in the RGB space).
    static func diagonal(_ red: Double, _ green: Double, _ blue: Double) -> ColourMatrix {
        ColourMatrix(entries: [red, 0, 0, 0, green, 0, 0, 0, blue])
    }

    subscript(row: Int, column: Int) -> Double { entries[3 * row + column] }

    @inline(__always)
    func apply(_ red: Double, _ green: Double, _ blue: Double) -> (red: Double, green: Double, blue: Double) {
        let m = entries
        return (
            m[0] * red + m[1] * green + m[2] * blue,
            m[3] * red + m[4] * green + m[5] * blue,
            m[6] * red + m[7] * green + m[8] * blue)
    }

    /// `self · other`: `other` applied first.
    static func * (lhs: ColourMatrix, rhs: ColourMatrix) -> ColourMatrix {
        ColourMatrix(entries: (0..<9).map { index in
            let row = index / 3, column = index % 3
            return (0..<3).reduce(0) { $0 + lhs[row, $1] * rhs[$1, column] }
        })
    }

    var determinant: Double {
        let m = entries
        return m[0] * (m[4] * m[8] - m[5] * m[7]) - m[1] * (m[3] * m[8] - m[5] * m[6]) + m[2] * (m[3] * m[7] - m[4] * m[6])
    }

    /// The inverse by the adjugate; nil when the determinant is 0 or not finite.
    var inverse: ColourMatrix? {
        let m = entries, det = determinant
        guard det != 0, det.isFinite else { return nil }
        let adjugate = [
            m[4] * m[8] - m[5] * m[7], m[2] * m[7] - m[1] * m[8], m[1] * m[5] - m[2] * m[4],
            m[5] * m[6] - m[3] * m[8], m[0] * m[8] - m[2] * m[6], m[2] * m[3] - m[0] * m[5],
            m[3] * m[7] - m[4] * m[6], m[1] * m[6] - m[0] * m[7], m[0] * m[4] - m[1] * m[3],
        ]
        return ColourMatrix(entries: adjugate.map { $0 / det })
    }

    /// The largest row sum of magnitudes.
    var infinityNorm: Double {
        (0..<3).map { row in (0..<3).reduce(0) { $0 + abs(self[row, $1]) } }.max()!
    }
}
