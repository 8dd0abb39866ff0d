import Foundation
import LetheAPI
import LetheAnalysis
import LetheImaging
import LetheMemory
import Testing

/// Hairs counted along strands (issue 16 point 6, issue 18): unclipped, long, curved hairs that
/// cross each other and leave the image, and clipped hairs of mixed lengths. Counting by length ÷
/// a reference length (before strands) assumed every hair clipped to one length ±15 %.
///
/// The sets (docs/analysis/scalp.md): the strand rules (spur length, crossing merge distance,
/// pairing angle, shortest strand) were chosen on the tuning seeds 15485863·k + 5, k = 1…12, of
/// both variations below; the test seeds 2750159·k + 7, k = 1…24, were run once the rules were
/// fixed and never used to change them. Errors are absolute per image, bounds close to what was
/// measured (printed).
@Suite("Scalp hair strands")
struct ScalpStrandAccuracyTests {
    static let tuningSeeds: [UInt64] = (1...12).map { UInt64($0) * 15_485_863 + 5 }
    static let testSeeds: [UInt64] = (1...24).map { UInt64($0) * 2_750_159 + 7 }

    /// Half the follicular units unclipped (1.5–5 mm, curved, crossing, leaving the image).
    static let longHairs = TrichoscopyImage.Variation(longHairShare: 0.5)
    /// Clipped hairs of 0.2–1.6 mm (regrowth beside older hairs) and a quarter unclipped.
    static let mixedLengths = TrichoscopyImage.Variation(longHairShare: 0.25, mixedLengthMillimetres: 0.2...1.6)

    struct Counts: CustomStringConvertible {
        var errors: [Int] = [], truth: [Int] = [], long: [Int] = [], widthErrors: [Double] = []
        /// Per image: hairs in the wrong width class (½ Σ over thin / medium / thick of |reported −
        /// true|), and reported vellus hairs minus true ones.
        var misclassified: [Int] = [], vellusErrors: [Int] = []
        /// Hairs reported as vellus (< 30 µm) where every generated hair is 40–110 µm.
        var falseVellus = 0
        mutating func add(_ truth: TrichoscopyImage, _ result: ScalpAnalysisResult) {
            let types = result.hairTypes
            #expect(types.map { $0.vellus + $0.terminal } == result.hairCount, "hair types must add up to the hair count")
            falseVellus += types?.vellus ?? 0
            errors.append(result.hairCount - truth.hairCount)
            self.truth.append(truth.hairCount)
            long.append(truth.hairs.filter(\.long).count)
            widthErrors.append((result.meanWidthMicrometres - truth.meanWidthMicrometres) / truth.meanWidthMicrometres)
            let widths = truth.hairs.map(\.widthMicrometres)
            let trueClasses = [widths.filter { $0 < 60 }.count, widths.filter { $0 >= 60 && $0 <= 80 }.count, widths.filter { $0 > 80 }.count]
            let reported = result.widthDistribution
            let classErrors = zip([reported.thin, reported.medium, reported.thick], trueClasses).map { abs($0 - $1) }
            misclassified.append(classErrors.reduce(0, +) / 2)
            let trueVellus = widths.filter { $0 < ScalpAnalysisResult.HairTypes.vellusMaximumWidthMicrometres }.count
            vellusErrors.append((types?.vellus ?? 0) - trueVellus)
        }
        var largest: Int { errors.map(abs).max() ?? 0 }
        var sum: Int { errors.reduce(0, +) }
        var largestWidth: Double { widthErrors.map(abs).max() ?? 0 }
        var description: String {
            "hairs \(truth.reduce(0, +)) (\(long.reduce(0, +)) unclipped), errors \(errors) (max |error| \(largest), Σ \(sum)), "
                + "width max \(String(format: "%.1f %%", 100 * largestWidth)), vellus \(falseVellus), "
                + "width class wrong \(misclassified.reduce(0, +)) of \(truth.reduce(0, +)), vellus errors \(vellusErrors)"
        }
    }

    static func measure(_ variation: TrichoscopyImage.Variation, seeds: [UInt64]) throws -> Counts {
        var counts = Counts()
        for seed in seeds {
            let (truth, result) = try ScalpHeldOutAccuracyTests.analyse(variation, seed: seed)
            counts.add(truth, result)
        }
        return counts
    }

