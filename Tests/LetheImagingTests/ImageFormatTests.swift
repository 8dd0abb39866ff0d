import LetheImaging
import Testing

@Suite("Magic-byte sniffing")
struct ImageFormatTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let bytes: [UInt8]
        let expected: ImageFormat?
        var testDescription: String { name }
    }

    static func ftyp(_ major: String, compatible: [String] = []) -> [UInt8] {
        let size = 16 + 4 * compatible.count
        return HandMadePNG.bigEndian32(UInt32(size)) + Array("ftyp".utf8) + Array(major.utf8) + [0, 0, 0, 0]
            + compatible.flatMap { Array($0.utf8) } + [0, 0, 0, 8] + Array("meta".utf8)
    }

    static let cases: [Case] = [
        Case(name: "JPEG SOI + APP0", bytes: [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10], expected: .jpeg),
        Case(name: "JPEG SOI + DQT", bytes: [0xFF, 0xD8, 0xFF, 0xDB], expected: .jpeg),
        Case(name: "PNG signature", bytes: HandMadePNG.signature + [0, 0, 0, 13], expected: .png),
        Case(name: "WebP RIFF", bytes: Array("RIFF".utf8) + [0x24, 0, 0, 0] + Array("WEBPVP8 ".utf8), expected: .webp),
        Case(name: "HEIC major brand", bytes: ftyp("heic", compatible: ["mif1", "heic"]), expected: .heif),
        Case(name: "HEIF mif1 major", bytes: ftyp("mif1", compatible: ["heic"]), expected: .heif),
        Case(name: "AVIF major brand", bytes: ftyp("avif", compatible: ["mif1", "miaf"]), expected: .heif),
        Case(name: "HEIF brand only in compatible list", bytes: ftyp("isom", compatible: ["mp41", "heic"]), expected: .heif),
        Case(name: "MP4 video is not HEIF", bytes: ftyp("mp42", compatible: ["isom", "mp41"]), expected: nil),
        Case(name: "RIFF WAVE is not WebP", bytes: Array("RIFF".utf8) + [0x24, 0, 0, 0] + Array("WAVEfmt ".utf8), expected: nil),
        Case(name: "GIF", bytes: Array("GIF89a".utf8) + [1, 0, 1, 0], expected: nil),
        Case(name: "TIFF little-endian", bytes: [0x49, 0x49, 0x2A, 0x00, 8, 0, 0, 0], expected: nil),
        Case(name: "SVG", bytes: Array("<svg xmlns=\"http://www.w3.org/2000/svg\"/>".utf8), expected: nil),
        Case(name: "PDF", bytes: Array("%PDF-1.7\n".utf8), expected: nil),
        Case(name: "truncated PNG signature", bytes: [0x89, 0x50, 0x4E, 0x47], expected: nil),
        Case(name: "two bytes of JPEG", bytes: [0xFF, 0xD8], expected: nil),
        Case(name: "empty", bytes: [], expected: nil),
    ]

    @Test("sniff", arguments: cases)
    func sniff(_ testCase: Case) {
        let format = testCase.bytes.withUnsafeBytes { ImageFormat.sniff($0) }
        #expect(format == testCase.expected)
    }
}
