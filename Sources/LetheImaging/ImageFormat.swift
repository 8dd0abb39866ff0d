/// The image formats the worker accepts, recognised by their magic bytes (never by a
/// client-supplied content type or file name).
public enum ImageFormat: String, Sendable, Codable, CaseIterable {
    /// JPEG (ITU-T T.81 / JFIF).
    case jpeg
    /// PNG (ISO/IEC 15948).
    case png
    /// WebP, lossy or lossless.
    case webp
    /// HEIF/HEIC (and AVIF, decoded by the same libheif loader).
    case heif

    /// The format whose signature starts `bytes`, or nil.
    ///
    /// - JPEG: `FF D8 FF` (ITU-T T.81 SOI marker followed by another marker).
    /// - PNG: the 8-byte signature `89 50 4E 47 0D 0A 1A 0A` (RFC 2083 §3.1 / PNG spec §5.2).
    /// - WebP: `RIFF` <size> `WEBP` (RFC 9649 §2.4).
    /// - HEIF: an ISO BMFF `ftyp` box (ISO/IEC 14496-12 §4.3) whose major or a compatible brand
    ///   is a HEIF/AVIF brand (ISO/IEC 23008-12 Annex B; AV1 Image File Format §8). libheif
    ///   decodes both families; whether AVIF decodes depends on the installed libheif plugins.
    public static func sniff(_ bytes: UnsafeRawBufferPointer) -> ImageFormat? {
        func matches(_ signature: [UInt8], at offset: Int = 0) -> Bool {
            guard bytes.count >= offset + signature.count else { return false }
            for (index, byte) in signature.enumerated() where bytes[offset + index] != byte { return false }
            return true
        }
        if matches([0xFF, 0xD8, 0xFF]) { return .jpeg }
        if matches([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
        if matches(Array("RIFF".utf8)) && matches(Array("WEBP".utf8), at: 8) { return .webp }
        if matches(Array("ftyp".utf8), at: 4) && hasHEIFBrand(bytes) { return .heif }
        return nil
    }

    private static let heifBrands: Set<String> = [
        "heic", "heix", "hevc", "hevx", "heim", "heis", "hevm", "hevs", "mif1", "msf1", "avif", "avis",
    ]

    /// Reads the major brand and the compatible brands of the leading `ftyp` box.
    private static func hasHEIFBrand(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard bytes.count >= 12 else { return false }
        let declaredSize = Int(bytes[0]) << 24 | Int(bytes[1]) << 16 | Int(bytes[2]) << 8 | Int(bytes[3])
        // The box must at least hold major brand + minor version; brands after it are 4 bytes each.
        let boxEnd = min(bytes.count, declaredSize >= 16 ? min(declaredSize, 256) : 12)
        func brand(at offset: Int) -> String {
            String(decoding: UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + 4]), as: UTF8.self)
        }
        if heifBrands.contains(brand(at: 8)) { return true }
        var offset = 16
        while offset + 4 <= boxEnd {
            if heifBrands.contains(brand(at: offset)) { return true }
            offset += 4
        }
        return false
    }
}
