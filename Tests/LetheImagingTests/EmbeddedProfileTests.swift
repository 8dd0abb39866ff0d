import CVips
import Foundation
@testable import LetheImaging
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

    /// The ICC profile embedded in a fixture, read by libvips' own loader.
    static func embeddedProfile(_ fixture: String) throws -> [UInt8]? {
        let file = [UInt8](try Data(contentsOf: Repository.fixture(fixture)))
        let arena = PlaintextArena()
        _ = try ImageDecoder.decode(file, arena: arena)  // libvips started
        #expect(arena.wipeAll().verified)
        return file.withUnsafeBytes { bytes -> [UInt8]? in
            let loaded = VipsImageHandle.make { output in
                fixture.hasSuffix(".png")
                    ? lethe_vips_pngload_buffer(bytes.baseAddress!, bytes.count, output, 0, 1)
                    : lethe_vips_jpegload_buffer(bytes.baseAddress!, bytes.count, output, 0, 1)
            }
            var data: UnsafeRawPointer?
            var length = 0
            guard let loaded, vips_image_get_blob(loaded.pointer, VIPS_META_ICC_NAME, &data, &length) == 0, let data else { return nil }
            return [UInt8](UnsafeRawBufferPointer(start: data, count: length))
        }
    }

    @Test("every profile listed as sRGB is one a fixture carries, and the probe finds it sRGB")
    func listedProfilesProbed() throws {
        var probed: Set<String> = []
        for fixture in ["astronaut.png", "obama_face.png", "obama.jpg", "biden.jpg", "grace_hopper.jpg"] {
            guard let profile = try Self.embeddedProfile(fixture) else { continue }
            let digest = try #require(profile.withUnsafeBytes { EmbeddedProfile.digest($0) })
            let isSRGB = profile.withUnsafeBytes { EmbeddedProfile.probeMapsToItself(profile: $0) }
            #expect(isSRGB, "\(fixture)'s profile")
            if isSRGB { probed.insert(digest) }
        }
        #expect(!probed.isEmpty)
        #expect(EmbeddedProfile.probedSRGBDigests.isSubset(of: probed), "listed without a fixture to probe it: \(EmbeddedProfile.probedSRGBDigests.subtracting(probed))")
    }

    @Test("a listed profile's digest is the SHA-256 of its bytes; one byte changed is not listed")
    func digestOfBytes() throws {
        var profile = try #require(try Self.embeddedProfile("astronaut.png"))
        #expect(profile.withUnsafeBytes { EmbeddedProfile.digest($0) }.map(EmbeddedProfile.probedSRGBDigests.contains) == true)
        // FIPS 180-2's first example: SHA-256("abc").
        #expect(Array("abc".utf8).withUnsafeBytes { EmbeddedProfile.digest($0) } == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        profile[profile.count - 1] ^= 1
        #expect(profile.withUnsafeBytes { EmbeddedProfile.digest($0) }.map(EmbeddedProfile.probedSRGBDigests.contains) == false)
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
