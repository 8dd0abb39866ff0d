import LetheAnalysis
import Testing

/// ICC(2,1) and the spreads of `lethe bench --repeatability`, against published and hand-computed figures.
@Suite("Repeatability statistics")
struct RepeatabilityStatisticsTests {
    /// Shrout & Fleiss 1979, Table 2: six targets rated by four judges.
    static let shroutFleiss: [[Double]] = [
        [9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7],
    ]

    @Test("Shrout & Fleiss 1979 Table 2: mean squares (Table 3) and ICC(1,1) 0.17, ICC(2,1) 0.29, ICC(3,1) 0.71 (Table 4)")
    func shroutFleissExample() throws {
        let statistics = try #require(AgreementStatistics(Self.shroutFleiss))
        #expect(abs(statistics.betweenSubjects - 11.24) < 0.005)
        #expect(abs(statistics.withinSubjects - 6.26) < 0.005)
        #expect(abs(statistics.betweenCaptures - 32.49) < 0.005)
        #expect(abs(statistics.residual - 1.02) < 0.005)
        #expect(abs(try #require(statistics.icc11) - 0.17) < 0.005)
        #expect(abs(try #require(statistics.icc21) - 0.29) < 0.005)
        #expect(abs(try #require(statistics.icc31) - 0.71) < 0.005)
    }

    @Test("ICC is undefined for one subject, one capture, or when nothing varies")
    func undefined() {
        #expect(AgreementStatistics([[1, 2, 3]]) == nil)
        #expect(AgreementStatistics([[1], [2]]) == nil)
        #expect(AgreementStatistics([[4, 4], [4, 4]])?.icc21 == nil)
    }

    /// By hand. ICC on the captures both subjects have (columns 0 and 1): [[10, 12], [20, 21]];
    /// grand mean 15.75, row means 11 and 20.5, column means 15 and 16.5; sums of squares total
    /// 92.75, subjects 90.25, captures 2.25, residual 0.25; BMS 90.25, JMS 2.25, EMS 0.25;
    /// ICC(2,1) = (90.25 − 0.25) / (90.25 + 0.25 + 2·(2.25 − 0.25)/2) = 90 / 92.5.
    /// Spread over all values: variances 2 and 1 → pooled SD √1.5; ranges 2 and 2; mean 85/5;
    /// subject means 11 and 21 → between SD √50.
    @Test("a measure's summary, computed by hand, with a missing capture")
    func handComputed() throws {
        let row = try #require(MeasureRepeatability(measure: "concerns.wrinkles.ridge_fraction", values: [[10, 12, nil], [20, 21, 22]]))
        #expect(!row.isScore)
        #expect(abs(row.mean - 17) < 1e-12)
        #expect(abs(row.withinSubjectSD - 1.5.squareRoot()) < 1e-12)
        #expect(row.largestRange == 2)
        #expect(abs(row.betweenSubjectSD - 50.0.squareRoot()) < 1e-12)
        #expect(abs(try #require(row.icc21) - 90 / 92.5) < 1e-12)
        #expect(row.captured == 5 && row.attempted == 6)
        #expect(row.meetsTarget)
    }

    @Test("a score meets the target only with ICC ≥ 0.9 and no move above 5 points")
    func scoreTarget() throws {
        // Same ICC-friendly layout, but one subject's score moves 6 points.
        let moved = try #require(MeasureRepeatability(measure: "concerns.scores.overall", values: [[40, 46, 43], [80, 81, 82]]))
        #expect(moved.isScore && moved.largestRange == 6 && (moved.icc21 ?? 0) > 0.9)
        #expect(!moved.meetsTarget)
        let steady = try #require(MeasureRepeatability(measure: "concerns.scores.overall", values: [[40, 45, 43], [80, 81, 82]]))
        #expect(steady.meetsTarget)
        let oneSubject = try #require(MeasureRepeatability(measure: "concerns.scores.overall", values: [[40, 41, 40]]))
        #expect(oneSubject.icc21 == nil && !oneSubject.meetsTarget)
    }
}
