/// JPEG files with a segment added after SOI, for tests of what the decoder does with it.
public enum JPEGSegments {
    /// `jpeg` with an EXIF orientation tag: APP1 "Exif\0\0" + little-endian TIFF with one IFD0
    /// entry, Orientation (0x0112) SHORT = `orientation` (JEITA CP-3451 Exif 2.3 §4.6.4, TIFF 6.0 §2).
    public static func oriented(_ jpeg: [UInt8], _ orientation: UInt8) -> [UInt8] {
        let tiff: [UInt8] = [0x49, 0x49, 0x2A, 0x00, 0x08, 0x00, 0x00, 0x00,
                             0x01, 0x00,
                             0x12, 0x01, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00, orientation, 0x00, 0x00, 0x00,
                             0x00, 0x00, 0x00, 0x00]
        let payload = Array("Exif".utf8) + [0, 0] + tiff
        let app1: [UInt8] = [0xFF, 0xE1, UInt8((payload.count + 2) >> 8), UInt8((payload.count + 2) & 0xFF)] + payload
        return Array(jpeg.prefix(2)) + app1 + Array(jpeg.dropFirst(2))
    }
}
