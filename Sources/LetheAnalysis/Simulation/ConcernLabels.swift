import LetheAPI
import LetheImaging
import LetheMemory

/// Per-pixel concern labels of a skin or face crop, drawn by the measuring code itself
/// (`SkinConcernMeasurer.detectMarks`, `LineDetector` and the red-area threshold of
/// `RegionStatistics`), so that a mask shows exactly the pixels a measure counted (wrinkles: the
/// counted lines' centrelines, widened by one pixel on each side so that they show).
///
/// One byte per working pixel (`.rendering`): bit flags below.
struct ConcernLabels {
    static let spot: UInt8 = 1, pore: UInt8 = 2, wrinkle: UInt8 = 4, red: UInt8 = 8
    /// A centreline pixel of a counted line (transient: widened into `wrinkle`, then cleared).
    static let centreline: UInt8 = 64
    /// The preview may change this pixel: skin, or a spot or pore (a dark mark can fail the skin
    /// colour rule itself).
    static let editable: UInt8 = 16
    /// Clear skin: skin that is no mark, not red and not a highlight (the reference colour).
    static let clear: UInt8 = 32

    let labels: SecureBuffer
    /// Mean CIELAB of the clear skin and the background radius the marks were measured with.
    let meanL: Float, meanA: Float, meanB: Float
    let backgroundRadius: Int

    /// Labels the working image `work` (factor 1 in simulations).
    static func make(
        _ work: WorkingImage, workingMillimetres: Double?, configuration: SkinMeasureConfiguration, arena: PlaintextArena
    ) throws(LetheError) -> ConcernLabels {
        let detected = try SkinConcernMeasurer.detectMarks(work, workingMillimetres: workingMillimetres, configuration: configuration, arena: arena)
        defer { detected.release(arena) }
        SkinConcernMeasurer.smoothForRidges(work, into: detected.contrast, configuration: configuration)
        let count = work.pixelCount
        let labels: SecureBuffer, queue: SecureBuffer
        do { labels = try arena.allocate(count: count, bufferClass: .rendering) } catch {
            throw .analysisAllocationFailed(error, "the concern labels")
        }
        do { queue = try arena.allocate(count: count * MemoryLayout<Int32>.stride, bufferClass: .rendering) } catch {
            arena.release(labels)
            throw .analysisAllocationFailed(error, "the label queue")
        }
        defer { arena.release(queue) }
        let whole = PixelRect(width: work.width, height: work.height)
        let stats = work.planes.withUnsafeBytes { planes in
            work.skin.withUnsafeBytes { skin in
                detected.members.withUnsafeBytes { member in
                    detected.contrast.structure.withUnsafeBytes { ridge in
                        detected.contrast.background.withUnsafeBytes { background in
                            RegionStatistics.measure(
                                planes: planes.bindMemory(to: Float.self), skin: skin.bindMemory(to: UInt8.self),
                                marks: member.bindMemory(to: UInt8.self), ridgePlane: ridge.bindMemory(to: Float.self),
                                background: background.bindMemory(to: Float.self),
                                width: work.width, height: work.height, rect: whole, configuration: configuration)
                        }
                    }
                }
            }
        }
        labels.withUnsafeMutableBytes { labelBytes in
            queue.withUnsafeMutableBytes { queueBytes in
                detected.members.withUnsafeBytes { memberBytes in
                    markLabels(
                        members: memberBytes.bindMemory(to: UInt8.self), kinds: detected.kinds,
                        minimumArea: configuration.minimumMarkAreaPixels, width: work.width, height: work.height,
                        labels: labelBytes.bindMemory(to: UInt8.self), queue: queueBytes.bindMemory(to: Int32.self))
                }
            }
        }
        // The lines the wrinkle measures count.
        do {
            _ = try LineDetector.detect(
                work, workingMillimetres: workingMillimetres, configuration: configuration.lines,
                centrelines: labels, centrelineBit: centreline, arena: arena)
        } catch {
            arena.release(labels)
            throw error
        }
        labels.withUnsafeMutableBytes { labelBytes in
            work.planes.withUnsafeBytes { planeBytes in
                work.skin.withUnsafeBytes { skinBytes in
                    detected.members.withUnsafeBytes { memberBytes in
                        pixelLabels(
                            planes: planeBytes.bindMemory(to: Float.self), skin: skinBytes.bindMemory(to: UInt8.self),
                            members: memberBytes.bindMemory(to: UInt8.self), width: work.width, height: work.height, stats: stats,
                            labels: labelBytes.bindMemory(to: UInt8.self))
                    }
                }
            }
        }
        // Faces: nothing outside the zones (eyes, brows, lips, nostrils, hair, background) is labelled or edited.
        work.withZones { zones in
            guard let zones else { return }
            labels.withUnsafeMutableBytes { labelBytes in
                for i in 0..<count where zones[i] == 0 { labelBytes[i] = 0 }
            }
        }
        let spotMax = workingMillimetres.map { configuration.spotMaxDiameterMillimetres / $0 } ?? configuration.spotMaxDiameterPixels
        let radius = min(max(6, Int(spotMax.rounded(.up))), max(2, min(work.width, work.height) / 2))
        return ConcernLabels(labels: labels, meanL: Float(stats.meanL), meanA: Float(stats.meanA), meanB: Float(stats.meanB), backgroundRadius: radius)
    }

