import Foundation
import LetheAPI
import LetheImaging
import LetheMemory

/// Oily skin on a real face, for the repeatability bench: the fixture portraits are all matte
/// (their shine scores 98.6–98.9), so an ICC of shine has no difference between subjects to find.
/// This adds the highlights an oily face shows under a frontal light — forehead, nose bridge and
/// tip, cheekbones, chin — to the photo before it is re-captured, so the re-captures move, scale,
/// expose and compress them as a camera would.
///
/// Each highlight is white light added in linear RGB (the dichromatic model: a specular
/// reflection has the light's colour, Shafer 1985) in a Gaussian lobe at a face-mesh point, σ a
/// fraction of the inter-ocular distance: `level` × `weight` at the lobe's centre, on every
/// channel alike, only on pixels the skin colour rule takes (`SkinMask`: a hat brim or hair in
/// the way does not shine), under a camera's highlight shoulder (`shoulder`).
public enum PaintedShine {
    /// Where an oily face shines (MediaPipe face-mesh points): mid-forehead (151), nose bridge (6)
    /// and tip (4), the cheekbones (50, 280), the chin (199); σ in inter-ocular distances.
    static let lobes: [(point: Int, sigma: Double, weight: Double)] = [
        (151, 0.20, 1), (6, 0.08, 0.8), (4, 0.10, 1), (50, 0.14, 0.7), (280, 0.14, 0.7), (199, 0.10, 0.6),
    ]

    /// A camera's highlight shoulder: linear light above `knee` compressed towards `ceiling`
    /// (tanh), so a highlight reaches 0.95 of full scale but does not clip in the painted photo:
    /// the re-captures' exposure decides what clips, as a camera's would. A highlight clipped in
    /// the painted photo itself would read, ⅓ stop darker, as a colourless unclipped pixel whose
    /// colour was lost before the capture.
    static let knee = 0.75, ceiling = 0.95
    static func shoulder(_ value: Double) -> Double {
        value <= knee ? value : knee + (ceiling - knee) * tanh((value - knee) / (ceiling - knee))
    }

    /// `photo` with the highlights of `level` (linear light added at the brightest lobes' centre,
    /// 0–1) painted at `landmarks` (a face result's 468 mesh points, input pixels), as a new
    /// `.pixels` buffer the caller releases.
    /// - Throws: `analysis_allocation_failed` when the buffer cannot be had; `face_not_found`
    ///   without the mesh's points.
    public static func paint(_ photo: DecodedImage, level: Double, landmarks: [[Double]], arena: PlaintextArena) throws(LetheError) -> DecodedImage {
        guard landmarks.count >= 468, landmarks.allSatisfy({ $0.count >= 2 }) else { throw .faceNotFound }
        let interOcular = FaceFrame(mesh: landmarks.map { FaceGeometry.Point($0[0], $0[1]) }).interOcular
        let placed = lobes.map { lobe in (x: landmarks[lobe.point][0], y: landmarks[lobe.point][1], sigma: lobe.sigma * interOcular, peak: level * lobe.weight) }
        let painted: SecureBuffer
        do { painted = try arena.allocate(count: photo.pixels.count, bufferClass: .pixels) } catch {
            throw .analysisAllocationFailed(error, "the painted highlights")
        }
        let width = photo.width
        photo.pixels.withUnsafeBytes { source in
            painted.withUnsafeMutableBytes { target in
                SRGB.linearTable.withUnsafeBufferPointer { linear in
                    for y in 0..<photo.height {
                        for x in 0..<width {
                            let i = (y * width + x) * 3
                            let (r, g, b) = (source[i], source[i + 1], source[i + 2])
                            let px = Double(x) + 0.5, py = Double(y) + 0.5
                            let added = SkinMask.isSkin(red: r, green: g, blue: b) ? placed.reduce(0.0) { sum, lobe in
                                let dx = px - lobe.x, dy = py - lobe.y
                                return sum + lobe.peak * exp(-(dx * dx + dy * dy) / (2 * lobe.sigma * lobe.sigma))
                            } : 0
                            for (c, code) in [r, g, b].enumerated() {
                                let value = linear[Int(code)]
                                target[i + c] = added > 0 ? UInt8((255 * SRGB.encode(shoulder(value + added))).rounded()) : code
                            }
                        }
                    }
                }
            }
        }
        return DecodedImage(width: photo.width, height: photo.height, format: photo.format, pixels: painted)
    }
}

extension RepeatabilityBench {
    /// Each subject at each shine level (`PaintedShine`), named `NAME+shine L`: the subject
    /// analysed once (with its face mesh) to place the highlights, painted, and encoded as PNG for
    /// the re-captures. Level 0 is the photo as it is, under its own name.
    /// - Throws: the analysis's code when a subject photo is refused (no face, …).
    public func withPaintedShine(
        _ subjects: [(name: String, photo: [UInt8])], levels: [Double]
    ) throws -> [(name: String, photo: [UInt8])] {
        var meshed = settings
        meshed.landmarks = true
        return try subjects.flatMap { subject in
            let arena = PlaintextArena()
            defer { _ = arena.wipeAll() }
            let original = try subject.photo.withUnsafeBytes { bytes in try ImageDecoder.decode(bytes, limits: DecodeLimits(), arena: arena) }
            let landmarks = try PhotoAnalysis.run(original, settings: meshed, arena: arena).face?.landmarks ?? []
            return try levels.map { level in
                guard level > 0 else { return subject }
                let painted = try PaintedShine.paint(original, level: level, landmarks: landmarks, arena: arena)
                defer { arena.release(painted.pixels) }
                let png = try painted.pixels.withUnsafeBytes { try ImageEncoder.encode($0, width: painted.width, height: painted.height, as: .png) }
                return (name: "\(subject.name)+shine \(level)", photo: png)
            }
        }
    }
}
