import ArgumentParser
import Foundation
import LetheAnalysis
import LetheImaging

#if canImport(Glibc)
import Glibc
#endif

/// `lethe bench --repeatability`: the options of the repeatability measurement.
struct RepeatabilityOptions: ParsableArguments {
    @Flag(help: """
        Instead of load: re-capture each photo (scale ±20 %, shift ±5 %, rotation ±5°, exposure ±⅓ EV, white balance \
        ±4 %, JPEG quality 75–95; seeded), analyse every capture in process and print each measure's spread and \
        ICC(2,1) across the photos (docs/analysis/repeatability.md).
        """)
    var repeatability = false
    @Option(help: "Re-captures per photo (the same ones for every photo).")
    var recaptures: Int = 20
    @Option(help: "Seed of the re-captures: the same seed draws the same re-captures.")
    var seed: UInt64 = 1
    @Option(help: "Directory of the trained models (kind=face).")
    var modelsDir: String = "Config/models"
    @Option(
        help: """
            The perturbations re-captures apply, comma-separated, of scale, rotation, shift, exposure, white-balance, jpeg \
            (default all); the others are held at no change, to find which one moves a measure.
            """)
    var vary: String?
    @Option(
        help: """
            A device profile file (JSON, as in Config/profiles) every capture is analysed under: its scale, light, colour \
            and limits — e.g. max_clipped_skin_fraction, to count as refused the captures such a device would retake.
            """)
    var profile: String?
    @Option(
        help: """
            kind=face: each photo also at these shine levels, comma-separated (e.g. 0,0.3,0.6; 0 = as taken): the \
            highlights of an oily face (forehead, nose, cheekbones, chin) added in linear light before the re-captures, \
            named PHOTO+shine L, so that shine's ICC has subjects that differ (docs/analysis/repeatability.md).
            """)
    var shineLevels: String?

    func paintedShineLevels() throws -> [Double]? {
        guard let shineLevels else { return nil }
        return try shineLevels.split(separator: ",").map { text in
            guard let level = Double(text.trimmingCharacters(in: .whitespaces)), (0...1).contains(level) else {
                throw ValidationError("--shine-levels: \(text) is not a level from 0 to 1")
            }
            return level
        }
    }

    func perturbations() throws -> Set<Recapture.Perturbation> {
        guard let vary else { return Set(Recapture.Perturbation.allCases) }
        return Set(try vary.split(separator: ",").map { name in
            guard let perturbation = Recapture.Perturbation(rawValue: name.trimmingCharacters(in: .whitespaces)) else {
                throw ValidationError("--vary: unknown perturbation \(name)")
            }
            return perturbation
        })
    }
}

extension Bench {
    static let defaultRepeatabilityPhoto = "Fixtures/astronaut.png"

    func runRepeatability() throws {
        let options = repeatabilityOptions
        guard let analysisKind = AnalysisKind(rawValue: kind) else { throw ValidationError("--kind must be skin, face or scalp") }
        let paths = photos.isEmpty ? [Self.defaultRepeatabilityPhoto] : photos
        var subjects = try paths.map { path in
            guard let bytes = FileManager.default.contents(atPath: path) else { throw ValidationError("cannot read \(path)") }
            return (name: URL(fileURLWithPath: path).lastPathComponent, photo: [UInt8](bytes))
        }
        if subjects.count < 2 {
            FileHandle.standardError.write(Data("note: ICC needs ≥ 2 photos (subjects); with one, only the spread is measured\n".utf8))
        }
        let models = analysisKind == .face ? try AnalysisModels.load(directory: options.modelsDir) : nil
        let profile = try options.profile.map { path in try DeviceProfile.load(file: path) }
        if let profile, !profile.kinds.contains(analysisKind) {
            throw ValidationError("--profile: \(profile.name) does not take kind \(analysisKind.rawValue)")
        }
        let settings = AnalysisSettings(kind: analysisKind, profile: profile, millimetresPerPixel: mmPerPixel, models: models)
        let bench = RepeatabilityBench(
            settings: settings, recaptureCount: options.recaptures, seed: options.seed, varying: try options.perturbations())
        if let levels = try options.paintedShineLevels() {
            guard analysisKind == .face else { throw ValidationError("--shine-levels needs --kind face (the highlights go on the face mesh's points)") }
            subjects = try bench.withPaintedShine(subjects, levels: levels)
        }
        let interactive = isatty(STDERR_FILENO) == 1
        let report = try bench.run(subjects: subjects) { done, total in
            if interactive { FileHandle.standardError.write(Data("\r\(done)/\(total) captures analysed".utf8)) }
        }
        if interactive { FileHandle.standardError.write(Data("\n".utf8)) }
        try printReport(report, text: report.text)
    }
}
