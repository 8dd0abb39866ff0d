import Foundation
import LetheImaging
import LetheMemory
import LetheTestSupport
import Testing

/// A request's processing deadline inside libvips: decoding stops at the next tile once it passes.
@Suite("Processing deadline")
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

    /// Decodes on a thread of its own and returns the outcome: "decoded" or the error code.
    static func decodeInBackground(_ bytes: [UInt8], deadline: ProcessingDeadline, arena: PlaintextArena) -> Task<String, Never> {
        Task {
            await withCheckedContinuation { continuation in
                DispatchQueue.global().async {
                    deadline.bindToCurrentThread()
                    defer { ProcessingDeadline.unbindCurrentThread() }
                    let outcome: String
                    do {
                        let image = try bytes.withUnsafeBytes { try ImageDecoder.decode($0, limits: limits, arena: arena, deadline: deadline) }
                        arena.release(image.pixels)
                        outcome = "decoded"
                    } catch let error as LetheError {
                        outcome = error.code.rawValue
                    } catch {
                        outcome = "\(error)"
                    }
                    continuation.resume(returning: outcome)
                }
            }
        }
    }

    @Test("libvips stops a decode in progress when its deadline passes, and the decoder reports the deadline")
    func stopsDecodeInProgress() async throws {
        let jpeg = Self.largeNoisyJPEG
        let arena = PlaintextArena()
        defer { _ = arena.wipeAll() }
        let deadline = ProcessingDeadline(limits: .init(wallClock: .seconds(600), cpu: nil))
        // Ended from inside libvips' first progress report, while the decode is certainly running
        // (a watcher thread that waits for progress could be scheduled after the decode finished).
        deadline.expire(atProgressReport: 1)
        let decoding = Self.decodeInBackground(jpeg, deadline: deadline, arena: arena)
        #expect(await decoding.value == "processing_deadline_exceeded")
        #expect(deadline.interruptions >= 1)
        #expect(deadline.exceeded == .ended)
    }

    @Test("the same decode without a deadline, or within it, completes")
    func completesWithinDeadline() async throws {
        let arena = PlaintextArena()
        defer { _ = arena.wipeAll() }
        let deadline = ProcessingDeadline(limits: .init(wallClock: .seconds(600), cpu: .seconds(600)))
        let outcome = await Self.decodeInBackground(Self.largeNoisyJPEG, deadline: deadline, arena: arena).value
        #expect(outcome == "decoded")
        #expect(deadline.progressCalls > 0)
        #expect(deadline.interruptions == 0)
        // The decode's libvips time was charged as CPU time.
        #expect(deadline.cpuTime > .zero)
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
}
