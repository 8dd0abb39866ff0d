import Foundation
import LetheImaging
import LetheMemory
import Testing

/// The re-capture generator of `lethe bench --repeatability`: its geometry, light and draws.
@Suite("Re-captures")
struct RecaptureTests {
    /// A mid-grey `width × height` image (sRGB code 150) with a black square of side 5 centred on `marker`.
    static func greyWithMarker(width: Int, height: Int, marker: (x: Int, y: Int), arena: PlaintextArena) throws -> DecodedImage {
        let buffer = try arena.allocate(count: width * height * 3, bufferClass: .pixels)
        buffer.withUnsafeMutableBytes { bytes in
            for y in 0..<height {
                for x in 0..<width {
                    let inMarker = abs(x - marker.x) <= 2 && abs(y - marker.y) <= 2
                    for c in 0..<3 { bytes[(y * width + x) * 3 + c] = inMarker ? 0 : 150 }
                }
            }
        }
        return DecodedImage(width: width, height: height, format: .png, pixels: buffer)
    }

    /// Darkness-weighted centroid of the pixels clearly darker than the grey.
    static func markerCentroid(_ image: DecodedImage, grey: Double = 150) -> (x: Double, y: Double) {
        image.pixels.withUnsafeBytes { bytes in
            var (sumX, sumY, total) = (0.0, 0.0, 0.0)
            for y in 0..<image.height {
                for x in 0..<image.width {
                    let darkness = grey - Double(bytes[(y * image.width + x) * 3 + 1])
                    guard darkness > 20 else { continue }
                    sumX += darkness * Double(x)
                    sumY += darkness * Double(y)
                    total += darkness
                }
            }
            return (sumX / total, sumY / total)
        }
    }

    static func linear(_ code: Double) -> Double {
        let v = code / 255
        return v <= 0.04045 ? v / 12.92 : pow((v + 0.055) / 1.055, 2.4)
    }

    /// Mean linear light of each channel over the image's central quarter.
    static func centralLinearMeans(_ image: DecodedImage) -> [Double] {
        image.pixels.withUnsafeBytes { bytes in
            var sums = [0.0, 0.0, 0.0], count = 0.0
            for y in (image.height / 4)..<(3 * image.height / 4) {
                for x in (image.width / 4)..<(3 * image.width / 4) {
                    for c in 0..<3 { sums[c] += linear(Double(bytes[(y * image.width + x) * 3 + c])) }
                    count += 1
                }
            }
            return sums.map { $0 / count }
        }
    }

    @Test(
        "a marker lands where scale, rotation and shift about the centre put it",
        arguments: [
            Recapture(scale: 1.2, rotationDegrees: 5, shiftXFraction: 0.05, shiftYFraction: -0.03, exposureEV: 0, whiteBalanceShift: 0, jpegQuality: 95),
            Recapture(scale: 0.8, rotationDegrees: -5, shiftXFraction: -0.04, shiftYFraction: 0.05, exposureEV: 0, whiteBalanceShift: 0, jpegQuality: 75),
            Recapture(scale: 1, rotationDegrees: 90, shiftXFraction: 0, shiftYFraction: 0, exposureEV: 0, whiteBalanceShift: 0, jpegQuality: 95),
        ])
    func markerGeometry(recapture: Recapture) throws {
        let arena = PlaintextArena()
        defer { _ = arena.wipeAll() }
        let (width, height, marker) = (240, 180, (x: 60, y: 50))
        let image = try Self.greyWithMarker(width: width, height: height, marker: marker, arena: arena)
        let captured = try recapture.render(image, arena: arena)
        #expect(captured.width == width && captured.height == height)
        let expected = recapture.map(x: Double(marker.x), y: Double(marker.y), width: width, height: height)
        let found = Self.markerCentroid(captured)
        #expect(abs(found.x - expected.x) < 1 && abs(found.y - expected.y) < 1, "marker at \(found), expected \(expected)")
        if recapture.rotationDegrees == 90 {
            // By hand: centre (119.5, 89.5); (60, 50) is (−59.5, −39.5) from it; +90° in image axes
            // (x → y) turns that into (39.5, −59.5): (159, 30).
            #expect(abs(expected.x - 159) < 1e-9 && abs(expected.y - 30) < 1e-9)
        }
    }

