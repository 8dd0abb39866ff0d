import Foundation
import LetheImaging
import LetheMemory

/// Analyses re-captures of each subject photo in process (the encrypted path adds nothing to
/// repeatability) and summarises every reported measure: the engine of `lethe bench --repeatability`.
public struct RepeatabilityBench: Sendable {
    public var settings: AnalysisSettings
    /// Applied to every subject alike, so that capture j is one capture condition (ICC's columns).
    public var recaptures: [Recapture]
    public var seed: UInt64

    /// - Parameter varying: the perturbations re-captures apply (default all); the others are held
    ///   at no change, to find which one moves a measure.
    public init(
        settings: AnalysisSettings, recaptureCount: Int, seed: UInt64, ranges: RecaptureRanges = RecaptureRanges(),
        varying: Set<Recapture.Perturbation> = Set(Recapture.Perturbation.allCases)
    ) {
        self.settings = settings
        self.seed = seed
        recaptures = ranges.draw(count: recaptureCount, seed: seed, varying: varying)
    }

    /// Keys left out of the table: where the photo put the face and how it was framed or exposed
    /// (box, pose, pixel counts and sizes, the scale estimate, the quality gate's figures) move
    /// with a re-capture by design; they describe the photo, not the skin.
    static let framingKeys: Set<String> = [
        "box", "quality", "landmarks", "zones", "pose", "width_fraction", "detector_neighbours", "skin_pixel_count",
        "skin_pixel_fraction", "mm_per_pixel", "required_mm_per_pixel", "scale_source",
    ]

    /// - Parameters:
    ///   - subjects: each photo's name and encoded bytes (JPEG, PNG, WebP, HEIF).
    ///   - progress: called after each capture with (done, total).
    /// - Throws: the decoder's code when a subject photo itself cannot be decoded.
    public func run(
        subjects: [(name: String, photo: [UInt8])], progress: (Int, Int) -> Void = { _, _ in }
    ) throws -> RepeatabilityReport {
        var values: [String: [[Double?]]] = [:]
        var order: [String] = []
        var refusals: [String: [String: Int]] = [:]
        for (index, subject) in subjects.enumerated() {
            let arena = PlaintextArena()
            defer { _ = arena.wipeAll() }
            let original = try subject.photo.withUnsafeBytes { bytes in
                try ImageDecoder.decode(bytes, limits: DecodeLimits(), arena: arena)
            }
            for (capture, recapture) in recaptures.enumerated() {
                let captureArena = PlaintextArena()
                defer { _ = captureArena.wipeAll() }
                do {
                    // Decoded from the camera's file as the worker decodes it (a face reduced, its crop at full resolution).
                    let result = try recapture.withRendered(original) { (file) throws(LetheError) in
                        let photo = try ImageDecoder.decodeReduced(
                            file, keepingShortSide: PhotoAnalysis.overviewShortSide(for: settings), limits: DecodeLimits(), arena: captureArena)
                        return try PhotoAnalysis.run(photo, settings: settings, arena: captureArena)
                    }
                    for (measure, value) in Self.measures(of: result) {
                        if values[measure] == nil {
                            order.append(measure)
                            values[measure] = Array(repeating: Array(repeating: nil, count: recaptures.count), count: subjects.count)
                        }
                        values[measure]![index][capture] = value
                    }
                } catch {
                    // Refused captures are part of repeatability: counted by code, left out of the statistics.
                    refusals[subject.name, default: [:]][error.code.rawValue, default: 0] += 1
                }
                progress(index * recaptures.count + capture + 1, subjects.count * recaptures.count)
            }
        }
        let ordered = order.filter { !$0.hasPrefix("zones.") } + order.filter { $0.hasPrefix("zones.") }
        return RepeatabilityReport(
            kind: settings.kind.rawValue, subjects: subjects.map(\.name), seed: seed, recaptures: recaptures, refusals: refusals,
            measures: ordered.compactMap { MeasureRepeatability(measure: $0, values: values[$0]!) })
    }

    /// Every number the result reports about the skin or scalp, by its JSON path: the whole
    /// result's, then each face zone's as `zones.NAME.…`; keys in alphabetical order.
    static func measures(of result: PhotoAnalysisResult) -> [(String, Double)] {
        var flat: [(String, Double)] = []
        if let measures = result.measures { flatten(json(measures), prefix: "", into: &flat) }
        if let scalp = result.scalp { flatten(json(scalp), prefix: "", into: &flat) }
        for region in result.face?.regions ?? [] {
            flatten(json(region), prefix: "zones.\(region.region).", into: &flat)
        }
        return flat
    }

    private static func json(_ value: some Encodable) -> Any? {
        guard let data = try? JSONEncoder().encode(value) else { return nil }
        return try? JSONSerialization.jsonObject(with: data)
    }

    private static func flatten(_ value: Any?, prefix: String, into flat: inout [(String, Double)]) {
        guard let object = value as? [String: Any] else { return }
        for key in object.keys.sorted() where !framingKeys.contains(key) && !key.hasSuffix("_pixels") {
            switch object[key] {
            case let nested as [String: Any]: flatten(nested, prefix: prefix + key + ".", into: &flat)
            // JSONSerialization gives NSNumber for numbers and booleans alike (a boolean's type is
            // "c"); booleans are no measure.
            case let number as NSNumber where String(cString: number.objCType) != "c":
                flat.append((prefix + key, number.doubleValue))
            default: break
            }
        }
    }
}
