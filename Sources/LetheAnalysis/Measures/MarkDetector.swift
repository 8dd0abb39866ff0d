import Foundation
import LetheAPI
import LetheMemory

/// A connected group of pixels whose local contrast passes a threshold: a spot, a pore, a
/// line, a hair or a flake, told apart by size and shape. Only these per-mark sums are kept,
/// never pixels.
struct Mark: Sendable {
    var area = 0
    var sumX = 0.0, sumY = 0.0, sumXX = 0.0, sumYY = 0.0, sumXY = 0.0
    /// Σ |contrast| over the mark's pixels (ΔL*).
    var sumContrast = 0.0
    var minX = Int.max, minY = Int.max, maxX = Int.min, maxY = Int.min
    /// Index of the pixel the mark was grown from (to find the mark again in the member mask).
    var firstPixel = 0
    /// Faces: the mark's pixels that lie in no face zone (label 0: an eye, brow, lip or nostril
    /// part, or outside the oval).
    var pixelsOutsideZones = 0
    /// Fraction of skin pixels in the mark's bounding box grown by its size (context check), of a
    /// candidate (`MarkDetector.detect(candidates:)`); 1 for any other mark.
    var surroundingSkinFraction = 1.0
    /// Σ over the mark's pixels of the melanin index 100·log10(1/R) against the local background's
    /// grey, and of the erythema index 100·log10(R/G) (Diffey, Oliver & Farr 1984), when the
    /// detector was given the colour planes (dark skin marks: brown or red), of a candidate; 0 for
    /// any other mark.
    var sumMelaninIndex = 0.0, sumErythemaIndex = 0.0
    /// The per-pixel shortest chords (scalp hairs): their 40th percentile is the shaft width,
    /// robust to the wider junction where hairs of a unit leave together and to the narrower
    /// tips. An aggregate of the mark, not pixels; nil when the detector was given no chords.
    var chords: ChordHistogram?

    var centroidX: Double { sumX / Double(area) }
    var centroidY: Double { sumY / Double(area) }
    /// Diameter of the disc of the same area.
    var equivalentDiameter: Double { 2 * (Double(area) / .pi).squareRoot() }
    var meanContrast: Double { sumContrast / Double(area) }

    /// Eigenvalues of the second central moments (pixel² units), larger first.
    var principalVariances: (major: Double, minor: Double) {
        let n = Double(area)
        let cxx = sumXX / n - centroidX * centroidX + 1.0 / 12
        let cyy = sumYY / n - centroidY * centroidY + 1.0 / 12
        let cxy = sumXY / n - centroidX * centroidY
        let mean = (cxx + cyy) / 2
        let spread = (((cxx - cyy) / 2) * ((cxx - cyy) / 2) + cxy * cxy).squareRoot()
        return (mean + spread, max(1e-9, mean - spread))
    }

    /// √(major / minor variance): 1 for a disc, ≈ length / width for a bar.
    var elongation: Double {
        let v = principalVariances
        return (v.major / v.minor).squareRoot()
    }
}

/// Finds 4-connected marks whose contrast passes a threshold, by flood fill with an explicit
/// queue in a plane the caller lends (no recursion, no per-pixel Swift allocation, no plane of
/// its own: one `Int32` per pixel fits a plane's one `Float` per pixel).
enum MarkDetector {
    enum Polarity { case dark, bright }

