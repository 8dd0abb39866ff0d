import CVips

/// Whether an image's embedded ICC profile describes sRGB in effect, so that converting through it
/// to libvips' sRGB profile would change nothing (phones and cameras tag most photos with one of
/// the many sRGB profiles: HP's IEC 61966-2.1 v2, the ICC's v4, Apple's, Google's compact one).
///
/// Decided by measuring, not by name: the same transform the decoder would run (the embedded
/// profile to libvips' sRGB, relative intent, 8 bits) is applied to a probe of known colours, and
/// the profile counts as sRGB when no probe colour moves by more than one code, the rounding of
/// the 8-bit transform itself (HP's sRGB profile moves 0.4 % of the samples of all 2²⁴ colours by one code,
/// none by more). A Display P3, Adobe RGB or camera profile moves saturated colours by tens of
/// codes and is applied. Skipping the transform saves the photo's per-pixel colour transform,
/// the largest single cost of a request's decode. A profile the probe has measured sRGB here,
/// listed by its digest (`probedSRGBDigests`), is not measured again.
enum EmbeddedProfile {
    /// Largest move of a probe colour, in codes, that still counts as no change.
    static let toleranceCodes = 1

    /// The probe: every grey and every level of each primary alone (the tone curves), and a
    /// 17-level cube of colours (the matrix or table between the primaries).
    static let probe: [UInt8] = {
        var colours: [UInt8] = []
        for level in 0...255 {
            let code = UInt8(level)
            colours += [code, code, code, code, 0, 0, 0, code, 0, 0, 0, code]
        }
        let cube = (0...16).map { UInt8(min(255, $0 * 16)) }
        for red in cube { for green in cube { for blue in cube { colours += [red, green, blue] } } }
        return colours
    }()

    /// Profiles the probe found sRGB, by the SHA-256 of their bytes: a photo that carries one is
    /// not probed again (building the probe's transform and mapping it took ~10 ms of CPU, 1.4 % of
    /// a face request on the bench photo). Constants of the code, not a cache: nothing of one
    /// request's file is kept for the next. `EmbeddedProfileTests` probes each listed profile.
    static let probedSRGBDigests: Set<String> = [
        // HP's "sRGB IEC61966-2.1" v2 (3,144 bytes), the profile cameras and libvips itself embed:
        // every fixture photo that carries a profile carries this one.
        "2b3aa1645779a9e634744faf9b01e9102b0c9b88fd6deced7934df86b949af7e",
    ]

    /// The SHA-256 of a profile's bytes, as lowercase hex (GLib's).
    static func digest(_ profile: UnsafeRawBufferPointer) -> String? {
        guard let base = profile.baseAddress, let hex = g_compute_checksum_for_data(G_CHECKSUM_SHA256, base.assumingMemoryBound(to: guchar.self), gsize(profile.count))
        else { return nil }
        defer { g_free(hex) }
        return String(cString: hex)
    }

    /// True when `image` carries an ICC profile that maps every probe colour to itself within
    /// `toleranceCodes` (a listed one, `probedSRGBDigests`, without probing it again); false when
    /// it has none, when libvips cannot apply it, or when it moves one.
    static func isSRGB(_ image: VipsImageHandle) -> Bool {
        var data: UnsafeRawPointer?
        var length = 0
        guard vips_image_get_blob(image.pointer, VIPS_META_ICC_NAME, &data, &length) == 0, let data, length > 0 else {
            vips_error_clear()
            return false
        }
        let profile = UnsafeRawBufferPointer(start: data, count: length)
        if let digest = digest(profile), probedSRGBDigests.contains(digest) { return true }
        return probeMapsToItself(profile: profile)
    }

    /// Whether the transform through `profile` to libvips' sRGB maps every probe colour to itself
    /// within `toleranceCodes`.
    static func probeMapsToItself(profile: UnsafeRawBufferPointer) -> Bool {
        guard let data = profile.baseAddress else { return false }
        let length = profile.count
        let pixelCount = probe.count / 3
        var mapped = [UInt8](repeating: 0, count: probe.count)
        let faithful = probe.withUnsafeBufferPointer { source -> Bool in
            // libvips reads the probe in place and never writes to it.
            guard let wrapped = vips_image_new_from_memory(
                source.baseAddress!, source.count, Int32(pixelCount), 1, 3, VIPS_FORMAT_UCHAR
            ) else { return false }
            let tagged = VipsImageHandle(wrapped)
            vips_image_set_blob_copy(tagged.pointer, VIPS_META_ICC_NAME, data, length)
            guard let converted = tagged.then(lethe_vips_icc_to_srgb),
                  converted.width == pixelCount, converted.height == 1, converted.bands == 3,
                  converted.bandFormat == VIPS_FORMAT_UCHAR else { return false }
            return mapped.withUnsafeMutableBytes { target -> Bool in
                guard let output = vips_image_new_from_memory(target.baseAddress!, target.count, Int32(pixelCount), 1, 3, VIPS_FORMAT_UCHAR)
                else { return false }
                let destination = VipsImageHandle(output)
                return vips_image_write(converted.pointer, destination.pointer) == 0
            }
        }
        guard faithful else {
            vips_error_clear()
            return false
        }
        return zip(probe, mapped).allSatisfy { abs(Int($0) - Int($1)) <= toleranceCodes }
    }
}
