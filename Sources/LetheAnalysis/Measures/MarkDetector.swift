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

/// Finds 4-connected marks whose contrast passes a threshold, by breadth-first flood fill with an
/// explicit queue (no recursion, no per-pixel Swift allocation): a ring of its own, a small
/// arena buffer, not a plane (`queueCapacity`).
enum MarkDetector {
    enum Polarity { case dark, bright }

    /// The marks the caller classifies further: at most `maximumDiameter` across (the equivalent
    /// disc) and, with zones, wholly inside them (a spot's or a papule's size: a face's hair,
    /// brows and background are dark marks too, of most of the marked pixels, and never spots).
    /// Only they get the measures that cost per pixel — the colour sums and the surrounding skin
    /// fraction; the others keep 0 and 1.
    struct Candidates {
        var maximumDiameter = Double.infinity

        /// Every mark.
        static let all = Candidates()

        func contains(_ mark: Mark, zoned: Bool) -> Bool {
            (!zoned || mark.pixelsOutsideZones == 0) && mark.equivalentDiameter <= maximumDiameter
        }

        /// The most pixels a candidate holds (the disc of `maximumDiameter`), at most `pixels`.
        func maximumArea(pixels: Int) -> Int {
            let disc = Double.pi * maximumDiameter * maximumDiameter / 4
            return disc < Double(pixels) ? Int(disc) + 1 : pixels
        }
    }

    /// Entries of the flood fill's ring: a mark's frontier (its pixels queued and not yet
    /// visited), which for the marks of a photo stays within a few times the image's perimeter
    /// (a face's hair and brows, the largest mark, grow as one wave), and with colour sums a whole
    /// candidate (they read its pixels back from the ring, in the order they were queued). At most
    /// one per pixel. A frontier that outgrows it leaves pixels unqueued, and the mark is
    /// completed from its edge (`detect`): the same pixels, only visited in another order.
    static func queueCapacity(width: Int, height: Int, candidateArea: Int) -> Int {
        min(width * height, max(4 * (width + height), candidateArea))
    }

