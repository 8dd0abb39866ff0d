import LetheMemory

extension DeviceProfile.Light {
    /// Whether the photo shows the skin surface's own reflection (shine): normal light and
    /// parallel-polarised light do; cross-polarised light blocks it, and UV photos are not measured for it.
    public var showsSurfaceReflection: Bool { self == .normal || self == .parallelPolarised }

    /// Why a cross-polarised photo's shine is `not_measurable`.
    public static let crossPolarisedShineReason =
        "cross-polarised light removes the surface reflection that shine is measured from; send a photo under normal or parallel-polarised light"
}

extension DeviceProfile {
    /// The light of one photo: a session's part takes the light the profile's `captures` give its
    /// name; a single photo, or any photo of a profile without `captures`, the profile's `light`.
    /// - Returns: nil when the profile lists captures and `partName` is not one of them.
    public func light(ofPart partName: String?) -> Light? {
        guard let partName, let captures else { return light }
        return captures[partName]
    }

    /// Capture names as a request's multipart part names can carry them.
    /// - Throws: `profile_unreadable` for an empty `captures` or a name that is not 1–64 of
    ///   A–Z, a–z, 0–9, `_`, `-` (what `LetheClient.analyzeSession` sends).
    func validateCaptures(file: String) throws(LetheError) {
        guard let captures else { return }
        guard !captures.isEmpty else { throw LetheError.profileUnreadable("device profile \(file) has an empty captures object") }
        for name in captures.keys.sorted() {
            let allowed = name.unicodeScalars.allSatisfy { ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) || $0 == "_" || $0 == "-" }
            guard allowed, (1...64).contains(name.count) else {
                throw LetheError.profileUnreadable("device profile \(file) has a capture name that is not 1–64 letters, digits, _ or -")
            }
        }
    }
}
