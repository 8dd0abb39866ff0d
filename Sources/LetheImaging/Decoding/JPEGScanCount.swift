/// Counts the scans (SOS segments) of a JPEG before libjpeg sees it.
///
/// libjpeg walks every block of the image again for each scan of a progressive JPEG, and it only
/// warns about a bogus progression (ITU-T T.81 §G.1.1.1.1), so a small file that repeats a tiny
/// scan thousands of times keeps a core busy for a minute. Real encoders write at most a few
/// dozen scans (libjpeg's default progression has 10, mozjpeg's about 20); the decoder refuses
/// more than `DecodeLimits.maxJPEGScans` before decoding a pixel.
enum JPEGScanCount {
    /// The number of SOS markers, following segment lengths (T.81 §B.1.1.4) and skipping
    /// entropy-coded data up to the next marker that is neither byte stuffing (`FF 00`) nor a
    /// restart marker (`FF D0`–`FF D7`). Stops early, returning what it counted, at EOI, at
    /// anything that is not a marker, or once `limit` is exceeded; libjpeg judges the rest.
    static func scans(in bytes: UnsafeRawBufferPointer, stoppingAfter limit: Int) -> Int {
        var scans = 0
        var index = 2  // after SOI
        while index + 3 < bytes.count, scans <= limit {
            guard bytes[index] == 0xFF else { return scans }
            let marker = bytes[index + 1]
            if marker == 0xFF { index += 1; continue }  // fill bytes before a marker (T.81 §B.1.1.2)
            if marker == 0xD9 { return scans }  // EOI
            if marker == 0x01 || (0xD0...0xD7).contains(marker) { index += 2; continue }  // no length
            let length = Int(bytes[index + 2]) << 8 | Int(bytes[index + 3])
            guard length >= 2 else { return scans }
            index += 2 + length
            guard marker == 0xDA else { continue }
            scans += 1
            while index + 1 < bytes.count {
                if bytes[index] == 0xFF, bytes[index + 1] != 0x00, !(0xD0...0xD7).contains(bytes[index + 1]) { break }
                index += 1
            }
        }
        return scans
    }
}
