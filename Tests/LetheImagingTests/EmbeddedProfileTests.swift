import Foundation
import LetheImaging
import LetheMemory
import LetheTestSupport
import Testing

/// The embedded ICC profile: a photo in sRGB keeps its samples (the transform would only round
/// them), a photo in any other space is converted to sRGB through its profile.
@Suite("Embedded ICC profiles")
struct EmbeddedProfileTests {
    @Test("a photo tagged with an sRGB profile decodes to the same pixels as without it")
    func srgbProfileKeepsSamples() throws {
        // The fixture carries the common IEC 61966-2.1 profile (3,144 bytes, HP's v2 sRGB).
        let tagged = [UInt8](try Data(contentsOf: Repository.fixture("astronaut.png")))
        let untagged = Self.removingChunks("iCCP", from: tagged)
        #expect(untagged.count < tagged.count - 1000, "the fixture's iCCP chunk was found and removed")
        let arena = PlaintextArena()
        let withProfile = try ImageDecoder.decode(tagged, arena: arena).pixelArray
        let withoutProfile = try ImageDecoder.decode(untagged, arena: arena).pixelArray
        #expect(withProfile == withoutProfile)
        #expect(arena.wipeAll().verified)
    }

    @Test("a profile other than sRGB is applied: one with red and blue primaries exchanged swaps them")
    func otherProfileApplied() throws {
        let swapped = HandMadeICC.profile(red: HandMadeICC.srgbBlue, green: HandMadeICC.srgbGreen, blue: HandMadeICC.srgbRed, gamma: 2.2)
        let samples: [UInt16] = [255, 0, 0, 0, 0, 255, 0, 255, 0]
        let png = Self.inserting(Self.iccpChunk(swapped), into: HandMadePNG.make(width: 3, height: 1, colourType: .rgb, samples: samples))
        let arena = PlaintextArena()
        let pixels = try ImageDecoder.decode(png, arena: arena).pixelArray
        let expected: [UInt8] = [0, 0, 255, 255, 0, 0, 0, 255, 0]
        let worst = zip(pixels, expected).map { abs(Int($0) - Int($1)) }.max() ?? 0
        #expect(worst <= 2, "decoded \(pixels)")
        #expect(arena.wipeAll().verified)
    }

    @Test("a profile close to sRGB but with another tone curve is applied")
    func nearProfileApplied() throws {
        // sRGB's primaries with a pure 1.8 gamma: mid-grey 128 is lighter in this space.
        let profile = HandMadeICC.profile(red: HandMadeICC.srgbRed, green: HandMadeICC.srgbGreen, blue: HandMadeICC.srgbBlue, gamma: 1.8)
        let png = Self.inserting(Self.iccpChunk(profile), into: HandMadePNG.make(width: 1, height: 1, colourType: .rgb, samples: [128, 128, 128]))
        let arena = PlaintextArena()
        let pixels = try ImageDecoder.decode(png, arena: arena).pixelArray
        #expect(pixels.allSatisfy { $0 > 140 }, "decoded \(pixels)")
        #expect(arena.wipeAll().verified)
    }

    /// An iCCP chunk (ISO/IEC 15948 §11.3.3.3): name, NUL, compression method 0, zlib stream.
    static func iccpChunk(_ profile: [UInt8]) -> [UInt8] {
        HandMadePNG.chunk("iCCP", Array("test".utf8) + [0, 0] + HandMadePNG.zlibStored(profile))
    }

    /// `chunk` placed right after IHDR (the signature's 8 bytes and IHDR's 25).
    static func inserting(_ chunk: [UInt8], into png: [UInt8]) -> [UInt8] {
        Array(png[..<33]) + chunk + Array(png[33...])
    }

    /// The PNG without its chunks of `type`.
    static func removingChunks(_ type: String, from png: [UInt8]) -> [UInt8] {
        var kept = Array(png[..<8])
        var offset = 8
        while offset + 12 <= png.count {
            let length = png[offset..<offset + 4].reduce(0) { $0 << 8 | Int($1) }
            let end = offset + 12 + length
            if String(decoding: png[offset + 4..<offset + 8], as: UTF8.self) != type { kept += png[offset..<end] }
            offset = end
        }
        return kept
    }
}