    /// Finds the marks again in the member mask, in `MarkDetector`'s scan order and connectivity,
    /// so that the n-th component of at least `minimumArea` pixels is the n-th mark.
    private static func markLabels(
        members: UnsafeBufferPointer<UInt8>, kinds: [SkinConcernMeasurer.MarkKind], minimumArea: Int, width: Int, height: Int,
        labels: UnsafeMutableBufferPointer<UInt8>, queue: UnsafeMutableBufferPointer<Int32>
    ) {
        let visited: UInt8 = 128
        var markIndex = 0
        for start in 0..<(width * height) where members[start] != 0 && labels[start] & visited == 0 {
            var head = 0, tail = 0
            queue[tail] = Int32(start); tail += 1
            labels[start] |= visited
            while head < tail {
                let index = Int(queue[head]); head += 1
                let x = index % width, y = index / width
                @inline(__always) func visit(_ neighbour: Int) {
                    guard members[neighbour] != 0, labels[neighbour] & visited == 0 else { return }
                    labels[neighbour] |= visited
                    queue[tail] = Int32(neighbour); tail += 1
                }
                if x > 0 { visit(index - 1) }
                if x < width - 1 { visit(index + 1) }
                if y > 0 { visit(index - width) }
                if y < height - 1 { visit(index + width) }
            }
            guard tail >= minimumArea else { continue }
            let flag: UInt8 = switch kinds[markIndex] {
            case .spot: spot
            case .pore: pore
            case .other: 0
            }
            markIndex += 1
            if flag != 0 { for k in 0..<tail { labels[Int(queue[k])] |= flag } }
        }
        for i in 0..<(width * height) { labels[i] &= ~visited }
    }

    /// Wrinkle (a line's centreline or a skin pixel next to it), red, editable and clear flags, with
    /// the thresholds of `RegionStatistics`; the transient centreline flag is cleared.
    private static func pixelLabels(
        planes: UnsafeBufferPointer<Float>, skin: UnsafeBufferPointer<UInt8>, members: UnsafeBufferPointer<UInt8>,
        width: Int, height: Int, stats: RegionStatistics, labels: UnsafeMutableBufferPointer<UInt8>
    ) {
        let count = width * height
        for y in 0..<height {
            for x in 0..<width {
                let i = y * width + x
                if labels[i] & (spot | pore) != 0 { labels[i] |= editable }
                guard skin[i] & WorkingImage.skinBit != 0 else { continue }
                labels[i] |= editable
                nearLine: for ny in max(0, y - 1)...min(height - 1, y + 1) {
                    for nx in max(0, x - 1)...min(width - 1, x + 1) where labels[ny * width + nx] & centreline != 0 {
                        labels[i] |= wrinkle
                        break nearLine
                    }
                }
                let l = planes[i], a = planes[count + i], b = planes[2 * count + i]
                if l >= stats.specularL, (a * a + b * b).squareRoot() <= stats.specularChroma { continue }
                // A clipped pixel is neither red nor clear skin: its colour is lost (`RegionStatistics`).
                guard members[i] == 0, !WorkingImage.isClipped(skin[i]) else { continue }
                if a >= stats.redLimitAStar { labels[i] |= red } else { labels[i] |= clear }
            }
        }
        for i in 0..<count { labels[i] &= ~centreline }
    }

    func release(_ arena: PlaintextArena) {
        arena.release(labels)
    }
}
