import Foundation
import LetheMemory
import Synchronization

/// A capture device as a request names it (`profile=NAME`): its scale, its light and the kinds it
/// takes, and for a device that photographs each capture under several lights, the light of each
/// capture (`captures`, `DeviceProfile+Light.swift`). One JSON file per profile in `Config/profiles/NAME.json`:
///
/// ```json
/// {"name": "trichoscope-20x", "mm_per_pixel": 0.0065, "light": "polarised", "kinds": ["scalp", "skin"]}
/// ```
/// Instead of `mm_per_pixel` a profile may give `field_of_view_width_mm`: the scale is then that
/// width divided by the photo's width in pixels. For colour that compares between photos and
/// devices it may carry a `colour_correction_matrix` and/or a `grey_reference`
/// (`DeviceProfile+Colour.swift`, docs/analysis/devices.md).
public struct DeviceProfile: Sendable, Codable, Equatable {
    /// Light the device captures with (docs/analysis/devices.md#light).
    public enum Light: String, Sendable, Codable, CaseIterable {
        /// Unpolarised white light: the skin's colour and its surface reflection (shine).
        case normal
        /// Polarisers in front of the light and the lens aligned: the surface reflection is kept
        /// (shine, surface texture).
        case parallelPolarised = "parallel_polarised"
        /// Polarisers crossed: the surface reflection, which keeps the light's polarisation, is
        /// blocked; what passes was scattered inside the skin (pigment, redness, no shine).
        case crossPolarised = "cross_polarised"
        /// UV-A (a Wood's lamp, ≈ 365 nm): pigment absorbs strongly, porphyrins fluoresce.
        case uv

        /// `polarised` alone reads as `cross_polarised`: polarised dermoscopy and skin cameras
        /// mean crossed polarisers, and the earlier profiles used the word so.
        public init(from decoder: any Decoder) throws {
            let text = try decoder.singleValueContainer().decode(String.self)
            guard let light = text == "polarised" ? .crossPolarised : Light(rawValue: text) else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "unknown light"))
            }
            self = light
        }
    }

    public var name: String
    public var description: String?
    public var millimetresPerPixel: Double?
    public var fieldOfViewWidthMillimetres: Double?
    public var light: Light
    /// A device that takes each capture under several lights: the multipart part name of each
    /// capture → its light, e.g. `{"standard": "normal", "cross": "cross_polarised", "uv": "uv"}`.
    /// A session's parts must carry these names (`unknown_capture` otherwise).
    public var captures: [String: Light]?
    /// Analysis kinds this device takes (`face`, `skin`, `scalp`; another name makes the file
    /// unreadable).
    public var kinds: [AnalysisKind]
    /// Linear sRGB → corrected linear sRGB, three rows of three (row-major), measured for this
    /// device under its own light and exposure (e.g. fitted to a colour chart).
    public var colourCorrectionMatrix: [[Double]]?
    /// A known neutral patch in every photo of the device, whose colour fixes exposure and white balance.
    public var greyReference: GreyReference?
    /// `kind=face`: the largest share of the face's skin that may have a channel clipped at the
    /// camera's saturation (`quality.clipped_skin_fraction`) before the photo is refused as
    /// `lighting_too_bright`, a retake with less exposure; in (0, 1]. Absent: no limit (the share
    /// is reported either way). Above about a tenth the colour measures move with the exposure
    /// (docs/analysis/repeatability.md, "How much of the face clips").
    public var maxClippedSkinFraction: Double?

    enum CodingKeys: String, CodingKey {
        case name, description, millimetresPerPixel = "mm_per_pixel", fieldOfViewWidthMillimetres = "field_of_view_width_mm", light, kinds, captures
        case colourCorrectionMatrix = "colour_correction_matrix", greyReference = "grey_reference"
        case maxClippedSkinFraction = "max_clipped_skin_fraction"
    }

    public init(
        name: String, description: String? = nil, millimetresPerPixel: Double? = nil, fieldOfViewWidthMillimetres: Double? = nil,
        light: Light = .normal, kinds: [AnalysisKind], colourCorrectionMatrix: [[Double]]? = nil, greyReference: GreyReference? = nil,
        captures: [String: Light]? = nil, maxClippedSkinFraction: Double? = nil
    ) {
        self.maxClippedSkinFraction = maxClippedSkinFraction
        self.captures = captures
        self.colourCorrectionMatrix = colourCorrectionMatrix
        self.greyReference = greyReference
        self.name = name
        self.description = description
        self.millimetresPerPixel = millimetresPerPixel
        self.fieldOfViewWidthMillimetres = fieldOfViewWidthMillimetres
        self.light = light
        self.kinds = kinds
    }

    /// Millimetres per pixel for a photo `imageWidth` pixels wide, when the profile knows the scale.
    public func millimetresPerPixel(imageWidth: Int) -> Double? {
        if let millimetresPerPixel { return millimetresPerPixel }
        if let fieldOfViewWidthMillimetres, imageWidth > 0 { return fieldOfViewWidthMillimetres / Double(imageWidth) }
        return nil
    }

    private static let cache = Mutex<[String: [String: DeviceProfile]]>([:])

    /// Every `*.json` profile of `directory`, by name (cached per directory). A missing
    /// directory means no profiles.
    /// - Throws: `load(file:)`'s codes; `profile_unreadable` for a duplicate name.
    public static func loadAll(directory: String) throws(LetheError) -> [String: DeviceProfile] {
        let key = URL(fileURLWithPath: directory).standardizedFileURL.path
        if let cached = cache.withLock({ $0[key] }) { return cached }
        var profiles: [String: DeviceProfile] = [:]
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: key)) ?? []).filter { $0.hasSuffix(".json") }.sorted()
        for file in files {
            let profile = try load(file: URL(fileURLWithPath: key).appendingPathComponent(file).path)
            guard profiles[profile.name] == nil else {
                throw LetheError.profileUnreadable("device profile name \(profile.name) appears twice")
            }
            profiles[profile.name] = profile
        }
        cache.withLock { $0[key] = profiles }
        return profiles
    }

    /// One profile file (`lethe bench --repeatability --profile`, and each of `loadAll`'s).
    /// - Throws: `profile_unreadable` for a file that cannot be read, malformed JSON, a scale that
    ///   is not positive or a clipped-skin limit outside (0, 1]; the colour codes of
    ///   `validateColour()` for a bad matrix or grey reference; `validateCaptures`'.
    public static func load(file path: String) throws(LetheError) -> DeviceProfile {
        let file = URL(fileURLWithPath: path).lastPathComponent
        guard let data = FileManager.default.contents(atPath: path),
            let profile = try? JSONDecoder().decode(DeviceProfile.self, from: data)
        else { throw LetheError.profileUnreadable("device profile \(file) is not valid JSON of the documented form") }
        let scales = [profile.millimetresPerPixel, profile.fieldOfViewWidthMillimetres].compactMap { $0 }
        guard scales.allSatisfy({ $0 > 0 && $0.isFinite }) else {
            throw LetheError.profileUnreadable("device profile \(file) has a scale that is not a positive number")
        }
        if let limit = profile.maxClippedSkinFraction, !(limit > 0 && limit <= 1) {
            throw LetheError.profileUnreadable("device profile \(file) has a max_clipped_skin_fraction outside (0, 1]")
        }
        try profile.validateColour()
        try profile.validateCaptures(file: file)
        return profile
    }
}
