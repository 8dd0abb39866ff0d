import CVips
@testable import LetheImaging
import LetheMemory
import LetheTestSupport
import Testing

/// Layouts other than 8-bit RGB end up in the canonical 8-bit sRGB layout; the expected values
/// follow from the PNG samples the test writes itself.
@Suite("Conversion to canonical RGB8")
struct ImageConversionTests {
    @Test("8-bit grey is expanded to three equal channels")
    func greyExpanded() throws {
        let width = 16, height = 8
        let samples = (0..<width * height).map { UInt16(($0 * 7) % 256) }
        let png = HandMadePNG.make(width: width, height: height, colourType: .grey, samples: samples)
        let arena = PlaintextArena()
        let image = try ImageDecoder.decode(png, arena: arena)
        let pixels = image.pixelArray
        for index in 0..<width * height {
            let value = UInt8(samples[index])
            #expect(pixels[3 * index] == value && pixels[3 * index + 1] == value && pixels[3 * index + 2] == value)
        }
        #expect(arena.wipeAll().verified)
    }

    @Test("16-bit RGB keeps the high byte")
    func sixteenBitReduced() throws {
        let width = 12, height = 6
        let high = (0..<width * height * 3).map { UInt16(($0 * 13 + 5) % 256) }
        // v × 257 maps 8-bit v to the 16-bit value that represents the same intensity.
        let png = HandMadePNG.make(width: width, height: height, colourType: .rgb, bitDepth: 16, samples: high.map { $0 * 257 })
        let arena = PlaintextArena()
        let image = try ImageDecoder.decode(png, arena: arena)
        #expect(image.pixelArray == high.map { UInt8($0) })
        #expect(arena.wipeAll().verified)
    }

    @Test("RGBA is flattened over white", arguments: [HandMadePNG.ColourType.rgba, .greyAlpha])
    func alphaFlattenedOverWhite(colourType: HandMadePNG.ColourType) throws {
        let width = 8, height = 4
        let alphas: [UInt16] = [0, 64, 128, 255]
        var samples: [UInt16] = []
        var expected: [UInt8] = []
        for row in 0..<height {
            for column in 0..<width {
                let colour: [UInt16] = colourType == .rgba ? [200, UInt16(column * 30), 10] : [UInt16(column * 30)]
                let alpha = alphas[row]
                samples += colour + [alpha]
                let rgb = colourType == .rgba ? colour : [colour[0], colour[0], colour[0]]
                for value in rgb {
                    let blended = (Double(value) * Double(alpha) + 255 * (255 - Double(alpha))) / 255
                    expected.append(UInt8(blended.rounded()))
                }
            }
        }
        let png = HandMadePNG.make(width: width, height: height, colourType: colourType, samples: samples)
        let arena = PlaintextArena()
        let image = try ImageDecoder.decode(png, arena: arena)
        let decoded = image.pixelArray
        let worst = zip(decoded, expected).map { abs(Int($0) - Int($1)) }.max() ?? 0
        #expect(worst <= 1, "largest deviation \(worst)")
        #expect(arena.wipeAll().verified)
    }