    /// Member mask: 1 for every pixel that passed the threshold (whatever mark it belongs to).
    /// Returned to the caller, who releases it.
    /// - Parameter queue: `width × height` `Int32`s for the flood fill's queue, overwritten: a
    ///   plane the caller reads no more (the skin's: the contrast's structure plane, free until
    ///   the ridges are smoothed into it); it holds nothing of use after.
    /// - Parameter isCandidate: of a mark's shape and zones, whether the caller classifies it any
    ///   further (a spot's or a papule's size, inside the face's zones): only candidates get the
    ///   measures that cost per pixel — the colour sums and the surrounding skin fraction; the
    ///   others keep 0 and 1 (a face's hair, brows and background as one dark mark each).
    static func detect(
        contrast: LocalContrast, polarity: Polarity, threshold: Float, within area: PixelRect,
        skin: SecureBuffer?, minimumArea: Int, chord: SecureBuffer? = nil, zones: SecureBuffer? = nil, colour: SecureBuffer? = nil,
        candidates isCandidate: (Mark) -> Bool = { _ in true }, queue: SecureBuffer, arena: PlaintextArena
    ) throws(LetheError) -> (marks: [Mark], members: SecureBuffer) {
        let width = contrast.width, height = contrast.height
        let members: SecureBuffer
        do { members = try arena.allocate(count: width * height, bufferClass: .intermediate) } catch {
            throw .analysisAllocationFailed(error, "the mark mask")
        }
        // A mark's pixels are queued once each: at most one `Int32` per pixel.
        precondition(MemoryLayout<Int32>.stride == MemoryLayout<Float>.stride && queue.count >= width * height * MemoryLayout<Int32>.stride)
        let sign: Float = polarity == .dark ? -1 : 1
        var marks: [Mark] = []
        // Without a chord plane, read the (already computed, unused) smoothed plane and ignore it.
        let chordSource = chord ?? contrast.smoothed
        let hasChord = chord != nil
        // Likewise without zone labels: read the smoothed plane and ignore it.
        let zoneSource = zones ?? contrast.smoothed
        let hasZones = zones != nil
        // Likewise without colour planes (the working image's L*, a*, b*, erythema index).
        let colourSource = colour ?? contrast.smoothed
        let hasColour = colour != nil
        let count = width * height
        colourSource.withUnsafeBytes { colourBytes in
        let colourPlanes = colourBytes.bindMemory(to: Float.self)
        zoneSource.withUnsafeBytes { zoneBytes in
        let zoneLabels = zoneBytes.bindMemory(to: UInt8.self)
        chordSource.withUnsafeBytes { chordBytes in
        let chords = chordBytes.bindMemory(to: Float.self)
        contrast.smoothed.withUnsafeBytes { sBytes in
            contrast.background.withUnsafeBytes { bBytes in
                members.withUnsafeMutableBytes { mBytes in
                    queue.withUnsafeMutableBytes { qBytes in
                        let s = sBytes.bindMemory(to: Float.self), bg = bBytes.bindMemory(to: Float.self)
                        let member = mBytes.bindMemory(to: UInt8.self), q = qBytes.bindMemory(to: Int32.self)
                        @inline(__always) func passes(_ i: Int) -> Bool { sign * (s[i] - bg[i]) >= threshold }
                        let x0 = area.x, y0 = area.y, x1 = area.x + area.width, y1 = area.y + area.height
                        for y in y0..<y1 {
                            for x in x0..<x1 where member[y * width + x] == 0 && passes(y * width + x) {
                                var mark = Mark()
                                mark.firstPixel = y * width + x
                                if hasChord { mark.chords = ChordHistogram() }
                                var head = 0, tail = 0
                                q[tail] = Int32(y * width + x); tail += 1
                                member[y * width + x] = 1
                                while head < tail {
                                    let index = Int(q[head]); head += 1
                                    let px = index % width, py = index / width
                                    let fx = Double(px), fy = Double(py)
                                    mark.area += 1
                                    mark.sumX += fx; mark.sumY += fy
                                    mark.sumXX += fx * fx; mark.sumYY += fy * fy; mark.sumXY += fx * fy
                                    mark.sumContrast += Double(sign * (s[index] - bg[index]))
                                    if hasZones, zoneLabels[index] == 0 { mark.pixelsOutsideZones += 1 }
                                    if hasChord { mark.chords?.add(chords[index]) }
                                    mark.minX = min(mark.minX, px); mark.maxX = max(mark.maxX, px)
                                    mark.minY = min(mark.minY, py); mark.maxY = max(mark.maxY, py)
                                    if px > x0, member[index - 1] == 0, passes(index - 1) { member[index - 1] = 1; q[tail] = Int32(index - 1); tail += 1 }
                                    if px < x1 - 1, member[index + 1] == 0, passes(index + 1) { member[index + 1] = 1; q[tail] = Int32(index + 1); tail += 1 }
                                    if py > y0, member[index - width] == 0, passes(index - width) { member[index - width] = 1; q[tail] = Int32(index - width); tail += 1 }
                                    if py < y1 - 1, member[index + width] == 0, passes(index + width) { member[index + width] = 1; q[tail] = Int32(index + width); tail += 1 }
                                }
                                guard mark.area >= minimumArea else { continue }
                                // The colour sums (a logarithm per pixel) only for a candidate, over
                                // its pixels in the order they were queued.
                                if hasColour, isCandidate(mark) { SRGB.log10MantissaTable.withUnsafeBufferPointer { log10Table in
                                    for queued in 0..<tail {
                                        let index = Int(q[queued])
                                        let lab = CIELab(
                                            l: Double(colourPlanes[index]), a: Double(colourPlanes[count + index]), b: Double(colourPlanes[2 * count + index]))
                                        // As the brown unevenness: the background's L* as a grey takes out shading.
                                        let shading = CIELab.relativeLuminance(lStar: Double(bg[index]))
                                        mark.sumMelaninIndex += WorkingImage.melaninIndex(red: lab.linearSRGB().red, againstGrey: shading, log10Table: log10Table)
                                        mark.sumErythemaIndex += Double(colourPlanes[3 * count + index])
                                    }
                                } }
                                marks.append(mark)
                            }
                        }
                    }
                }
            }
        }
        }
        }
        }
        if let skin {
            skin.withUnsafeBytes { skinBytes in
                let mask = skinBytes.bindMemory(to: UInt8.self)
                for index in marks.indices where isCandidate(marks[index]) {
                    let grow = max(2, Int(marks[index].equivalentDiameter))
                    let left = max(0, marks[index].minX - grow), right = min(width - 1, marks[index].maxX + grow)
                    let top = max(0, marks[index].minY - grow), bottom = min(height - 1, marks[index].maxY + grow)
                    var skinCount = 0, total = 0
                    for y in top...bottom {
                        for x in left...right {
                            total += 1
                            skinCount += Int(mask[y * width + x] & WorkingImage.skinBit)
                        }
                    }
                    // The mark's own pixels may fail the colour rule (a very dark spot); judge its surroundings.
                    marks[index].surroundingSkinFraction = Double(skinCount) / Double(max(1, total - marks[index].area))
                }
            }
        }
        return (marks, members)
    }
}
