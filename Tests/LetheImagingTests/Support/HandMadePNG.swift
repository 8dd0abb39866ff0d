/// Builds PNG files byte by byte (PNG spec, ISO/IEC 15948), so that tests control exactly what
/// the header declares and what the pixel data holds — including layouts `ImageEncoder` never
/// writes (grey, alpha, 16-bit) and headers that lie.
enum HandMadePNG {
    /// PNG colour types (ISO/IEC 15948 §11.2.2, IHDR).
    enum ColourType: UInt8 {
        case grey = 0, rgb = 2, greyAlpha = 4, rgba = 6

        var channels: Int {
            switch self {
            case .grey: 1
            case .rgb: 3
            case .greyAlpha: 2
            case .rgba: 4
            }
        }
    }

    static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// A complete PNG. `samples` holds `width * height * channels` samples, row-major; each sample
    /// is written big-endian with `bitDepth` (8 or 16) bits.
    static func make(width: Int, height: Int, colourType: ColourType, bitDepth: Int = 8, samples: [UInt16]) -> [UInt8] {
        precondition(samples.count == width * height * colourType.channels)
        var raw: [UInt8] = []
        raw.reserveCapacity(height * (1 + width * colourType.channels * bitDepth / 8))
        for row in 0..<height {
            raw.append(0)  // filter type None
            for index in row * width * colourType.channels..<(row + 1) * width * colourType.channels {
                if bitDepth == 16 {
                    raw.append(UInt8(samples[index] >> 8))
                    raw.append(UInt8(samples[index] & 0xFF))
                } else {
                    raw.append(UInt8(samples[index]))
                }
            }
        }
        return signature
            + chunk("IHDR", header(width: width, height: height, bitDepth: bitDepth, colourType: colourType))
            + chunk("IDAT", zlibStored(raw))
            + chunk("IEND", [])
    }

    /// A PNG whose IHDR declares `width × height` but whose IDAT holds only a few bytes: a decoder
    /// that looked at pixels would fail, one that checks the header first never gets there.
    static func headerOnly(width: Int, height: Int) -> [UInt8] {
        signature
            + chunk("IHDR", header(width: width, height: height, bitDepth: 8, colourType: .rgb))
            + chunk("IDAT", zlibStored([0, 0, 0, 0]))
            + chunk("IEND", [])
    }

    static func header(width: Int, height: Int, bitDepth: Int, colourType: ColourType) -> [UInt8] {
        bigEndian32(UInt32(width)) + bigEndian32(UInt32(height))
            + [UInt8(bitDepth), colourType.rawValue, 0, 0, 0]  // compression, filter, interlace
    }

    /// Length, type, data, CRC-32 over type and data (ISO/IEC 15948 §5.3).
    static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let typeBytes = Array(type.utf8)
        return bigEndian32(UInt32(data.count)) + typeBytes + data + bigEndian32(CRC32.checksum(typeBytes + data))
    }

    /// A zlib stream (RFC 1950) of stored deflate blocks (RFC 1951 §3.2.4): no compression needed.
    static func zlibStored(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x78, 0x01]
        var offset = 0
        repeat {
            let length = min(65_535, data.count - offset)
            let final: UInt8 = offset + length >= data.count ? 1 : 0
            out.append(final)
            out += [UInt8(length & 0xFF), UInt8(length >> 8), UInt8(~length & 0xFF), UInt8((~length >> 8) & 0xFF)]
            out += data[offset..<offset + length]
            offset += length
        } while offset < data.count
        return out + bigEndian32(adler32(data))
    }

    static func adler32(_ data: [UInt8]) -> UInt32 {
        var a: UInt32 = 1, b: UInt32 = 0
        for byte in data {
            a = (a + UInt32(byte)) % 65_521
            b = (b + a) % 65_521
        }
        return b << 16 | a
    }

    static func bigEndian32(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
    }
}

/// CRC-32 as used by PNG and zlib (ISO/IEC 15948 Annex D; reflected polynomial 0xEDB88320).
enum CRC32 {
    private static let table: [UInt32] = (0..<256).map { index in
        var value = UInt32(index)
        for _ in 0..<8 { value = value & 1 == 1 ? 0xEDB8_8320 ^ (value >> 1) : value >> 1 }
        return value
    }

    static func checksum(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        return crc ^ 0xFFFF_FFFF
    }
}