    /// Member mask: 1 for every pixel that passed the threshold (whatever mark it belongs to).
    /// Returned to the caller, who releases it.
    /// - Parameter queueCapacity: the ring's entries (`queueCapacity(width:height:candidateArea:)`
    ///   by default; tests give fewer to complete marks from their edge).
    static func detect(
        contrast: LocalContrast, polarity: Polarity, threshold: Float, within area: PixelRect,
        skin: UnsafeBufferPointer<UInt8>?, minimumArea: Int, chord: UnsafeBufferPointer<Float>? = nil, zones: UnsafeBufferPointer<UInt8>? = nil,
        colour: ColourPixels? = nil, candidates: Candidates = .all, queueCapacity: Int? = nil, arena: PlaintextArena
    ) throws(LetheError) -> (marks: [Mark], members: Plane<UInt8>) {
        let width = contrast.width, height = contrast.height
        let count = width * height
        let hasColour = colour != nil
        let capacity = queueCapacity
            ?? Self.queueCapacity(width: width, height: height, candidateArea: hasColour ? candidates.maximumArea(pixels: count) : 0)
        precondition(capacity > 0 && capacity <= count)
        let members = try Plane<UInt8>(width: width, height: height, what: "the mark mask", arena: arena)
        let queue: Plane<Int32>
        do { queue = try Plane(width: capacity, height: 1, what: "the marks' queue", arena: arena) } catch {
            members.release(to: arena)
            throw error
        }
        defer { queue.release(to: arena) }
        let sign: Float = polarity == .dark ? -1 : 1
        let zoned = zones != nil
        var marks: [Mark] = []
        let s = contrast.smoothed.pixels, bg = contrast.background.pixels, member = members.pixels, q = queue.pixels
        // Without a chord plane or zone labels, empty buffers, never read.
        let hasChord = chord != nil
        let chords = chord ?? UnsafeBufferPointer(start: nil, count: 0), zoneLabels = zones ?? UnsafeBufferPointer(start: nil, count: 0)
        @inline(__always) func passes(_ i: Int) -> Bool { sign * (s[i] - bg[i]) >= threshold }
        let x0 = area.x, y0 = area.y, x1 = area.x + area.width, y1 = area.y + area.height
        // The mark being filled is 2 in the mask, every finished one 1.
        let filling: UInt8 = 2
        // Queued: pixels ever queued for this mark; visited: taken from the ring. The
        // ring's slots run from 0 for each mark, so while `queued` ≤ capacity it holds
        // every pixel of the mark in order.
        var queued = 0, visited = 0, tailSlot = 0, headSlot = 0
        var overflowed = false
        @inline(__always) func enqueue(_ i: Int) {
            guard queued - visited < capacity else { overflowed = true; return }
            member[i] = filling
            q[tailSlot] = Int32(i)
            tailSlot = tailSlot + 1 == capacity ? 0 : tailSlot + 1
            queued += 1
        }
        for y in y0..<y1 {
            for x in x0..<x1 where member[y * width + x] == 0 && passes(y * width + x) {
                var mark = Mark()
                mark.firstPixel = y * width + x
                if hasChord { mark.chords = ChordHistogram() }
                (queued, visited, tailSlot, headSlot, overflowed) = (0, 0, 0, 0, false)
                enqueue(y * width + x)
                repeat {
                    while visited < queued {
                        let index = Int(q[headSlot])
                        headSlot = headSlot + 1 == capacity ? 0 : headSlot + 1
                        visited += 1
                        let px = index % width, py = index / width
                        let fx = Double(px), fy = Double(py)
                        mark.area += 1
                        mark.sumX += fx; mark.sumY += fy
                        mark.sumXX += fx * fx; mark.sumYY += fy * fy; mark.sumXY += fx * fy
                        mark.sumContrast += Double(sign * (s[index] - bg[index]))
                        if zoned, zoneLabels[index] == 0 { mark.pixelsOutsideZones += 1 }
                        if hasChord { mark.chords?.add(chords[index]) }
                        mark.minX = min(mark.minX, px); mark.maxX = max(mark.maxX, px)
                        mark.minY = min(mark.minY, py); mark.maxY = max(mark.maxY, py)
                        if px > x0, member[index - 1] == 0, passes(index - 1) { enqueue(index - 1) }
                        if px < x1 - 1, member[index + 1] == 0, passes(index + 1) { enqueue(index + 1) }
                        if py > y0, member[index - width] == 0, passes(index - width) { enqueue(index - width) }
                        if py < y1 - 1, member[index + width] == 0, passes(index + width) { enqueue(index + width) }
                    }
                    // A frontier wider than the ring left pixels unqueued, each beside one
                    // of the mark's (all visited now, inside its box): queue them from there
                    // (as many as the ring takes; the rest in the next round).
                    guard overflowed else { break }
                    overflowed = false
                    for py in max(y0, mark.minY - 1)...min(y1 - 1, mark.maxY + 1) {
                        for px in max(x0, mark.minX - 1)...min(x1 - 1, mark.maxX + 1) {
                            let i = py * width + px
                            guard member[i] == 0, passes(i) else { continue }
                            if (px > x0 && member[i - 1] == filling) || (px < x1 - 1 && member[i + 1] == filling)
                                || (py > y0 && member[i - width] == filling) || (py < y1 - 1 && member[i + width] == filling) {
                                enqueue(i)
                            }
                        }
                    }
                } while visited < queued
                // The mark's pixels from 2 to 1: from the ring while it holds them all, else over its box.
                if queued <= capacity {
                    for slot in 0..<queued { member[Int(q[slot])] = 1 }
                } else {
                    for py in mark.minY...mark.maxY {
                        for px in mark.minX...mark.maxX where member[py * width + px] == filling { member[py * width + px] = 1 }
                    }
                }
                guard mark.area >= minimumArea else { continue }
                // The colour sums (a logarithm per pixel) only for a candidate, over
                // its pixels in the order they were queued (a candidate fits the ring).
                if let colour, candidates.contains(mark, zoned: zoned) {
                    precondition(queued <= capacity, "a candidate larger than the marks' queue")
                    SRGB.log10MantissaTable.withUnsafeBufferPointer { log10Table in
                        for slot in 0..<queued {
                            let index = Int(q[slot])
                            let lab = CIELab(l: Double(colour.lStar[index]), a: Double(colour.aStar[index]), b: Double(colour.bStar[index]))
                            // As the brown unevenness: the background's L* as a grey takes out shading.
                            let shading = CIELab.relativeLuminance(lStar: Double(bg[index]))
                            mark.sumMelaninIndex += WorkingImage.melaninIndex(red: lab.linearSRGB().red, againstGrey: shading, log10Table: log10Table)
                            mark.sumErythemaIndex += Double(colour.erythema[index])
                        }
                    }
                }
                marks.append(mark)
            }
        }
        if let mask = skin {
            for index in marks.indices where candidates.contains(marks[index], zoned: zoned) {
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
        return (marks, members)
    }
}
