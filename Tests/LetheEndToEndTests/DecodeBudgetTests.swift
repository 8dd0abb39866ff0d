import Foundation
import LetheAPI
import LetheImaging
import LetheMemory
import LetheTestSupport
import Testing

@testable import LetheServer

/// The pixels the engines may hold decoded at once (`--decode-budget-megapixels`).
@Suite("Decode budget")
struct DecodeBudgetTests {
    /// The portrait with each pixel repeated 2 × 2: 1024 × 1024 = 1,048,576 pixels, so that one
    /// fits a 2-megapixel budget and two do not.
    static let doubledSide = 1024
    static var doubledPortraitJPEG: Data {
        let arena = PlaintextArena()
        defer { _ = arena.wipeAll() }
        let image = try! TestPhotos.portrait.withUnsafeBytes { try ImageDecoder.decode($0, limits: DecodeLimits(), arena: arena) }
        let side = doubledSide
        let pixels = try! arena.allocate(count: side * side * 3, bufferClass: .pixels)
        image.pixels.withUnsafeBytes { source in
            pixels.withUnsafeMutableBytes { target in
                for y in 0..<side {
                    for x in 0..<side {
                        let from = ((y / 2) * image.width + x / 2) * 3
                        let to = (y * side + x) * 3
                        for band in 0..<3 { target[to + band] = source[from + band] }
                    }
                }
            }
        }
        return Data(try! pixels.withUnsafeBytes { try ImageEncoder.encode($0, width: side, height: side, as: .jpeg, quality: 90) })
    }

    /// A worker with two engines (so that two photos could be decoded at once) and a 2-megapixel budget.
    static func harness() -> WorkerHarness {
        WorkerHarness(maxConcurrent: 2, maxQueued: 2, queueTimeoutSeconds: 600) {
            $0.engineProcesses = 2
            $0.decodeBudgetMegapixels = 2
        }
    }

    @Test("a reservation that does not fit waits, first come first served, until the holder's room is given back")
    func waitsForRoom() async throws {
        let budget = DecodeBudget(capacityPixels: 100, timeout: .seconds(600), metrics: WorkerMetrics())
        let (release, releaser) = AsyncStream.makeStream(of: Void.self)
        let (started, starter) = AsyncStream.makeStream(of: Void.self)
        let holder = Task {
            try await budget.withReservation(pixels: 80) {
                starter.yield()
                for await _ in release { break }
            }
        }
        for await _ in started { break }
        let waiter = Task { try await budget.withReservation(pixels: 50) { await budget.reservedPixels } }
        while await budget.waiting < 1 { await Task.yield() }
        #expect(await budget.reservedPixels == 80)
        releaser.yield()
        releaser.finish()
        try await holder.value
        // Inside its body the waiter held its own 50 pixels and nothing of the holder's.
        #expect(try await waiter.value == 50)
        #expect(await budget.reservedPixels == 0)
        #expect(await budget.peakPixels == 80)
    }

    @Test("more than the whole budget is refused at once; a wait past the timeout is refused and counted as a timeout; neither keeps room")
    func refusals() async throws {
        let metrics = WorkerMetrics()
        let budget = DecodeBudget(capacityPixels: 100, timeout: .zero, metrics: metrics)
        await #expect(throws: DecodeBudget.Refusal.tooLarge) { try await budget.withReservation(pixels: 101) {} }
        #expect(PrometheusText(metrics.registry.emitToString()).value("lethe_decode_budget_timeouts_total") == 0)
        try await budget.withReservation(pixels: 60) {
            await #expect(throws: DecodeBudget.Refusal.timedOut) { try await budget.withReservation(pixels: 60) {} }
        }
        // Answered memory_budget_exceeded like a refused memory reservation: the counter tells them apart.
        #expect(PrometheusText(metrics.registry.emitToString()).value("lethe_decode_budget_timeouts_total") == 1)
        #expect(PrometheusText(metrics.registry.emitToString()).value("lethe_decode_budget_waits_total") == 1)
        struct Failure: Error {}
        await #expect(throws: Failure.self) { try await budget.withReservation(pixels: 100) { throw Failure() } }
        #expect(await budget.reservedPixels == 0)
        #expect(await budget.waiting == 0)
    }

