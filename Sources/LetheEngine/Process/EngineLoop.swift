import CLetheSystem
import Foundation
import LetheAnalysis
import LetheImaging
import LetheMemory

#if canImport(Glibc)
import Glibc
#endif

/// The engine process's whole life (`lethe engine`, started only by the gateway's `EnginePool`):
/// set up from the channel, warm up, lock down, then serve one job at a time until the channel
/// closes. It holds no key, token or ledger descriptor (it was spawned with its channel alone and
/// a minimal environment) and sees of each request only its photos and settings.
///
/// Per job: map the photos' memory file into a fresh arena, run `AnalysisEngine`, put the result
/// in a new memory file and send it; once the gateway has copied it, wipe every buffer of the
/// request (the shared ones too, which zeroes them for both processes) and report the wipe.
public enum EngineLoop {
    /// The descriptor the gateway hands the channel on.
    public static let channelDescriptor: Int32 = 3

    /// Serves until the channel closes (exit status 0) or breaks (1).
    public static func run(channel: EngineChannel = EngineChannel(fd: channelDescriptor)) -> Int32 {
        guard lethe_engine_prepare() == 0 else { return 1 }
        do {
            let (setup, ledgerFile) = try channel.receive(.setup, as: EngineSetup.self, timeout: nil)
            // The worker's cores, shared with the gateway and the other engines (none: one thread per request).
            let cores = try ledgerFile.map { file throws(LetheError) in
                defer { close(file) }
                guard let ledger = CoreLedger(mapping: file, cores: setup.cores) else { throw LetheError.engineFailed("the core ledger cannot be mapped") }
                return ledger
            }
            try VipsRuntime.start(setup.vips)
            ProcessingDeadline.setCodecPassLimit(setup.codecPassLimit)
            WipedPagePool.shared.setCapacity(setup.pagePoolBytes)
            let models = try AnalysisModels.load(directory: setup.modelsDirectory)
            let sandbox = setup.lockDown ? EngineSandbox.lockDown(models: models) : EngineSandbox.Status.notApplied
            // An engine that could not lock itself down never serves: the gateway sees it fail to start.
            if case .failed = sandbox { throw LetheError.engineFailed("lock-down \(sandbox.summary)") }
            // The warm-up's pages are not what requests will need; an idle engine keeps none,
            // nor the heap's free pages (as after every request).
            WipedPagePool.shared.trim()
            MemoryBudget.returnFreeHeapToKernel()
            try channel.send(.ready, EngineReady(sandbox: sandbox.summary))
            // Until the gateway closes the channel (it stops or recycles this engine).
            while let (job, file) = try channel.receiveUnlessClosed(.job, as: EngineJob.self, timeout: nil) {
                guard let file else { throw LetheError.engineFailed("a job came without its photos") }
                try serve(job, photosIn: file, models: models, setup: setup, cores: cores, channel: channel)
            }
            return 0
        } catch {
            FileHandle.standardError.write(Data("lethe engine: \(error)\n".utf8))
            return 1
        }
    }

    /// One job: result or error back, then the wipe once the gateway has the result.
    private static func serve(
        _ wire: EngineJob, photosIn file: Int32, models: AnalysisModels, setup: EngineSetup, cores: CoreLedger?, channel: EngineChannel
    ) throws(LetheError) {
        let arena = PlaintextArena()
        MemoryBudget.setCapacity(wire.memoryBudgetBytes)
        let abortedBefore = ProcessingDeadline.codecPassesAborted
        var stageSeconds: [String: Double] = [:]
        var resultFile: Int32?
        defer { if let resultFile { close(resultFile) } }
        let result: EngineResult
        do throws(LetheError) {
            let photos: SecureBuffer
            do throws(LetheError) {
                photos = try arena.share(file, count: wire.photoBytes, bufferClass: .requestBody)
                close(file)
            } catch {
                close(file)
                throw error
            }
            let job = try wire.analysisJob(models: models)
            let deadline = ProcessingDeadline(limits: wire.processingLimits)
            if let cores { deadline.useCores(cores, threads: setup.requestThreads) }
            let response = try AnalysisEngine.run(job, photosIn: photos, arena: arena, deadline: deadline) { stage, duration in
                stageSeconds[stage.rawValue, default: 0] += Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
            }
            let (shared, fd) = try arena.allocateShared(count: response.count, bufferClass: .response, secret: setup.secretMemory)
            resultFile = fd
            response.withUnsafeBytes { source in shared.withUnsafeMutableBytes { $0.copyMemory(from: source) } }
            arena.release(response)
            result = EngineResult(
                byteCount: response.count, error: nil, stageSeconds: stageSeconds,
                codecPassesAborted: ProcessingDeadline.codecPassesAborted - abortedBefore)
        } catch {
            result = EngineResult(
                byteCount: nil, error: error, stageSeconds: stageSeconds, codecPassesAborted: ProcessingDeadline.codecPassesAborted - abortedBefore)
        }
        try channel.send(.result, result, attaching: resultFile)
        // The gateway holds its own reference now; an idle engine keeps no descriptor but its channel.
        if let sent = resultFile {
            close(sent)
            resultFile = nil
        }
        _ = try channel.receive(.release, as: EngineNothing.self, timeout: nil)
        try channel.send(.wiped, EngineWipe(report: arena.wipeAll()))
        // While the engine waits for its next job: no more kept pages than that job's pixels need.
        WipedPagePool.shared.trimAfterRequest()
        // And no freed heap pages either (`brk` and `madvise`, which the lock-down allows).
        MemoryBudget.returnFreeHeapToKernel()
    }
}
