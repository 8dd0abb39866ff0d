// libFuzzer target: the whole decode-and-analyse path the worker runs on a decrypted photo:
// sniff → libvips decode with limits into a PlaintextArena → the analysis of one kind → wipe.
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
    let image: DecodedImage
    do {
        image = try ImageDecoder.decode(bytes, limits: limits, arena: arena)
    } catch {
        precondition(!error.code.rawValue.isEmpty && error.code.disposition != .internal, "decode failed without a stable code")
        return 0
    }
    precondition(image.width > 0 && image.height > 0 && image.width * image.height <= limits.maxPixels)
    let kinds: [AnalysisKind] = [.skin, .scalp, .face]
    let kind = kinds[count % kinds.count]
    let settings = AnalysisSettings(kind: kind, millimetresPerPixel: kind == .scalp ? 0.01 : nil, models: models)
    do {
        _ = try PhotoAnalysis.run(image, settings: settings, arena: arena)
    } catch {
        precondition(!error.code.rawValue.isEmpty, "analysis failed without a code")
    }
    return 0
}
