import Foundation

/// How repeatable one reported measure is over re-captures of several subjects.
public struct MeasureRepeatability: Sendable, Codable, Equatable {
    /// The measure's path in the result JSON, e.g. `concerns.scores.overall`,
    /// `zones.forehead.concerns.wrinkles.ridge_fraction`.
    public var measure: String
    /// A 0–100 score (path contains `scores`), held to the 5-point target.
    public var isScore: Bool
    /// Mean over every capture of every subject.
    public var mean: Double
    /// Within-subject standard deviation, pooled: √(mean of the subjects' sample variances).
    public var withinSubjectSD: Double
    /// Largest max − min over one subject's captures (for scores: the largest move in points).
    public var largestRange: Double
    /// Standard deviation of the subjects' means: the spread ICC compares the noise with.
    public var betweenSubjectSD: Double
    /// ICC(2,1) over the subjects and the captures every one of them produced; nil with fewer
    /// than 2 subjects or 2 such captures, or when nothing varies.
    public var icc21: Double?
    /// Captures that produced this measure / captures attempted.
    public var captured: Int
    public var attempted: Int
    /// Per subject, the measure of each capture (nil where the capture was refused or did not
    /// report it), capture j being `RepeatabilityReport.recaptures[j]`: which re-capture moved it.
    public var values: [[Double?]]

    /// Issue 16's target: ICC ≥ 0.9, and for scores no move above 5 points.
    public var meetsTarget: Bool {
        guard let icc21, icc21 >= Self.iccTarget else { return false }
        return !isScore || largestRange <= Self.scoreMoveTarget
    }

    public static let iccTarget = 0.9
    public static let scoreMoveTarget = 5.0

    /// - Parameter values: per subject, the measure of each capture (nil where the capture failed
    ///   or did not report it); capture j is the same re-capture for every subject.
    public init?(measure: String, values: [[Double?]]) {
        let present = values.map { $0.compactMap { $0 } }
        let spreads = present.compactMap(CaptureSpread.init)
        guard !spreads.isEmpty else { return nil }
        self.measure = measure
        self.values = values
        isScore = measure.split(separator: ".").contains("scores")
        let all = present.joined()
        mean = all.reduce(0, +) / Double(all.count)
        let varied = spreads.filter { $0.count > 1 }
        withinSubjectSD = varied.isEmpty ? 0 : (varied.reduce(0) { $0 + $1.standardDeviation * $1.standardDeviation } / Double(varied.count)).squareRoot()
        largestRange = spreads.map(\.range).max() ?? 0
        betweenSubjectSD = CaptureSpread(spreads.map(\.mean))?.standardDeviation ?? 0
        captured = all.count
        attempted = values.reduce(0) { $0 + $1.count }
        // ICC on the complete block: subjects that have the measure, captures all of them have.
        let subjects = values.filter { $0.contains { $0 != nil } }
        let columns = (0..<(values.first?.count ?? 0)).filter { j in subjects.allSatisfy { $0[j] != nil } }
        icc21 = AgreementStatistics(subjects.map { row in columns.map { row[$0]! } })?.icc21
    }
}
