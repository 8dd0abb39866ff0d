/// The width and height a JPEG, PNG or WebP file declares in its header, read from the bytes
/// themselves before any decoder sees them.
///
/// libvips' WebP loader does not stop at the header: on a 280-byte lossless WebP declaring
/// 16383 × 16383 it spent 3.5 s and 1.1 GB before the worker could compare the size with
/// `--max-pixels`. Reading the declared size here lets the worker refuse such a file for the
/// cost of a few byte reads. libvips' own header values are still checked afterwards; a file
/// whose header cannot be read here is left to libvips. The gateway reads the same size to
/// reserve a photo's decoded bytes before an engine decodes it (`DecodeBudget`).
enum DeclaredSize {
    /// `(width, height)` as declared, or nil when the header is not where the format puts it.
    static func of(_ bytes: UnsafeRawBufferPointer, format: ImageFormat) -> (width: Int, height: Int)? {
        switch format {
        case .jpeg: jpeg(bytes)
        case .png: png(bytes)
        case .webp: webp(bytes)
        case .heif: nil
        }
    }

    /// ITU-T T.81 §B.2.2: the first SOFn segment holds precision (1 byte), then height and width,
    /// 2 bytes each, big-endian. Markers are found as libjpeg finds them (`JPEGScanCount`). A
    /// height of 0 (defined later by a DNL segment) or a scan before any frame header is nil.
    private static func jpeg(_ bytes: UnsafeRawBufferPointer) -> (width: Int, height: Int)? {
        guard bytes.count >= 2, bytes[0] == 0xFF, bytes[1] == 0xD8 else { return nil }
        var index = 2
        while let (marker, next) = JPEGScanCount.nextMarker(in: bytes, from: index) {
            index = next
            switch marker {
            case 0xD9, 0xDA:  // EOI or SOS before a frame header
                return nil
            case 0x01...0xBF, 0xD0...0xD8:  // no length (T.81 §B.1.1.3)
                continue
            default:
                guard index + 7 <= bytes.count else { return nil }
                // SOF0–SOF15 except DHT (C4), JPG (C8) and DAC (CC).
                if (0xC0...0xCF).contains(marker), ![0xC4, 0xC8, 0xCC].contains(marker) {
                    let height = Int(bytes[index + 3]) << 8 | Int(bytes[index + 4])
                    let width = Int(bytes[index + 5]) << 8 | Int(bytes[index + 6])
                    return height > 0 && width > 0 ? (width, height) : nil
                }
                let length = Int(bytes[index]) << 8 | Int(bytes[index + 1])
                index += 2 + max(0, length - 2)
            }
        }
        return nil
    }

    /// Width × height as declared (saturating at `Int.max`), or nil when the format is not
    /// recognised or its header cannot be read here (HEIF always).
    static func pixels(of bytes: UnsafeRawBufferPointer) -> Int? {
        guard let format = ImageFormat.sniff(bytes), let size = of(bytes, format: format) else { return nil }
        let (pixels, overflow) = size.width.multipliedReportingOverflow(by: size.height)
        return overflow ? .max : pixels
    }

    /// PNG spec §11.2.2: the first chunk is IHDR; width and height are 4-byte big-endian.
    private static func png(_ bytes: UnsafeRawBufferPointer) -> (width: Int, height: Int)? {
        guard bytes.count >= 24, Array(bytes[12..<16]) == Array("IHDR".utf8) else { return nil }
        return (bigEndian(bytes, at: 16), bigEndian(bytes, at: 20))
    }

    /// RFC 9649: the first chunk after `RIFF size WEBP` is VP8X (§2.7, canvas size), VP8L
    /// (§3.2.1 of the lossless bitstream) or VP8 (RFC 6386 §9.1, key frame header).
    private static func webp(_ bytes: UnsafeRawBufferPointer) -> (width: Int, height: Int)? {
        guard bytes.count >= 30 else { return nil }
        let data = 20
        switch String(decoding: UnsafeRawBufferPointer(rebasing: bytes[12..<16]), as: UTF8.self) {
        case "VP8X":
            // Flags (1 byte), reserved (3), then canvas width − 1 and height − 1, 24 bits each, little-endian.
            return (littleEndian(bytes, at: data + 4, count: 3) + 1, littleEndian(bytes, at: data + 7, count: 3) + 1)
        case "VP8L":
            // Signature 0x2f, then 14 bits of width − 1 and 14 bits of height − 1.
            guard bytes[data] == 0x2F else { return nil }
            let bits = littleEndian(bytes, at: data + 1, count: 4)
            return ((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1)
        case "VP8 ":
            // 3-byte frame tag, start code 9D 01 2A, then 14-bit width and height (2 scale bits each).
            guard bytes[data + 3] == 0x9D, bytes[data + 4] == 0x01, bytes[data + 5] == 0x2A else { return nil }
            return (littleEndian(bytes, at: data + 6, count: 2) & 0x3FFF, littleEndian(bytes, at: data + 8, count: 2) & 0x3FFF)
        default:
            return nil
        }
    }

    private static func bigEndian(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> Int {
        (0..<4).reduce(0) { $0 << 8 | Int(bytes[offset + $1]) }
    }

    private static func littleEndian(_ bytes: UnsafeRawBufferPointer, at offset: Int, count: Int) -> Int {
        (0..<count).reversed().reduce(0) { $0 << 8 | Int(bytes[offset + $1]) }
    }
}
