import Foundation
import LetheClient
import LetheImaging
import LetheTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Overload and oversized work meet the memory budget: the real worker refuses what does not fit
/// (503 with Retry-After, recorded) and its peak resident set stays under the configured ceiling.
@Suite("Memory budget under overload")
struct MemoryBudgetTests {
    static let mebibyte = 1 << 20

    /// Device calls whose refusals are expected: the code and the Retry-After the device was given.
    static func analyse(_ client: LetheClient, _ photo: Data) async -> (code: String, retryAfter: Int?) {
        do {
            _ = try await client.analyze(photo: photo)
            return ("ok", nil)
        } catch let error as LetheClientError {
            return (error.code, error.retryAfterSeconds)
        } catch {
            return ("\(error)", nil)
        }
    }

    /// A large skin-coloured noise photo (no markers: only its size matters here).
    static func skinTexture(width: Int, height: Int, format: ImageFormat) throws -> Data {
        var random = SeededGenerator(seed: UInt64(width * height))
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for index in stride(from: 0, to: pixels.count, by: 3) {
            let noise = random.next()
            pixels[index] = UInt8(185 + noise % 40)
            pixels[index + 1] = UInt8(135 + (noise >> 8) % 30)
            pixels[index + 2] = UInt8(105 + (noise >> 16) % 30)
        }
        return Data(try pixels.withUnsafeBytes { try ImageEncoder.encode($0, width: width, height: height, as: format, quality: 90) })
    }

    @Test("K=1, Q=1, many devices at once: the surplus gets 503 + Retry-After, the rest succeed, peak RSS within the budget")
    func overloadStaysWithinBudget() async throws {
        // 300 MiB for the gateway as before, plus its engine process's own start-up footprint
        // (libvips and the models, ~60 MB), which the ceiling covers too.
        let budget = 360
        let server = try await ServerProcess(arguments: [
            "--max-concurrent", "1", "--max-queued", "1", "--queue-timeout", "30", "--memory-budget-mib", "\(budget)",
        ])
        defer { server.stop() }
        // 3 megapixels: its decode and analysis buffers are a good part of the budget.
        let photo = try MarkerPhoto.make(seed: 960, width: 2000, height: 1500).file
        let client = LetheClient(serverURL: server.baseURL, token: server.token)
        let outcomes = await withTaskGroup(of: (code: String, retryAfter: Int?).self) { group in
            for _ in 0..<12 { group.addTask { await Self.analyse(client, photo) } }
            return await group.reduce(into: []) { $0.append($1) }
        }
        let refused = outcomes.filter { $0.code != "ok" }
        #expect(outcomes.count - refused.count >= 2, "admitted requests must succeed: \(outcomes)")
        #expect(!refused.isEmpty, "12 devices against K=1, Q=1 must see refusals")
        for refusal in refused {
            #expect(refusal.code == "overloaded", "\(refusal)")
            #expect((refusal.retryAfter ?? 0) >= 1)
        }
        // A record for each answered request; the refused ones held no plaintext (counted, not recorded).
        try await server.waitForLedgerEntries(outcomes.count - refused.count)
        let peak = try server.peakResidentBytes()
        #expect(peak <= budget * Self.mebibyte, "peak RSS \(peak / Self.mebibyte) MiB over the \(budget) MiB budget")
    }

    /// The worker's resident set at start and its peak after analysing `photo` with no budget: the
    /// baseline the budgeted worker is held against, measured in this run on this machine.
    static func unbudgetedPeak(analysing photo: Data) async throws -> (atStart: Int, peak: Int) {
        let server = try await ServerProcess()
        defer { server.stop() }
        let atStart = try ProcessMemoryScan.processTree(of: server.pid).reduce(0) { $0 + (ProcessStatus.bytes("VmRSS", pid: $1) ?? 0) }
        let outcome = await analyse(LetheClient(serverURL: server.baseURL, token: server.token), photo)
        try #require(outcome.code == "ok", "without a budget the photo must be served: \(outcome)")
        return (atStart, try server.peakResidentBytes())
    }