    @Test("tuning set (the rules were chosen on it): long crossing hairs and mixed lengths counted within 7")
    func tuningSet() throws {
        let long = try Self.measure(Self.longHairs, seeds: Self.tuningSeeds)
        let mixed = try Self.measure(Self.mixedLengths, seeds: Self.tuningSeeds)
        print("strand tuning set: long hairs \(long); mixed lengths \(mixed)")
        // Measured: long hairs within 6 (Σ +5 over 350 hairs), mixed lengths within 7 (Σ +6 over 322);
        // counting by length ÷ a reference length read Σ +277 and +247.
        #expect(long.largest <= 7 && mixed.largest <= 7, "long \(long.errors), mixed \(mixed.errors)")
        #expect(abs(long.sum) <= 8 && abs(mixed.sum) <= 8, "long \(long.errors), mixed \(mixed.errors)")
    }

    @Test("held-out: long, curved, crossing, unclipped hairs counted once each")
    func longCrossingHairs() throws {
        let counts = try Self.measure(Self.longHairs, seeds: Self.testSeeds)
        print("strand test set, long hairs: \(counts)")
        #expect(counts.long.reduce(0, +) >= 100, "the set must hold enough unclipped hairs: \(counts.long)")
        // Measured: within 7 per image (mean |error| 2.3 of 29 hairs), Σ +28 over 698 hairs; counting
        // by length ÷ a reference length read up to 48 per image, Σ +274.
        #expect(counts.largest <= 8, "\(counts.errors)")
        #expect(abs(counts.sum) <= 32, "the errors must not all lean one way: \(counts.errors)")
        #expect(counts.falseVellus == 0, "no generated hair is thinner than 40 µm")
    }

    /// Units of vellus and terminal hairs side by side: 20–110 µm drawn per hair, a quarter of the
    /// units unclipped and crossing.
    static let mixedWidths = TrichoscopyImage.Variation(longHairShare: 0.25, hairWidthMicrometres: 20...110)

    @Test("held-out: each hair's width is its own strand's, so a unit's vellus and terminal hairs and crossing hairs fall in their own classes")
    func widthPerHair() throws {
        let long = try Self.measure(Self.longHairs, seeds: Self.testSeeds)
        let mixed = try Self.measure(Self.mixedWidths, seeds: Self.testSeeds)
        print("strand test set, width per hair: long hairs \(long); vellus and terminal \(mixed)")
        #expect(mixed.truth.reduce(0, +) >= 500)
        // Measured per strand: long hairs 52 of 698 in the wrong class (thin < 60, medium, thick > 80 µm),
        // vellus and terminal 42 of 680, vellus hairs (< 30 µm) within 4 per image, Σ +15 of 72 true. With
        // the mark's one width for all its hairs: 315 and 238 wrong, vellus Σ −56 (16 found of 72).
        #expect(long.misclassified.reduce(0, +) <= 60, "\(long.misclassified)")
        #expect(mixed.misclassified.reduce(0, +) <= 50, "\(mixed.misclassified)")
        #expect(mixed.vellusErrors.map(abs).max() ?? 0 <= 4, "\(mixed.vellusErrors)")
        #expect(abs(mixed.vellusErrors.reduce(0, +)) <= 18, "the errors must not all lean one way: \(mixed.vellusErrors)")
    }

    @Test("held-out: clipped hairs of mixed lengths beside unclipped ones")
    func mixedLengthHairs() throws {
        let counts = try Self.measure(Self.mixedLengths, seeds: Self.testSeeds)
        print("strand test set, mixed lengths: \(counts)")
        // Measured: within 6 per image (mean |error| 1.5 of 27 hairs), Σ +10 over 654 hairs; counting
        // by length ÷ a reference length read up to 44 per image, Σ +265.
        #expect(counts.largest <= 7, "\(counts.errors)")
        #expect(abs(counts.sum) <= 12, "the errors must not all lean one way: \(counts.errors)")
        #expect(counts.falseVellus == 0, "no generated hair is thinner than 40 µm")
    }
}
