import Foundation
import LetheAPI
import LetheAnalysis
import LetheImaging
import LetheMemory

/// The request's use case, below the server: photos in, results out, pixels released.
///
/// For each photo of an `AnalysisJob`: decode it into the request's arena, analyse it, render
/// the simulation for the first one, and release (wipe) its pixels as soon as it is measured;
/// then the JSON result, with the rendered images spliced in, in one `.response` buffer of the
/// same arena. Every buffer it makes belongs to that arena, on every path, so the caller's
/// `wipeAll()` accounts for them in the deletion record.
///
/// Synchronous and CPU-bound: call it on a thread that may block (the server uses NIO's blocking
/// pool). The calling thread is the request's for the duration: its CPU time counts against the
/// deadline, and the dead stack frames the codecs and filters leave below it are zeroed before
/// it returns.
public enum AnalysisEngine {
    /// The stages whose latencies the engine reports.
    public enum Stage: String, Sendable, CaseIterable {
        case decode, analyse, simulate
    }

    /// Receives each stage's latency (once per photo for decode and analyse).
    public typealias StageObserver = (Stage, Duration) -> Void

    /// Runs `job` on the photos in `request` and returns the JSON result (an `AnalysisResponse`).
    /// - Throws: decoding, analysis and simulation codes, `processing_deadline_exceeded` when the
    ///   deadline or CPU budget ran out, memory codes.
    public static func run(
        _ job: AnalysisJob, photosIn request: SecureBuffer, arena: PlaintextArena, deadline: ProcessingDeadline,
        observe: StageObserver = { _, _ in }
    ) throws(LetheError) -> SecureBuffer {
        precondition(!job.photos.isEmpty, "an analysis job needs a photo")
        // This thread does the request's work from here on: its CPU clock is the request's.
        deadline.bindToCurrentThread()
        defer { ProcessingDeadline.unbindCurrentThread() }
        // The codecs' and filters' dead frames on this thread hold pieces of the photo and its
        // renderings once they return: zero them before the thread takes other work.
        defer { ThreadStack.wipeBelowCaller() }

        let measured = try request.withUnsafeBytes { bytes throws(LetheError) in
            var measured: [Measured] = []
            for (index, photo) in job.photos.enumerated() {
                let file = UnsafeRawBufferPointer(rebasing: bytes[photo.range])
                measured.append(try measure(
                    file, photo: photo, job: job, renders: index == 0, arena: arena, deadline: deadline, observe: observe,
                    discardFile: { request.discardSharedPages(in: photo.range) }))
            }
            return measured
        }
        var images = EmbeddedImages()
        let response = result(of: job, measured, images: &images)
        var json: Data
        do { json = try encoder.encode(response) } catch { throw LetheError.internalError }
        let body = try arena.adopt(&json, bufferClass: .response)
        return images.isEmpty ? body : try images.splice(body, arena: arena)
    }

    /// One photo's measures and, for the first photo of a job that asks, its renderings.
    private struct Measured {
        let name: String
        let light: DeviceProfile.Light
        let image: AnalysisResponse.ImageInfo
        let result: PhotoAnalysisResult
        let rendering: SimulationRendering?
    }

    /// Decodes, analyses and renders one photo; its pixels are wiped before this returns.
    /// `discardFile`: wipes the photo's bytes and gives their pages back (an engine's memory file,
    /// `SecureBuffer.discardSharedPages(in:)`; nothing in process), called once nothing decodes them again.
    private static func measure(
        _ file: UnsafeRawBufferPointer, photo: AnalysisJob.Photo, job: AnalysisJob, renders: Bool, arena: PlaintextArena,
        deadline: ProcessingDeadline, observe: StageObserver, discardFile: @escaping () -> Void
    ) throws(LetheError) -> Measured {
        // A face is decoded reduced, its full resolution only inside the measured crop (decoded
        // again from the file by the analysis, or whole beside the overview by a free core); other kinds whole.
        let decoded = try timed(.decode, observe) { () throws(LetheError) in
            try ImageDecoder.decodeReduced(
                file, keepingShortSide: PhotoAnalysis.overviewShortSide(for: job.settings), limits: job.decodeLimits, arena: arena,
                deadline: deadline)
        }
        // Each photo's pixels are wiped (and counted in the request's record) as soon as it is
        // measured; when no simulation renders from them, as soon as the analysis has cut its
        // working image from them (the release is once: whichever comes first).
        defer { decoded.release(arena) }
        let simulates = renders && job.simulation != nil
        // The photo's bytes are read no more once its pixels are decoded, a face's crop included
        // (decoded again from them: `windowsRead()`), unless a rendering decodes them again: given
        // back then rather than held (shared with the gateway, locked in both) beside the measures.
        let analysed: ReducedPhoto
        if simulates {
            analysed = decoded
        } else if decoded.windowsReadBytes {
            analysed = decoded.readingWindowsDone(discardFile)
        } else {
            discardFile()
            analysed = decoded
        }
        // Analysis runs in Swift between libvips calls: checked at each stage boundary.
        try deadline.check()
        let info = AnalysisResponse.ImageInfo(width: decoded.width, height: decoded.height, format: decoded.overview.format.rawValue)
        let result: PhotoAnalysisResult
        do throws(LetheError) {
            result = try timed(.analyse, observe) { () throws(LetheError) in
                try PhotoAnalysis.run(
                    analysed, settings: job.settings, light: photo.light, releasingPixels: !simulates, labelling: simulates, arena: arena)
            }
        } catch {
            // Loops that stopped at the deadline leave partial measures, which may fail a
            // quality check: the deadline is the reason.
            if let reason = deadline.exceeded { throw LetheError.processingDeadlineExceeded(reason, limits: deadline.limits) }
            throw error
        }
        // The pixels the measures counted are the simulation's: wiped once it has rendered from them.
        defer { result.release(arena) }
        try deadline.check()
        guard renders, let simulation = job.simulation else { return Measured(name: photo.name, light: photo.light, image: info, result: result, rendering: nil) }
        // The renderings are of the whole photo at the output size, which a reduced decode (a face)
        // may not hold: decoded again, a JPEG reduced to the least that holds the output.
        let rendered = decoded.isReduced
            ? try timed(.decode, observe) { () throws(LetheError) in
                try ImageDecoder.decodeReduced(
                    file, keepingShortSide: SimulationRenderer.decodeShortSide(width: decoded.width, height: decoded.height, request: simulation),
                    limits: job.decodeLimits, arena: arena, deadline: deadline, decodingWholeBeside: false)
            }
            : decoded
        defer { rendered.release(arena) }
        let rendering = try timed(.simulate, observe) { () throws(LetheError) in
            try SimulationRenderer.render(rendered, analysis: result, request: simulation, arena: arena)
        }
        try deadline.check()
        return Measured(name: photo.name, light: photo.light, image: info, result: result, rendering: rendering)
    }

