import Foundation
import LetheAPI
import LetheAnalysis
import LetheMemory

/// Puts rendered images into the JSON result without ever holding them in ordinary memory: the
/// result is encoded with a short random placeholder where each image goes, then the final
/// JSON is assembled in an arena buffer with each image base64-encoded (RFC 4648 §4) straight
/// from its `.rendering` buffer into the gap.
struct EmbeddedImages {
    private var entries: [(token: [UInt8], image: SecureBuffer)] = []

    var isEmpty: Bool { entries.isEmpty }

    /// A placeholder `Data` for `image`: 24 random bytes, so its base64 has no padding and no
    /// chance of appearing anywhere else in the JSON.
    mutating func placeholder(for image: SecureBuffer) -> Data {
        var generator = SystemRandomNumberGenerator()
        let bytes = Data((0..<24).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
        // JSONEncoder writes Data as base64 and escapes "/" as "\/": search for that exact form.
        let json = String(decoding: (try? JSONEncoder().encode(bytes)) ?? Data(), as: UTF8.self)
        entries.append((Array(json.utf8.dropFirst().dropLast()), image))
        return bytes
    }

    /// The wire form of a rendered image, with a placeholder for its bytes.
    mutating func wire(_ image: SimulationRendering.Image) -> SimulationImage {
        SimulationImage(mediaType: image.mediaType, width: image.width, height: image.height, data: placeholder(for: image.encoded))
    }

    /// The JSON of `json` with every placeholder replaced by its image in base64, in a new
    /// `.response` buffer; `json` and the encoded images, copied into it, are released (wiped).
    func splice(_ json: SecureBuffer, arena: PlaintextArena) throws(LetheError) -> SecureBuffer {
        defer {
            arena.release(json)
            for entry in entries { arena.release(entry.image) }
        }
        // Positions of the placeholders, in order of appearance.
        var found: [(offset: Int, index: Int)] = []
        json.withUnsafeBytes { bytes in
            for (index, entry) in entries.enumerated() {
                if let offset = bytes.firstOffset(of: entry.token, in: 0..<bytes.count) { found.append((offset, index)) }
            }
        }
        found.sort { $0.offset < $1.offset }
        let total = json.count + found.reduce(0) { sum, item in
            sum + Self.base64Length(entries[item.index].image.count) - entries[item.index].token.count
        }
        let output = try arena.allocate(count: total, bufferClass: .response)
        json.withUnsafeBytes { source in
            output.withUnsafeMutableBytes { target in
                var read = 0, write = 0
                for (offset, index) in found {
                    let prefix = offset - read
                    target.baseAddress!.advanced(by: write).copyMemory(from: source.baseAddress!.advanced(by: read), byteCount: prefix)
                    write += prefix
                    let image = entries[index].image
                    write += image.withUnsafeBytes { Self.base64(UnsafeRawBufferPointer($0), into: UnsafeMutableRawBufferPointer(rebasing: target[write...])) }
                    read = offset + entries[index].token.count
                }
                target.baseAddress!.advanced(by: write).copyMemory(from: source.baseAddress!.advanced(by: read), byteCount: source.count - read)
            }
        }
        return output
    }

    static func base64Length(_ count: Int) -> Int { (count + 2) / 3 * 4 }

    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// Standard base64 with padding (RFC 4648 §4) of `source` into `target`; returns bytes written.
    static func base64(_ source: UnsafeRawBufferPointer, into target: UnsafeMutableRawBufferPointer) -> Int {
        var write = 0, read = 0
        while read + 3 <= source.count {
            let value = UInt32(source[read]) << 16 | UInt32(source[read + 1]) << 8 | UInt32(source[read + 2])
            target[write] = alphabet[Int((value >> 18) & 63)]
            target[write + 1] = alphabet[Int((value >> 12) & 63)]
            target[write + 2] = alphabet[Int((value >> 6) & 63)]
            target[write + 3] = alphabet[Int(value & 63)]
            write += 4
            read += 3
        }
        let rest = source.count - read
        if rest > 0 {
            let value = UInt32(source[read]) << 16 | (rest == 2 ? UInt32(source[read + 1]) << 8 : 0)
            target[write] = alphabet[Int((value >> 18) & 63)]
            target[write + 1] = alphabet[Int((value >> 12) & 63)]
            target[write + 2] = rest == 2 ? alphabet[Int((value >> 6) & 63)] : UInt8(ascii: "=")
            target[write + 3] = UInt8(ascii: "=")
            write += 4
        }
        return write
    }
}
