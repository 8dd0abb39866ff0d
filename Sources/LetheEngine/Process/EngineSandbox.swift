import CLetheSystem
import Foundation
import LetheAnalysis
import LetheImaging
import LetheMemory

/// What an engine forbids itself once it has loaded everything it needs: no new privileges,
/// Landlock with no filesystem or network rights, and a seccomp-bpf allow-list of the calls its
/// request loop makes (`engine_sandbox.c`); any other call (openat, socket, connect, execve, …)
/// kills the process with SIGSYS. It is already non-dumpable with core limit 0 and zero-on-free,
/// like every lethe process (`ProcessHardening`, the interposed `free`).
///
/// Lock-down comes after a warm-up that makes every lazy initialisation happen first (dlopen of
/// codec plugins, libvips' worker threads, the time zone a PNG encoder reads): afterwards the
/// engine could not open the files they need.
public enum EngineSandbox {
    /// The lock-down in force.
    public enum Status: Sendable, Equatable {
        /// Not asked for (only the lock-down's own test runs an engine this way).
        case notApplied
        /// seccomp filter on every thread; Landlock at this ABI (0: the kernel has none) on the
        /// engine's main thread and the threads started after it, `threads` threads existing
        /// before it (libvips' workers from the warm-up, held by the filter and no-new-privs).
        case lockedDown(landlockABI: Int, threadsBefore: Int)
        /// The kernel refused (errno text): the engine must not serve.
        case failed(String)

        /// One line for the gateway's log.
        public var summary: String {
            switch self {
            case .notApplied: "not-applied"
            case .lockedDown(let abi, let threads):
                "seccomp=allow-list(kill) no_new_privs=on landlock=" + (abi > 0 ? "abi\(abi):no-fs,no-net" : "UNSUPPORTED")
                    + " threads_before_lock_down=\(threads)"
            case .failed(let reason): "FAILED(\(reason))"
            }
        }
    }

    /// Warms up (every decoder and encoder once, one analysis of each kind) and locks the calling
    /// process down for the rest of its life.
    public static func lockDown(models: AnalysisModels) -> Status {
        warmUp(models: models)
        let threads = Int(lethe_thread_count())
        var abi: Int32 = 0
        let result = lethe_engine_lock_down(&abi)
        guard result == 0 else { return .failed(String(cString: strerror(-result))) }
        return .lockedDown(landlockABI: Int(abi), threadsBefore: threads)
    }

    /// Decodes a small photo of every format it can encode and analyses one of each kind with
    /// renderings in every output format; results and errors are thrown away.
    static func warmUp(models: AnalysisModels) {
        let (width, height) = (256, 192)
        // Skin-coloured noise from a linear congruential generator (Knuth's MMIX constants): the
        // system generator cost a `getrandom` call per pixel, and nothing here needs to be unpredictable.
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for index in stride(from: 0, to: pixels.count, by: 3) {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let noise = state >> 24
            pixels[index] = UInt8(185 + noise % 40)
            pixels[index + 1] = UInt8(135 + (noise >> 8) % 30)
            pixels[index + 2] = UInt8(105 + (noise >> 16) % 30)
        }
        let formats = ImageFormat.allCases.filter { $0 != .heif || VipsRuntime.heifAvailable }
        let files = formats.compactMap { format in
            // HEIF from the first 64 × 48 pixels: x265's encoder took ~190 ms of an engine's start
            // at 256 × 192, and decoding any size loads the same code.
            let (fileWidth, fileHeight) = format == .heif ? (64, 48) : (width, height)
            return pixels.withUnsafeBytes {
                try? ImageEncoder.encode(UnsafeRawBufferPointer(rebasing: $0[..<(fileWidth * fileHeight * 3)]), width: fileWidth, height: fileHeight, as: format)
            }
        }
        let arena = PlaintextArena()
        defer { _ = arena.wipeAll() }
        for file in files {
            file.withUnsafeBytes { bytes in
                if let image = try? ImageDecoder.decode(bytes, limits: DecodeLimits(), arena: arena) { arena.release(image.pixels) }
            }
        }
        guard let photo = files.first, let request = try? arena.copy(photo.withUnsafeBytes { $0 }, bufferClass: .requestBody) else { return }
        let jobs: [(AnalysisKind, [SimulationConcern], ImageFormat)] = [
            (.skin, SimulationConcern.allCases.filter { $0.kinds.contains(.skin) }, .png),
            (.face, SimulationConcern.allCases.filter { $0.kinds.contains(.face) }, .jpeg),
            (.scalp, SimulationConcern.allCases.filter { $0.kinds.contains(.scalp) }, .webp),
        ]
        for (kind, concerns, output) in jobs {
            let settings = AnalysisSettings(kind: kind, millimetresPerPixel: 0.02, models: models)
            let job = AnalysisJob(
                requestID: "warm-up", settings: settings, photos: [.init(name: "photo", range: 0..<photo.count)], isSession: false,
                simulation: SimulationRequest(concerns: concerns, output: SimulationOutput(format: output)), decodeLimits: DecodeLimits())
            _ = try? AnalysisEngine.run(job, photosIn: request, arena: arena, deadline: ProcessingDeadline(limits: .init()))
        }
    }
}