    /// The wire result: the photo's measures, or for a session each photo's and the combined
    /// ones; the first photo's renderings as placeholders for `images` to splice in.
    private static func result(of job: AnalysisJob, _ measured: [Measured], images: inout EmbeddedImages) -> AnalysisResponse {
        let first = measured[0]
        let kind = job.settings.kind.rawValue
        var response: AnalysisResponse
        // The light is reported when a profile says it (without one every photo counts as normal).
        let reportsLight = job.settings.profile != nil
        if job.isSession {
            let combined = SessionCombination.combine(measured.map {
                SessionPhoto(name: $0.name, light: $0.light, measures: $0.result.measures, ultraviolet: $0.result.ultraviolet)
            })
            response = AnalysisResponse(
                requestID: job.requestID, kind: kind, image: first.image, measures: combined.measures,
                face: measured.count == 1 ? first.result.face : nil,
                scalp: SessionCombination.combine(measured.compactMap(\.result.scalp)),
                photos: measured.map {
                    var photo = SessionPhotoResult(name: $0.name, image: $0.image, measures: $0.result.measures, face: $0.result.face, scalp: $0.result.scalp)
                    photo.light = reportsLight ? $0.light.rawValue : nil
                    photo.ultraviolet = $0.result.ultraviolet
                    return photo
                })
            response.ultraviolet = combined.ultraviolet
            response.measureSources = combined.sources.isEmpty || job.settings.kind == .scalp ? nil : combined.sources
        } else {
            response = AnalysisResponse(
                requestID: job.requestID, kind: kind, image: first.image, measures: first.result.measures, face: first.result.face,
                scalp: first.result.scalp)
            response.ultraviolet = first.result.ultraviolet
            response.light = reportsLight ? first.light.rawValue : nil
        }
        if let rendering = first.rendering { attach(rendering, to: &response, images: &images) }
        return response
    }

    /// The simulation's images as placeholders in the response (spliced in after JSON encoding).
    private static func attach(_ rendering: SimulationRendering, to response: inout AnalysisResponse, images: inout EmbeddedImages) {
        response.preview = rendering.preview.map { images.wire($0) }
        response.overlay = rendering.overlay.map { images.wire($0) }
        if !rendering.masks.isEmpty {
            response.masks = Dictionary(uniqueKeysWithValues: rendering.masks.map { mask in
                (mask.concern.rawValue, ConcernMask(colour: mask.concern.legendHex, pixelFraction: mask.pixelFraction, image: images.wire(mask.image)))
            })
        }
        let request = rendering.request
        response.simulation = SimulationSummary(
            concerns: request.concerns.map(\.rawValue),
            strengths: Dictionary(uniqueKeysWithValues: request.concerns.map { ($0.rawValue, request.strength(of: $0)) }),
            legend: Dictionary(uniqueKeysWithValues: request.concerns.filter(\.hasMask).map { ($0.rawValue, $0.legendHex) }),
            format: request.output.format.rawValue, quality: request.output.quality, width: rendering.width, height: rendering.height)
    }

    /// Runs `body` and reports its latency as `stage`.
    private static func timed<T>(_ stage: Stage, _ observe: StageObserver, _ body: () throws(LetheError) -> T) throws(LetheError) -> T {
        let started = ContinuousClock.now
        defer { observe(stage, .now - started) }
        return try body()
    }

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()
}
