import Foundation
import LetheImaging
import LetheMemory
import LetheTestSupport
import Synchronization
import Testing

@Suite("Decoding from many threads")
struct ConcurrentDecodeTests {
    @Test("concurrent decodes of different images each get their own exact pixels")
    func concurrentDecodes() async throws {
        let formats: [ImageFormat] = [.png, .webp, .png, .webp, .png, .webp, .png, .webp]
        try await withThrowingTaskGroup(of: Bool.self) { group in
            for (index, format) in formats.enumerated() {
                group.addTask {
                    let width = 120 + index, height = 90
                    let original = TestImages.gradient(width: width, height: height, noise: 25, seed: UInt64(index + 1))
                    let encoded = try original.withUnsafeBytes {
                        try ImageEncoder.encode($0, width: width, height: height, as: format, quality: 100)
                    }
                    let arena = PlaintextArena()
                    let image = try ImageDecoder.decode(encoded, arena: arena)
                    let exact = image.width == width && image.pixelArray == original
                    return exact && arena.wipeAll().verified
                }
            }
            for try await exact in group {
                #expect(exact)
            }
        }
    }

    /// Threads that spin until stopped, so that every core is taken while a decode runs.
    final class BusyCores: Sendable {
        private let running = Atomic<Bool>(true)
        private let spins = Atomic<Int>(0)

        init(threads: Int) {
            for _ in 0..<threads {
                Thread { [self] in
                    var counter = 0
                    while running.load(ordering: .relaxed) { counter &+= 1 }
                    spins.add(counter, ordering: .relaxed)
                }.start()
            }
        }

        func stop() { running.store(false, ordering: .relaxed) }
    }

    @Test("a progressive JPEG decodes to the same pixels while every core is busy: one thread pulls the sequential load's strips in order")
    func progressiveUnderContention() async throws {
        // Valid and progressive (160 scans; the scan limit is raised for it): libjpeg holds every
        // coefficient until the last scan, then the pull asks for the rows strip by strip.
        let file = Array(try Data(contentsOf: Repository.root.appendingPathComponent("Fuzz/regressions/decode-analyse/progressive-160-scans.jpg")))
        let limits = DecodeLimits(maxJPEGScans: 200)
        let referenceArena = PlaintextArena()
        let reference = try ImageDecoder.decode(file, limits: limits, arena: referenceArena).pixelArray
        #expect(referenceArena.wipeAll().verified)

        // Twice as many spinning threads as cores, and as many decodes as cores beside them: a
        // thread of libvips' own that the scheduler held back would be left behind the loader.
        // The decodes run on threads of their own, started right after the spinners: on a shared
        // pool (Swift's or Dispatch's, which the other suites' tests keep busy) they could wait
        // for a thread while the spinners took the cores from everything else for minutes.
        let cores = ProcessInfo.processInfo.activeProcessorCount, decodes = max(2, cores)
        let results = Mutex<[String]>([])
        let finished = DispatchGroup()
        let busy = BusyCores(threads: 2 * cores)
        for _ in 0..<decodes {
            finished.enter()
            Thread {
                defer { finished.leave() }
                let arena = PlaintextArena()
                defer { _ = arena.wipeAll() }
                let outcome: String
                do throws(LetheError) {
                    let image = try ImageDecoder.decode(file, limits: limits, arena: arena)
                    outcome = image.width == 1024 && image.height == 768 && image.pixelArray == reference ? "same pixels" : "other pixels"
                } catch {
                    outcome = error.code.rawValue
                }
                // The last decode stops the spinners itself: nothing spins while a pool thread is awaited.
                if results.withLock({ $0.append(outcome); return $0.count }) == decodes { busy.stop() }
            }.start()
        }
        await withCheckedContinuation { continuation in
            finished.notify(queue: .global()) { continuation.resume() }
        }
        let outcomes = results.withLock { $0 }
        #expect(outcomes == Array(repeating: "same pixels", count: decodes))
    }
}
