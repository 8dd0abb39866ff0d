/// Builds matrix/TRC ICC v2 display profiles byte by byte (ICC.1:2001-04: header §6.1, tag table
/// §6.2, XYZType §6.5.26, curveType §6.5.3), so that a test knows exactly what a profile says.
enum HandMadeICC {
    /// The sRGB primaries adapted to the D50 connection space, as in the IEC 61966-2-1 profile.
    static let srgbRed = (0.4361, 0.2225, 0.0139), srgbGreen = (0.3851, 0.7169, 0.0971), srgbBlue = (0.1431, 0.0606, 0.7141)
    static let d50 = (0.9642, 1.0, 0.8249)

    /// A profile with the given primaries (XYZ, D50) and one gamma curve for all three channels.
    static func profile(
        red: (Double, Double, Double), green: (Double, Double, Double), blue: (Double, Double, Double), gamma: Double
    ) -> [UInt8] {
        let tags: [(String, [UInt8])] = [
            ("wtpt", xyz(d50)), ("rXYZ", xyz(red)), ("gXYZ", xyz(green)), ("bXYZ", xyz(blue)),
            ("rTRC", curve(gamma)), ("gTRC", curve(gamma)), ("bTRC", curve(gamma)),
        ]
        let dataStart = 128 + 4 + 12 * tags.count
        var table: [UInt8] = [], data: [UInt8] = []
        for (signature, body) in tags {
            table += Array(signature.utf8) + HandMadePNG.bigEndian32(UInt32(dataStart + data.count)) + HandMadePNG.bigEndian32(UInt32(body.count))
            data += body
            while data.count % 4 != 0 { data.append(0) }
        }
        let size = dataStart + data.count
        var header = HandMadePNG.bigEndian32(UInt32(size)) + [UInt8](repeating: 0, count: 4) + [2, 0x10, 0, 0]
        header += Array("mntrRGB XYZ ".utf8) + [UInt8](repeating: 0, count: 12) + Array("acsp".utf8)
        header += [UInt8](repeating: 0, count: 28) + s15Fixed16(d50.0) + s15Fixed16(d50.1) + s15Fixed16(d50.2)
        header += [UInt8](repeating: 0, count: 128 - header.count)
        return header + HandMadePNG.bigEndian32(UInt32(tags.count)) + table + data
    }

    static func xyz(_ value: (Double, Double, Double)) -> [UInt8] {
        Array("XYZ ".utf8) + [0, 0, 0, 0] + s15Fixed16(value.0) + s15Fixed16(value.1) + s15Fixed16(value.2)
    }

    /// A one-entry curve: a pure gamma in u8Fixed8Number.
    static func curve(_ gamma: Double) -> [UInt8] {
        let encoded = UInt16((gamma * 256).rounded())
        return Array("curv".utf8) + [0, 0, 0, 0] + HandMadePNG.bigEndian32(1) + [UInt8(encoded >> 8), UInt8(encoded & 0xFF)]
    }

    static func s15Fixed16(_ value: Double) -> [UInt8] {
        HandMadePNG.bigEndian32(UInt32(bitPattern: Int32((value * 65536).rounded())))
    }
}