    /// A grey ramp (codes 60–179 across) rather than one grey: 8-bit rounding of a single level moves a
    /// channel by up to 1 % of linear light, while over a ramp the roundings average out. The camera's
    /// JPEG (chroma quantised) still leaves under 1 % on red and blue.
    @Test("exposure and white balance scale linear light: +⅓ EV is ×2^⅓, a +4 % shift is red ×1.04, blue ×0.96")
    func light() throws {
        let arena = PlaintextArena()
        defer { _ = arena.wipeAll() }
        let (width, height) = (120, 120)
        let buffer = try arena.allocate(count: width * height * 3, bufferClass: .pixels)
        buffer.withUnsafeMutableBytes { bytes in
            for i in 0..<(width * height) { for c in 0..<3 { bytes[i * 3 + c] = UInt8(60 + i % width) } }
        }
        let image = DecodedImage(width: width, height: height, format: .png, pixels: buffer)
        let recapture = Recapture(scale: 1, rotationDegrees: 0, shiftXFraction: 0, shiftYFraction: 0, exposureEV: 1.0 / 3, whiteBalanceShift: 0.04, jpegQuality: 95)
        let before = Self.centralLinearMeans(image)[1]
        let means = Self.centralLinearMeans(try recapture.render(image, arena: arena))
        #expect(abs(means[1] / before - pow(2, 1.0 / 3)) < 0.01, "green ×\(means[1] / before)")
        #expect(abs(means[0] / means[1] - 1.04) < 0.01, "red/green \(means[0] / means[1])")
        #expect(abs(means[2] / means[1] - 0.96) < 0.01, "blue/green \(means[2] / means[1])")
    }

    @Test("a frame patch stays where the frame has it whatever the geometry, in its own codes, and leaves the rest of the capture as it was")
    func framePatch() throws {
        let arena = PlaintextArena()
        defer { _ = arena.wipeAll() }
        let (width, height) = (240, 180)
        let image = try Self.greyWithMarker(width: width, height: height, marker: (x: 60, y: 50), arena: arena)
        // Zoomed, turned and shifted: the marker moves, the patch (the top-right corner, one side
        // past the frame: clipped) does not.
        let recapture = Recapture(scale: 1.2, rotationDegrees: 5, shiftXFraction: 0.05, shiftYFraction: -0.03, exposureEV: 0, whiteBalanceShift: 0, jpegQuality: 90)
        let patch = FramePatch(x0: 192, y0: -8, x1: 248, y1: 40, codes: [90, 180, 200])
        let plain = try recapture.render(image, arena: arena)
        let patched = try recapture.render(image, patch: patch, arena: arena)
        plain.pixels.withUnsafeBytes { before in
            patched.pixels.withUnsafeBytes { after in
                var inside: [[Int]] = [[], [], []], movedOutside = 0
                for y in 0..<height {
                    for x in 0..<width {
                        let i = (y * width + x) * 3
                        // Away from the patch's edges by more than the JPEG's 16-pixel blocks.
                        if x >= 196, y <= 36 {
                            for c in 0..<3 { inside[c].append(Int(after[i + c])) }
                        } else if x < 192 - 16 || y >= 40 + 16 {
                            if (0..<3).contains(where: { before[i + $0] != after[i + $0] }) { movedOutside += 1 }
                        }
                    }
                }
                for c in 0..<3 {
                    let mean = Double(inside[c].reduce(0, +)) / Double(inside[c].count)
                    #expect(abs(mean - Double(patch.codes[c])) < 2, "channel \(c): mean \(mean), drawn \(patch.codes[c])")
                }
                #expect(movedOutside == 0, "\(movedOutside) pixels away from the patch changed")
            }
        }
        // The marker where the geometry puts it, as without the patch.
        let expected = recapture.map(x: 60, y: 50, width: width, height: height), found = Self.markerCentroid(patched)
        #expect(abs(found.x - expected.x) < 1 && abs(found.y - expected.y) < 1, "marker at \(found), expected \(expected)")
    }

    @Test("draws are reproducible from the seed and stay inside the issue's ranges")
    func draws() {
        let ranges = RecaptureRanges()
        let first = ranges.draw(count: 50, seed: 7), again = ranges.draw(count: 50, seed: 7), other = ranges.draw(count: 50, seed: 8)
        #expect(first == again)
        #expect(first != other)
        for r in first {
            #expect((0.8...1.2).contains(r.scale) && (-5...5).contains(r.rotationDegrees) && (75...95).contains(r.jpegQuality))
            #expect(abs(r.exposureEV) <= 1.0 / 3 && abs(r.whiteBalanceShift) <= 0.04)
            #expect(abs(r.shiftXFraction) <= 0.05 && abs(r.shiftYFraction) <= 0.05)
        }
        // The draws spread over the ranges rather than sitting in one corner.
        #expect(first.map(\.scale).max()! > 1.1 && first.map(\.scale).min()! < 0.9)
        #expect(Set(first.map(\.jpegQuality)).count > 10)
    }

    @Test("varying only exposure (`--vary exposure`): each capture keeps the full draw's exposure, everything else is no change and JPEG 95")
    func varyingOne() {
        let ranges = RecaptureRanges()
        let full = ranges.draw(count: 20, seed: 3), exposureOnly = ranges.draw(count: 20, seed: 3, varying: [.exposure])
        for (all, one) in zip(full, exposureOnly) {
            #expect(one.exposureEV == all.exposureEV)
            #expect(one.scale == 1 && one.rotationDegrees == 0 && one.shiftXFraction == 0 && one.shiftYFraction == 0)
            #expect(one.whiteBalanceShift == 0 && one.jpegQuality == 95)
        }
        #expect(Set(exposureOnly.map(\.exposureEV)).count == 20)
        #expect(ranges.draw(count: 20, seed: 3, varying: Set(Recapture.Perturbation.allCases)) == full)
    }
}
