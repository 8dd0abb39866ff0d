import Foundation
import LetheImaging
import LetheMemory
import LetheTestSupport
import Testing

/// A request's processing deadline inside libvips: decoding stops at the next tile once it passes.
/// Serialized: one test's live deadline would keep another's passed one from being seen by
/// libjpeg's monitor on a thread without a request (it takes the latest of every live request's).
@Suite("Processing deadline", .serialized)
struct ProcessingDeadlineTests {
    /// A 7000×7000 baseline JPEG of noise (about a second of decoding here), built from 97
    /// shifted copies of one random row so that the test spends no time on per-pixel loops.
    static let largeNoisyJPEG: [UInt8] = {
        let width = 7000, height = 7000
        var generator = SeededGenerator(seed: 12)
        let row = (0..<(width * 3 + 97 * 3)).map { _ in UInt8.random(in: 0...255, using: &generator) }
        var pixels: [UInt8] = []
        pixels.reserveCapacity(width * height * 3)
        for y in 0..<height {
            let shift = (y % 97) * 3
            pixels.append(contentsOf: row[shift..<(shift + width * 3)])
        }
        return try! pixels.withUnsafeBytes { try ImageEncoder.encode($0, width: width, height: height, as: .jpeg, quality: 90) }
    }()

    static let limits = DecodeLimits(maxPixels: 50_000_000, maxBytes: 200 << 20)

    /// Decodes on a request thread (`onRequestThread`) under a deadline with `limits` and returns
    /// the outcome ("decoded" or the error code) and the deadline.
    static func decodeInBackground(
        _ bytes: [UInt8], limits deadlineLimits: ProcessingDeadline.Limits, decodeLimits: DecodeLimits = limits, arena: PlaintextArena,
        prepare: @escaping @Sendable (ProcessingDeadline) -> Void = { _ in }
    ) async -> (result: String, deadline: ProcessingDeadline) {
        await onRequestThread(limits: deadlineLimits, prepare: prepare) { deadline -> String in
            do {
                let image = try bytes.withUnsafeBytes { try ImageDecoder.decode($0, limits: decodeLimits, arena: arena, deadline: deadline) }
                arena.release(image.pixels)
                return "decoded"
            } catch let error as LetheError {
                return error.code.rawValue
            } catch {
                return "\(error)"
            }
        }
    }

    @Test("libvips stops a decode in progress when its deadline passes, and the decoder reports the deadline")
    func stopsDecodeInProgress() async throws {
        let arena = PlaintextArena()
        defer { _ = arena.wipeAll() }
        // Ended from inside libvips' first progress report, while the decode is certainly running
        // (a watcher thread that waits for progress could be scheduled after the decode finished).
        let (outcome, deadline) = await Self.decodeInBackground(
            Self.largeNoisyJPEG, limits: .init(wallClock: .seconds(600), cpu: nil), arena: arena
        ) { $0.expire(atProgressReport: 1) }
        #expect(outcome == "processing_deadline_exceeded")
        #expect(deadline.interruptions >= 1)
        #expect(deadline.exceeded == .ended)
    }

    @Test("the same decode without a deadline, or within it, completes")
    func completesWithinDeadline() async throws {
        let arena = PlaintextArena()
        defer { _ = arena.wipeAll() }
        let (outcome, deadline) = await Self.decodeInBackground(
            Self.largeNoisyJPEG, limits: .init(wallClock: .seconds(600), cpu: .seconds(600)), arena: arena)
        #expect(outcome == "decoded")
        #expect(deadline.progressCalls > 0)
        #expect(deadline.interruptions == 0)
        // The decode's libvips time was charged as CPU time.
        #expect(deadline.cpuTime > .zero)
    }

    @Test("another request's passed deadline stops neither a decode without a deadline nor one within its own")
    func passedDeadlineElsewhere() async throws {
        // A request whose deadline has passed, still alive: libjpeg's monitor used to stop every
        // decompression in the process once no live deadline was later than now, a decode with
        // no deadline of its own included (a tool's, or a test's beside another test's request).
        let elsewhere = ProcessingDeadline(limits: .init(wallClock: .seconds(600), cpu: nil))
        elsewhere.expire()
        defer { withExtendedLifetime(elsewhere) {} }
        let jpeg = try Array(Data(contentsOf: Repository.root.appendingPathComponent("Fuzz/regressions/decode-analyse/progressive-160-scans.jpg")))
        let arena = PlaintextArena()
        defer { _ = arena.wipeAll() }
        let alone = try jpeg.withUnsafeBytes { try ImageDecoder.decode($0, limits: DecodeLimits(maxJPEGScans: 200), arena: arena) }
        #expect(alone.width == 1024)
        arena.release(alone.pixels)
        let (outcome, own) = await Self.decodeInBackground(
            jpeg, limits: .init(wallClock: .seconds(600), cpu: nil), decodeLimits: DecodeLimits(maxJPEGScans: 200), arena: arena)
        #expect(outcome == "decoded")
        #expect(own.interruptions == 0)
        #expect(elsewhere.exceeded == .ended)
    }

    @Test("a deadline that has passed refuses before any pixel is decoded")
    func refusesWhenAlreadyPassed() async throws {
        let arena = PlaintextArena()
        defer { _ = arena.wipeAll() }
        let deadline = ProcessingDeadline(limits: .init(wallClock: .seconds(600), cpu: nil))
        deadline.expire()
        let photo = try Data(contentsOf: Repository.fixture("astronaut.png"))
        #expect(throws: LetheError.processingDeadlineExceeded(.ended, limits: deadline.limits)) {
            try photo.withUnsafeBytes { try ImageDecoder.decode($0, limits: DecodeLimits(), arena: arena, deadline: deadline) }
        }
        #expect(deadline.progressCalls == 0)
    }

    @Test("a thread sees its own deadline pass, and none once unbound")
    func threadDeadline() async {
        let passed = await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                let deadline = ProcessingDeadline(limits: .init(wallClock: .seconds(600), cpu: nil))
                let before = ProcessingDeadline.currentThreadDeadlinePassed
                deadline.bindToCurrentThread()
                let bound = ProcessingDeadline.currentThreadDeadlinePassed
                deadline.expire()
                let expired = ProcessingDeadline.currentThreadDeadlinePassed
                ProcessingDeadline.unbindCurrentThread()
                continuation.resume(returning: [before, bound, expired, ProcessingDeadline.currentThreadDeadlinePassed])
            }
        }
        #expect(passed == [false, false, true, false])
    }

    /// A pooled thread serves other work after its request, and an ended thread's clock no longer
    /// reads: either way the request's CPU must be what its thread used while bound (the CPU-budget
    /// test of `RequestThreadsTests` read it after the pool thread had moved on, and failed once).
    @Test("a request thread's CPU is charged up to its unbind: the work it does afterwards is not the request's")
    func threadChargedUntilUnbind() async {
        let (atUnbind, later) = await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                func spin(_ duration: Duration) {
                    let start = ContinuousClock.now
                    var spins: UInt64 = 0
                    while ContinuousClock.now - start < duration { for _ in 0..<1_000 { spins &+= 1 } }
                    precondition(spins > 0)
                }
                let deadline = ProcessingDeadline(limits: .init(wallClock: .seconds(600), cpu: nil))
                deadline.bindToCurrentThread()
                spin(.milliseconds(50))
                ProcessingDeadline.unbindCurrentThread()
                let atUnbind = deadline.cpuTime
                spin(.milliseconds(100))
                continuation.resume(returning: (atUnbind, deadline.cpuTime))
            }
        }
        #expect(atUnbind > .zero)
        #expect(later == atUnbind)
    }
}
