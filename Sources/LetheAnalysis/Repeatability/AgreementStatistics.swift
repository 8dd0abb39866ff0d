import Foundation

/// Two-way analysis of variance of an n subjects × k captures table and the intra-class
/// correlations built from it (Shrout & Fleiss 1979, "Intraclass correlations: uses in assessing
/// rater reliability", Psychological Bulletin 86(2):420–428; McGraw & Wong 1996 call ICC(2,1)
/// "ICC(A,1)", absolute agreement).
public struct AgreementStatistics: Sendable, Equatable {
    /// Subjects (rows).
    public let subjects: Int
    /// Captures of each subject (columns), the same capture conditions for every subject.
    public let captures: Int
    /// Between-subjects mean square: k · Σᵢ (rowMeanᵢ − grand)² / (n − 1).
    public let betweenSubjects: Double
    /// Between-captures mean square: n · Σⱼ (columnMeanⱼ − grand)² / (k − 1).
    public let betweenCaptures: Double
    /// Residual mean square: (total − subjects − captures sums of squares) / ((n − 1)(k − 1)).
    public let residual: Double
    /// Within-subject mean square: (total − subjects sums of squares) / (n (k − 1)).
    public let withinSubjects: Double

    /// `table[i][j]`: subject i, capture j. Nil unless n ≥ 2, k ≥ 2 and every row has k values.
    public init?(_ table: [[Double]]) {
        let n = table.count, k = table.first?.count ?? 0
        guard n >= 2, k >= 2, table.allSatisfy({ $0.count == k }) else { return nil }
        let grand = table.joined().reduce(0, +) / Double(n * k)
        let rowMeans = table.map { $0.reduce(0, +) / Double(k) }
        let columnMeans = (0..<k).map { j in table.reduce(0) { $0 + $1[j] } / Double(n) }
        let total = table.joined().reduce(0) { $0 + ($1 - grand) * ($1 - grand) }
        let rows = Double(k) * rowMeans.reduce(0) { $0 + ($1 - grand) * ($1 - grand) }
        let columns = Double(n) * columnMeans.reduce(0) { $0 + ($1 - grand) * ($1 - grand) }
        subjects = n
        captures = k
        betweenSubjects = rows / Double(n - 1)
        betweenCaptures = columns / Double(k - 1)
        residual = max(0, total - rows - columns) / Double((n - 1) * (k - 1))
        withinSubjects = max(0, total - rows) / Double(n * (k - 1))
    }

    /// ICC(2,1), two-way random effects, absolute agreement, one capture:
    /// (BMS − EMS) / (BMS + (k − 1)·EMS + k·(JMS − EMS)/n). Nil when nothing varies (0/0).
    public var icc21: Double? {
        let (n, k) = (Double(subjects), Double(captures))
        return Self.ratio(
            betweenSubjects - residual, betweenSubjects + (k - 1) * residual + k * (betweenCaptures - residual) / n)
    }

    /// ICC(3,1), two-way mixed, consistency: (BMS − EMS) / (BMS + (k − 1)·EMS).
    public var icc31: Double? {
        Self.ratio(betweenSubjects - residual, betweenSubjects + Double(captures - 1) * residual)
    }

    /// ICC(1,1), one-way random: (BMS − WMS) / (BMS + (k − 1)·WMS).
    public var icc11: Double? {
        Self.ratio(betweenSubjects - withinSubjects, betweenSubjects + Double(captures - 1) * withinSubjects)
    }

    private static func ratio(_ numerator: Double, _ denominator: Double) -> Double? {
        denominator > 1e-12 ? numerator / denominator : nil
    }
}

/// The spread of one subject's values over its captures.
public struct CaptureSpread: Sendable, Equatable {
    public let count: Int
    public let mean: Double
    /// Sample standard deviation (n − 1); 0 for a single value.
    public let standardDeviation: Double
    /// Largest minus smallest value: for a 0–100 score, the largest move in points between two captures.
    public let range: Double

    /// Nil for no values.
    public init?(_ values: [Double]) {
        guard let low = values.min(), let high = values.max() else { return nil }
        count = values.count
        let average = values.reduce(0, +) / Double(values.count)
        mean = average
        let squares = values.reduce(0) { $0 + ($1 - average) * ($1 - average) }
        standardDeviation = values.count > 1 ? (squares / Double(values.count - 1)).squareRoot() : 0
        range = high - low
    }
}