    @Test("two photos that together exceed the budget both wait while the room is taken, are served one after the other, and the room comes back")
    func concurrentPhotosTakeTurns() async throws {
        let photo = Self.doubledPortraitJPEG
        let pixels = Self.doubledSide * Self.doubledSide
        try await Self.harness().run { session in
            #expect(try await session.metric("lethe_decode_budget_pixels") == 2_000_000)
            let budget = session.worker.pipeline.decodeBudget
            // The test holds 1.5 MP of the 2 MP itself until both photos wait behind it: the two
            // requests certainly overlap, instead of perhaps arriving one after the other.
            let held = 1_500_000
            let (release, releaser) = AsyncStream.makeStream(of: Void.self)
            defer { releaser.finish() }
            let (taken, announce) = AsyncStream.makeStream(of: Void.self)
            let holder = Task {
                try await budget.withReservation(pixels: held) {
                    announce.yield()
                    for await _ in release { break }
                }
            }
            for await _ in taken { break }
            let client = session.client
            let first = Task { try await client.analyze(photo: photo).image.width }
            let second = Task { try await client.analyze(photo: photo).image.width }
            let deadline = ContinuousClock.now + .seconds(120)
            while await budget.waiting < 2, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
            try #require(await budget.waiting == 2, "both photos must reach the budget while the test holds it")
            #expect(try await session.metric("lethe_decode_budget_waiting") == 2)
            releaser.yield()
            releaser.finish()
            try await holder.value
            #expect(try await [first.value, second.value] == [Self.doubledSide, Self.doubledSide])
            // Two engines were free and both photos were waiting when the room came back: had the
            // budget let them be decoded together, 2 × 1,048,576 pixels would have been reserved
            // at once; the peak is still the test's own hold.
            #expect(pixels < held && 2 * pixels > held)
            #expect(await budget.peakPixels == held)
            #expect(try await session.metric("lethe_decode_budget_reserved_peak_pixels") == Double(held))
            #expect(try await session.metric("lethe_decode_budget_reserved_pixels") == 0)
            #expect(try await session.metric("lethe_decode_budget_waiting") == 0)
            #expect(try session.ledgerEntries().count == 2)
        }
    }

    @Test("a photo over the whole budget is refused at once with image_too_large; after ok and refused requests no room stays reserved")
    func overBudgetRefusedAndNothingLeaks() async throws {
        try await Self.harness().run { session in
            let config = try await session.x25519Config()
            func send(_ photo: Data) async throws -> (status: Int, error: ErrorResponse?) {
                let (head, content) = try await session.client.send(session.innerRequest(photo: photo), to: config)
                return (head.status, head.status == 200 ? nil : try JSONDecoder().decode(ErrorResponse.self, from: content))
            }
            // 3000 × 1000 declared: within --max-pixels, over the 2-megapixel budget.
            let tooLarge = try await send(TestPhotos.pngDeclaring(width: 3000, height: 1000))
            #expect(tooLarge.status == 413)
            #expect(tooLarge.error?.error.code == "image_too_large")
            #expect(tooLarge.error?.error.message.contains("2000000") == true)
            // Within the budget, but its pixel data is missing: the engine refuses it after the
            // reservation was made.
            let corrupt = try await send(TestPhotos.pngDeclaring(width: 1000, height: 1000))
            #expect(corrupt.status == 422)
            #expect(corrupt.error?.error.code == "image_corrupt")
            // The worker stays up and still analyses.
            #expect(try await send(TestPhotos.portrait).status == 200)
            #expect(try await session.metric("lethe_decode_budget_reserved_pixels") == 0)
            #expect(try await session.metric("lethe_decode_budget_reserved_peak_pixels") == 1_000_000)
            #expect(try session.ledgerEntries().map(\.errorCode) == ["image_too_large", "image_corrupt", nil])
        }
    }
}
