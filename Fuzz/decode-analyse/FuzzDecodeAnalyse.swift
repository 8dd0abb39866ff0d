// libFuzzer target: the whole decode-and-analyse path the worker runs on a decrypted photo:
// sniff → libvips decode with limits into a PlaintextArena (a face reduced, its crop decoded again
// at full resolution) → the analysis of one kind → wipe.
//
// The kind follows from the input length (skin, scalp, face in turn) so every seed reaches all
// three analyses over a run without a prefix byte that would make the seeds unlike real files.
import Foundation
import LetheAnalysis
import LetheImaging
import LetheMemory

/// Smaller than the worker's 50 MP default, so that a declared-huge image is refused (which the
/// hostile-corpus test covers at the real limit) instead of exhausting the fuzzer's memory budget.
private let limits = DecodeLimits(maxPixels: 4_000_000, maxBytes: 4 * 1024 * 1024)

/// The face cascade from Config/models (scripts/fuzz runs from the repository root); without it
/// `face` inputs exercise the `analysis_unavailable` path instead.
private let models: AnalysisModels? = try? AnalysisModels.load(directory: "Config/models")

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDecodeAnalyse(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: start, count: count)
    let arena = PlaintextArena()
    defer {
        let report = arena.wipeAll()
        precondition(report.verified, "wipe read-back failed")
    }
    let kinds: [AnalysisKind] = [.skin, .scalp, .face]
    let kind = kinds[count % kinds.count]
    var settings = AnalysisSettings(kind: kind, millimetresPerPixel: kind == .scalp ? 0.01 : nil, models: models)
    // A face JPEG of 128 pixels or more on its short side is decoded reduced, as the worker decodes
    // a large one, so that the window decode of the measured crop meets hostile files too.
    settings.face.overviewShortSidePixels = 64
    let photo: ReducedPhoto
    do {
        photo = try ImageDecoder.decodeReduced(
            bytes, keepingShortSide: PhotoAnalysis.overviewShortSide(for: settings), limits: limits, arena: arena)
    } catch {
        precondition(!error.code.rawValue.isEmpty && error.code.disposition != .internal, "decode failed without a stable code")
        return 0
    }
    let image = photo.overview
    precondition(image.width > 0 && image.height > 0 && photo.width * photo.height <= limits.maxPixels)
    do {
        _ = try PhotoAnalysis.run(photo, settings: settings, arena: arena)
    } catch {
        precondition(!error.code.rawValue.isEmpty && error.code.disposition != .internal, "analysis failed without a stable code")
    }
    return 0
}