    @Test("EXIF orientation 6 (rotate 90° clockwise) is applied")
    func exifOrientationApplied() throws {
        // Quadrants: red top-left, green top-right, blue bottom-left, white bottom-right.
        let width = 64, height = 32
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for y in 0..<height {
            for x in 0..<width {
                let colour: [UInt8] = switch (x < width / 2, y < height / 2) {
                case (true, true): [255, 0, 0]
                case (false, true): [0, 255, 0]
                case (true, false): [0, 0, 255]
                case (false, false): [255, 255, 255]
                }
                pixels.replaceSubrange((y * width + x) * 3..<(y * width + x) * 3 + 3, with: colour)
            }
        }
        let jpeg = try pixels.withUnsafeBytes { try ImageEncoder.encode($0, width: width, height: height, as: .jpeg, quality: 95) }
        let oriented = JPEGSegments.oriented(jpeg, 6)

        let arena = PlaintextArena()
        let image = try ImageDecoder.decode(oriented, arena: arena)
        #expect(image.width == height && image.height == width)
        let decoded = image.pixelArray
        func pixel(_ x: Int, _ y: Int) -> [Int] { (0..<3).map { Int(decoded[(y * image.width + x) * 3 + $0]) } }
        func near(_ a: [Int], _ b: [Int]) -> Bool { zip(a, b).allSatisfy { abs($0 - $1) < 40 } }
        // After a clockwise quarter turn the old bottom-left (blue) is top-left, old top-left (red) top-right.
        #expect(near(pixel(image.width / 4, image.height / 4), [0, 0, 255]))
        #expect(near(pixel(3 * image.width / 4, image.height / 4), [255, 0, 0]))
        #expect(near(pixel(image.width / 4, 3 * image.height / 4), [255, 255, 255]))
        #expect(near(pixel(3 * image.width / 4, 3 * image.height / 4), [0, 255, 0]))
        #expect(arena.wipeAll().verified)
    }

    /// libvips' own reading of `jpeg`: decoded whole into its memory (random access) and turned
    /// by `vips_autorot`, written out as bytes: the reference the decoder's strip pull is held to.
    /// A decode without a deadline, as the decoder's own are marked: libjpeg's monitor stops a
    /// deadline-less decompression on libvips' worker threads once every live deadline in the
    /// process has passed — another test's request, expired on purpose, would stop this one.
    static func libvipsAutorot(_ jpeg: [UInt8]) throws -> (width: Int, height: Int, pixels: [UInt8]) {
        try VipsRuntime.ensureStarted()
        let read = ProcessingDeadline.runningCodecWithoutDeadline { () -> (width: Int, height: Int, pixels: [UInt8])? in
            jpeg.withUnsafeBytes { raw in
                var loaded: UnsafeMutablePointer<VipsImage>?, turned: UnsafeMutablePointer<VipsImage>?
                defer { lethe_vips_unref(loaded); lethe_vips_unref(turned) }
                guard lethe_vips_jpegload_buffer(raw.baseAddress, raw.count, &loaded, 0, 0) == 0, let loaded,
                      lethe_vips_autorot(loaded, &turned) == 0, let turned
                else { return nil }
                var size = 0
                guard let memory = vips_image_write_to_memory(turned, &size) else { return nil }
                defer { lethe_vips_g_free(memory) }
                let width = Int(vips_image_get_width(turned)), height = Int(vips_image_get_height(turned))
                return (width, height, Array(UnsafeRawBufferPointer(start: memory, count: size)))
            }
        }
        guard let read else { throw LetheError.internalError }
        return read
    }

    @Test("every EXIF orientation shows the stored pixels as libvips' autorot does, byte for byte, while the load stays sequential", arguments: 1...8)
    func orientationsMatchLibvips(orientation: Int) throws {
        // Odd, unequal sides, so that a swapped axis or an off-by-one mirror shows.
        let width = 53, height = 29
        let pixels = TestImages.gradient(width: width, height: height, noise: 30, seed: UInt64(orientation))
        let jpeg = try pixels.withUnsafeBytes { try ImageEncoder.encode($0, width: width, height: height, as: .jpeg, quality: 90) }
        let tagged = JPEGSegments.oriented(jpeg, UInt8(orientation))
        let reference = try Self.libvipsAutorot(tagged)
        let arena = PlaintextArena()
        let image = try ImageDecoder.decode(tagged, arena: arena)
        #expect(image.width == reference.width && image.height == reference.height)
        #expect((image.width, image.height) == (orientation >= 5 ? (height, width) : (width, height)))
        let decoded = image.pixelArray
        let differing = zip(decoded, reference.pixels).filter { $0 != $1 }.count
        #expect(decoded.count == reference.pixels.count && differing == 0, "\(differing) samples differ")
        #expect(arena.wipeAll().verified)
    }
}
