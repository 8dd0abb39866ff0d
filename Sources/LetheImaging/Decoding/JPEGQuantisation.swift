/// How hard a JPEG was compressed, read from its luminance quantisation table (the DQT segment
/// of table 0) before any pixel is decoded: the IJG quality (1–100, libjpeg's `-quality`) whose
/// scaled Annex K table (ITU-T T.81 K.1) has the same sum. libjpeg scales the table by
/// 5000 / q below 50 and by 200 − 2q above, so the ratio of the sums gives q back exactly for
/// an IJG-encoded file (within the rounding, and until entries clip at 1 above about q 97 or at
/// 255 below about q 15); another encoder's table reads as the IJG quality it quantises like.
public enum JPEGQuantisation {
    /// Annex K's luminance table, in natural (row-major) order.
    static let standardLuminance: [Int] = [
        16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56,
        14, 17, 22, 29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
        49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
    ]

    /// The equivalent IJG quality of `bytes`' table 0, or nil when the data has no readable one
    /// before its first scan (not a JPEG, truncated, a table of another precision than 8 or 16 bits).
    public static func equivalentQuality(in bytes: UnsafeRawBufferPointer) -> Double? {
        guard bytes.count >= 2, bytes[0] == 0xFF, bytes[1] == 0xD8 else { return nil }
        var index = 2
        while let (marker, next) = JPEGScanCount.nextMarker(in: bytes, from: index) {
            index = next
            switch marker {
            case 0xDA, 0xD9: return nil  // a scan or the end before table 0
            case 0x01...0xBF, 0xD0...0xD8: continue  // parameterless
            default:
                guard index + 1 < bytes.count else { return nil }
                let length = Int(bytes[index]) << 8 | Int(bytes[index + 1])
                let end = min(bytes.count, index + max(2, length))
                if marker == 0xDB, let sum = luminanceSum(bytes, from: index + 2, to: end) {
                    let scale = 100 * Double(sum) / Double(standardLuminance.reduce(0, +))
                    return scale <= 100 ? (200 - scale) / 2 : 5000 / scale
                }
                index = end
            }
        }
        return nil
    }

    /// The sum of table 0's 64 entries among the DQT segment's tables in `from..<to`. The sum
    /// needs no zigzag order: it is the same in any.
    private static func luminanceSum(_ bytes: UnsafeRawBufferPointer, from start: Int, to end: Int) -> Int? {
        var index = start
        while index < end {
            let precision = bytes[index] >> 4, table = bytes[index] & 0x0F
            let entryBytes = precision == 0 ? 1 : 2
            index += 1
            guard precision <= 1, index + 64 * entryBytes <= end else { return nil }
            if table == 0 {
                var sum = 0
                for k in 0..<64 {
                    sum += entryBytes == 1 ? Int(bytes[index + k]) : Int(bytes[index + 2 * k]) << 8 | Int(bytes[index + 2 * k + 1])
                }
                return sum
            }
            index += 64 * entryBytes
        }
        return nil
    }
}
