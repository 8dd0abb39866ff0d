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
    /// (box, pose, pixel counts and sizes, the scale estimate, the quality gate's figures, the
    /// colour calibration: the grey card as captured, the uncertainty model's constants, the
    /// zones a capture showed covered) move with a re-capture by design or not at all; they
    /// describe the photo, not the skin. A covered zone's measures are missing from that capture.
    static let framingKeys: Set<String> = [
        "box", "quality", "landmarks", "zones", "pose", "width_fraction", "detector_neighbours", "skin_pixel_count", "covered_fraction", "covered_zones",
        "skin_pixel_fraction", "mm_per_pixel", "required_mm_per_pixel", "scale_source", "colour_calibration",
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
                    let result = try recapture.withRendered(original, patch: greyCard(in: original, under: recapture)) { (file) throws(LetheError) in
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
            kind: settings.kind.rawValue, subjects: subjects.map(\.name), seed: seed, recaptures: recaptures,
            greyCard: settings.profile?.greyReference, refusals: refusals,
            measures: ordered.compactMap { MeasureRepeatability(measure: $0, values: values[$0]!) })
    }

    /// How far the drawn card reaches beyond the region the profile reads, in input pixels each
    /// side: a real card is larger than what the device averages, so that the JPEG's ringing at
    /// its edge and its chroma blocks stay outside the reading.
    static let greyCardMargin = 8

    /// The profile's grey card as this capture shows it, or nil without one: fixed in the frame
    /// (the device holds it; the subject moves), in the capture's light (exposure and white
    /// balance, as the face): its known CIELAB in linear sRGB × `Recapture.linearGains`, encoded.
    /// With it, the worker's grey-reference calibration (`ColourCalibrator`) sees the light change
    /// as a device's card would show it.
    func greyCard(in photo: DecodedImage, under recapture: Recapture) -> FramePatch? {
        guard let grey = settings.profile?.greyReference else { return nil }
        let rect = grey.region.pixelRect(imageWidth: photo.width, imageHeight: photo.height), margin = Self.greyCardMargin
        let card = CIELab(l: grey.lStar, a: grey.aStar, b: grey.bStar).linearSRGB()
        let codes = zip([card.red, card.green, card.blue], recapture.linearGains).map { linear, gain in
            UInt8(min(255, max(0, (255 * SRGB.encode(linear * gain)).rounded())))
        }
        return FramePatch(x0: rect.x0 - margin, y0: rect.y0 - margin, x1: rect.x1 + margin, y1: rect.y1 + margin, codes: codes)
    }

    /// Every number the result reports about the skin or scalp, by its JSON path: the whole
    /// result's, a face's own (`face.dark_circles.…`, `face.oiliness.…`; not its box, pose or
    /// zones' geometry, which follow the capture), then each face zone's as `zones.NAME.…`; keys
    /// in alphabetical order.
    static func measures(of result: PhotoAnalysisResult) -> [(String, Double)] {
        var flat: [(String, Double)] = []
        if let measures = result.measures { flatten(json(measures), prefix: "", into: &flat) }
        if let scalp = result.scalp { flatten(json(scalp), prefix: "", into: &flat) }
        // The zones (an array) are flattened below, one prefix each.
        if let face = result.face { flatten(json(face), prefix: "face.", into: &flat) }
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