    @Test("work larger than the budget is refused with memory_budget_exceeded, recorded, and the process stays under it")
    func oversizedWorkIsRefused() async throws {
        // A 24-megapixel JPEG is small on the wire but needs 72 MB of decoded pixels and the
        // analysis's planes besides. The budget is 16 MiB below what the worker peaks at when it
        // serves it without one (this run, this machine), so a peak under the budget is the
        // budget's doing; what is left still serves a small photo. (At 12 megapixels the leaner
        // engines peak only ~87 MiB above their size at start, less than the smallest budget a
        // worker starts with: its size at start + 64 MiB headroom + 16 MiB for requests.)
        let large = try Self.skinTexture(width: 6000, height: 4000, format: .jpeg)
        let (atStart, baseline) = try await Self.unbudgetedPeak(analysing: large)
        // At least what the worker needs to start (its resident set, the 64 MiB headroom of
        // `ServerConfiguration.memoryHeadroomBytes` and 16 MiB for requests, plus slack for a few
        // pages more at start): a worker whose peak for this photo is close to its size at start
        // is held to that instead.
        let startable = atStart / Self.mebibyte + 64 + 16 + 8
        let budget = max(baseline / Self.mebibyte - 16, startable)
        try #require(budget < baseline / Self.mebibyte, "the photo must need more than the budget: peak \(baseline / Self.mebibyte) MiB, at start \(atStart / Self.mebibyte) MiB")
        let server = try await ServerProcess(arguments: ["--memory-budget-mib", "\(budget)"])
        defer { server.stop() }
        let client = LetheClient(serverURL: server.baseURL, token: server.token)
        // Refused (inside the encrypted answer) before decoding.
        let decoded = await Self.analyse(client, large)
        #expect(decoded.code == "memory_budget_exceeded", "budget \(budget) MiB, unbudgeted peak \(baseline / Self.mebibyte) MiB")
        #expect((decoded.retryAfter ?? 0) >= 1)
        // A 28 MB PNG is refused before its body is read: reading, copying and decrypting it would
        // not fit.
        let heavy = try Self.skinTexture(width: 4000, height: 3000, format: .png)
        let read = await Self.analyse(client, heavy)
        #expect(read.code == "memory_budget_exceeded")
        #expect((read.retryAfter ?? 0) >= 1)
        // The refused request's reservations were returned: a small photo still fits.
        let small = try MarkerPhoto.make(seed: 962).file
        #expect(await Self.analyse(client, small).code == "ok")

        // The small photo's record at least: a refusal that came after decryption is a record too,
        // one that came before (the body's reservation, or the plaintext's) is only counted.
        try await server.waitForLedgerEntries(1)
        let log = server.log
        #expect(log.contains("memory budget \(budget) MiB"))
        let peak = try server.peakResidentBytes()
        #expect(peak <= budget * Self.mebibyte, "peak RSS \(peak / Self.mebibyte) MiB over the \(budget) MiB budget")
        // The drain publishes the open period: both refusals are in the ledger, as records or counts.
        server.signal(SIGTERM)
        #expect(try await server.waitForExit() == 0)
        func lines(_ directory: String) throws -> [[String: Any]] {
            try FileManager.default.contentsOfDirectory(at: server.ledgerDirectory.appendingPathComponent(directory), includingPropertiesForKeys: nil)
                .flatMap { try Data(contentsOf: $0).split(separator: 0x0A) }
                .compactMap { try JSONSerialization.jsonObject(with: Data($0)) as? [String: Any] }
        }
        let recorded = try lines("segments").filter { $0["error_code"] as? String == "memory_budget_exceeded" }.count
        let counted = try lines("log").compactMap { ($0["refused"] as? [String: Int])?["memory_budget_exceeded"] }.reduce(0, +)
        #expect(recorded + counted == 2, "recorded \(recorded), counted \(counted)")
    }

    @Test("a budget smaller than the worker itself is refused at start with a clear message")
    func budgetTooSmallToStart() async throws {
        let refusal = await #expect(throws: HarnessError.self) { _ = try await ServerProcess(arguments: ["--memory-budget-mib", "64"]) }
        #expect(refusal?.description.contains("a memory budget of 64 MiB leaves requests") == true, "\(String(describing: refusal))")
    }
}
