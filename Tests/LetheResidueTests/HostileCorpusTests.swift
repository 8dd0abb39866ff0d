import Foundation
import LetheClient
import LetheTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The hostile corpus (`scripts/hostile-corpus`: truncations, bit flips, decompression and CPU
/// bombs, odd colour layouts, EXIF orientations, ICC profiles, polyglots, empty and 1×1 files)
/// sent one by one through the real `lethe serve` binary over loopback HTTP.
@Suite("Hostile input through the real worker")
struct HostileCorpusTests {
    /// A request costing the worker more CPU time than this is a finding (a decoder doing unbounded
    /// work on a crafted file), not a performance figure: legitimate inputs take a small fraction of
    /// it. CPU time of the worker process rather than wall time, so that a loaded CI machine does
    /// not fail the test; wall times are printed next to it.
    static let slowRequestSeconds = 5.0
    /// Peak resident memory the worker may reach over the corpus. The largest input within the
    /// 50-megapixel limit (7000×7000) needs libvips' decode and our 147 MB pixel buffer, the skin
    /// mask and the blur plane before the quality gate refuses it: about 370 MB measured. The
    /// bound catches a bomb that is decoded rather than refused (a 16383² WebP that libvips
    /// decoded before its size could be checked reached 1.1 GiB).
    static let peakResidentBytesLimit = 512 * 1024 * 1024

    struct Outcome {
        let name: String
        let expected: String
        let outcome: String
        /// Wall-clock time of the request as the client saw it.
        let seconds: Double
        /// CPU time (user + system, all threads) the worker spent meanwhile.
        let workerCPUSeconds: Double
    }

    @Test("every hostile input gets an analysis or a documented error code, quickly and in bounded memory; the worker survives")
    func hostileCorpus() async throws {
        let repository = Repository.root
        let corpus = URL(fileURLWithPath: "/tmp/lethe-hostile-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: corpus) }
        try await Self.generateCorpus(repository: repository, into: corpus)
        let manifest = try String(contentsOf: corpus.appendingPathComponent("manifest.tsv"), encoding: .utf8)
            .split(separator: "\n").map { $0.split(separator: "\t").map(String.init) }
        #expect(manifest.count >= 200, "the corpus has only \(manifest.count) inputs")
        let documented = try Self.documentedErrorCodes(readme: repository.appendingPathComponent("README.md"))
        #expect(documented.contains("image_corrupt") && documented.contains("image_too_large"), "README error table not found")

        let server = try await ServerProcess()
        defer { server.stop() }
        let client = LetheClient(serverURL: server.baseURL, token: server.token)
        var outcomes: [Outcome] = []
        for line in manifest {
            let (name, expected) = (line[0], line[1])
            let photo = try Data(contentsOf: corpus.appendingPathComponent(name))
            let cpuBefore = try server.cpuSeconds()
            let start = ContinuousClock.now
            let outcome: String
            do {
                _ = try await client.analyze(photo: photo)
                outcome = "ok"
            } catch {
                outcome = error.code
            }
            let elapsed = ContinuousClock.now - start
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            let cpu = try server.cpuSeconds() - cpuBefore
            outcomes.append(Outcome(name: name, expected: expected, outcome: outcome, seconds: seconds, workerCPUSeconds: cpu))
        }

        // The worker is still there and still analyses a good photo.
        #expect(server.process.isRunning, "the worker died during the corpus: \(server.log.suffix(2000))")
        let good = try Data(contentsOf: corpus.appendingPathComponent("valid-astronaut.png"))
        let afterwards = try await client.analyze(photo: good)
        #expect(afterwards.measures != nil)
        // The largest peak of any process of the worker (the gateway or an engine process).
        let peakResidentBytes = try server.largestPeakResidentBytes()
        // One deletion record per request, refused or not (plus the final good one).
        try await server.waitForLedgerEntries(outcomes.count + 1)

        Self.printSummary(outcomes, peakResidentBytes: peakResidentBytes)
        let undocumented = outcomes.filter { $0.outcome != "ok" && !documented.contains($0.outcome) }
        #expect(undocumented.isEmpty, "codes missing from the README table: \(undocumented.map { "\($0.name): \($0.outcome)" })")
        let unexpected = outcomes.filter { $0.expected != "*" && $0.expected != $0.outcome }
        #expect(unexpected.isEmpty, "unexpected outcomes: \(unexpected.map { "\($0.name): \($0.outcome), expected \($0.expected)" })")
        let slow = outcomes.filter { $0.workerCPUSeconds > Self.slowRequestSeconds }
        #expect(slow.isEmpty, "requests over \(Self.slowRequestSeconds) s of worker CPU: \(slow.map { "\($0.name): \(String(format: "%.1f", $0.workerCPUSeconds)) s CPU, \(String(format: "%.1f", $0.seconds)) s wall" })")
        #expect(peakResidentBytes < Self.peakResidentBytesLimit,
                "peak RSS \(peakResidentBytes / 1_048_576) MiB over the \(Self.peakResidentBytesLimit / 1_048_576) MiB bound")
    }

    /// Runs `scripts/hostile-corpus DIR` (Python with Pillow and numpy, from scripts/bootstrap).
    static func generateCorpus(repository: URL, into directory: URL) async throws {
        let result = try await Program.run("/usr/bin/env",
            ["python3", repository.appendingPathComponent("scripts/hostile-corpus").path, directory.path])
        guard result.status == 0 else {
            throw HarnessError("scripts/hostile-corpus failed (run scripts/bootstrap for Pillow and numpy): \(result.output.suffix(2000))")
        }
    }

    /// Every code in the first column of the README's "Error codes" table.
    static func documentedErrorCodes(readme: URL) throws -> Set<String> {
        let text = try String(contentsOf: readme, encoding: .utf8)
        guard let section = text.range(of: "### Error codes") else { return [] }
        var codes: Set<String> = []
        for line in text[section.upperBound...].split(separator: "\n").drop(while: { !$0.hasPrefix("|") }).prefix(while: { $0.hasPrefix("|") }) {
            let firstColumn = line.split(separator: "|", omittingEmptySubsequences: true).first ?? ""
            for (index, piece) in firstColumn.split(separator: "`", omittingEmptySubsequences: false).enumerated() where index % 2 == 1 {
                codes.insert(String(piece))
            }
        }
        return codes
    }

    /// Outcome counts, the slowest inputs and the peak RSS, for the test log.
    static func printSummary(_ outcomes: [Outcome], peakResidentBytes: Int) {
        let counts = Dictionary(grouping: outcomes, by: \.outcome).map { "\($0.key)=\($0.value.count)" }.sorted()
        print("hostile corpus: \(outcomes.count) inputs: \(counts.joined(separator: " "))")
        for slowest in outcomes.sorted(by: { $0.workerCPUSeconds > $1.workerCPUSeconds }).prefix(8) {
            print(String(format: "hostile corpus: %6.2f s CPU %6.2f s wall  %@ -> %@",
                          slowest.workerCPUSeconds, slowest.seconds, slowest.name, slowest.outcome))
        }
        let wall = outcomes.map(\.seconds).reduce(0, +)
        print(String(format: "hostile corpus: %.1f s wall for all requests, slowest %.2f s", wall, outcomes.map(\.seconds).max() ?? 0))
        print("hostile corpus: worker peak RSS (VmHWM) \(peakResidentBytes / 1_048_576) MiB")
    }
}
