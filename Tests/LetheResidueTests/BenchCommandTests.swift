import Foundation
import LetheTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `lethe bench` against its own child worker and against a running one: the request count, the
/// error counts by code and the server-side figures it reports are the ones the run produced.
@Suite("lethe bench", .serialized)
struct BenchCommandTests {
    /// A good photo and a truncated one, written to /tmp for the command line.
    static func photoFiles() throws -> (good: URL, corrupt: URL, directory: URL) {
        let directory = URL(fileURLWithPath: "/tmp").appendingPathComponent("lethe-bench-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let good = directory.appendingPathComponent("good.png"), corrupt = directory.appendingPathComponent("corrupt.png")
        try MarkerPhoto.make(seed: 8_000, width: 256, height: 256).file.write(to: good)
        try MarkerPhoto.make(seed: 8_001, width: 256, height: 256, truncatedTo: 0.5).file.write(to: corrupt)
        return (good, corrupt, directory)
    }

    static func report(_ output: String) throws -> [String: Any] {
        let start = try #require(output.firstIndex(of: "{"), "no JSON in: \(output)")
        return try #require(try JSONSerialization.jsonObject(with: Data(output[start...].utf8)) as? [String: Any], "\(output)")
    }

    @Test("--repeatability: two portraits, 2 re-captures each, analysed in process; the table names every whole-face measure and the zones")
    func repeatability() async throws {
        let photos = ["astronaut.png", "grace_hopper.jpg"].map { Repository.fixture($0).path }
        let run = try await GracefulShutdownTests.lethe(
            ["bench", "--repeatability", "--recaptures", "2", "--seed", "3", "--models-dir", Repository.models.path] + photos)
        #expect(run.status == 0, "\(run.output)")
        for expected in ["2 subject(s) (astronaut.png, grace_hopper.jpg) × 2 re-captures, seed 3", "ICC(2,1)", "skin_tone.ita_degrees ",
                         "redness.erythema_index ", "concerns.scores.overall ", "concerns.red_area_fraction ", "forehead", "right_cheek"] {
            #expect(run.output.contains(expected), "\(expected) not in: \(run.output)")
        }
    }

    @Test("--repeatability --profile: a device's clipped-skin limit counts the captures it would retake as lighting_too_bright; a profile for another kind is refused")
    func repeatabilityUnderProfile() async throws {
        let directory = URL(fileURLWithPath: "/tmp").appendingPathComponent("lethe-bench-profile-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        // Grace Hopper's portrait clips 0.084 of her face's skin (`ClippedSkinTests`): at its own exposure
        // (only the scale varies) a 0.01 limit retakes every capture.
        let strict = directory.appendingPathComponent("strict.json"), scalp = directory.appendingPathComponent("scalp.json")
        try Data(#"{"name": "strict", "light": "normal", "kinds": ["face"], "max_clipped_skin_fraction": 0.01}"#.utf8).write(to: strict)
        try Data(#"{"name": "scope", "light": "normal", "kinds": ["scalp"], "mm_per_pixel": 0.01}"#.utf8).write(to: scalp)
        let photo = Repository.fixture("grace_hopper.jpg").path
        let run = try await GracefulShutdownTests.lethe(
            ["bench", "--repeatability", "--recaptures", "2", "--models-dir", Repository.models.path, "--profile", strict.path, "--vary", "scale", "--json", photo])
        #expect(run.status == 0, "\(run.output)")
        let report = try Self.report(run.output)
        #expect(report["refusals"] as? [String: [String: Int]] == ["grace_hopper.jpg": ["lighting_too_bright": 2]], "\(run.output)")
        let refused = try await GracefulShutdownTests.lethe(
            ["bench", "--repeatability", "--recaptures", "2", "--models-dir", Repository.models.path, "--profile", scalp.path, photo])
        #expect(refused.status != 0 && refused.output.contains("does not take kind face"), "\(refused.output)")
    }

    @Test("--repeatability --shine-levels: each photo also painted at each level, as subjects of its own; a level outside 0–1 and a kind without a face are refused")
    func repeatabilityWithPaintedShine() async throws {
        let photo = Repository.fixture("grace_hopper.jpg").path
        let run = try await GracefulShutdownTests.lethe(
            ["bench", "--repeatability", "--recaptures", "2", "--models-dir", Repository.models.path, "--vary", "jpeg", "--shine-levels", "0,0.6", "--json", photo])
        #expect(run.status == 0, "\(run.output)")
        let report = try Self.report(run.output)
        #expect(report["subjects"] as? [String] == ["grace_hopper.jpg", "grace_hopper.jpg+shine 0.6"], "\(run.output)")
        let rows = try #require(report["measures"] as? [[String: Any]])
        let shine = try #require(rows.first { $0["measure"] as? String == "concerns.shine.specular_fraction" }?["values"] as? [[Double]])
        // The painted subject shines: every capture's specular fraction above the matte one's.
        #expect(shine.count == 2 && shine[1].min()! > 10 * shine[0].max()!, "\(shine)")
        for (arguments, message) in [(["--shine-levels", "0,1.5"], "not a level from 0 to 1"), (["--shine-levels", "0.3", "--kind", "skin"], "needs --kind face")] {
            let refused = try await GracefulShutdownTests.lethe(["bench", "--repeatability", "--recaptures", "2", "--models-dir", Repository.models.path] + arguments + [photo])
            #expect(refused.status != 0 && refused.output.contains(message), "\(refused.output)")
        }
    }

    @Test("embedded: the real worker as a child process; errors counted by code; the child is gone afterwards")
    func embedded() async throws {
        let (good, corrupt, directory) = try Self.photoFiles()
        defer { try? FileManager.default.removeItem(at: directory) }
        let run = try await GracefulShutdownTests.lethe(
            ["bench", good.path, corrupt.path, "--requests", "6", "--concurrency", "2", "--warmup", "0", "--json"])
        #expect(run.status == 0, "\(run.output)")
        let report = try Self.report(run.output)
        // Photos go in turn: three good, three truncated.
        #expect(report["requests"] as? Int == 6)
        #expect(report["ok"] as? Int == 3)
        #expect(report["errors"] as? [String: Int] == ["image_corrupt": 3])
        let latency = try #require(report["latencyMilliseconds"] as? [String: Double])
        #expect(latency["p50"]! > 0 && latency["p50"]! <= latency["p95"]! && latency["p95"]! <= latency["p99"]!)
        // The child's own peak RSS (a worker that decoded 256×256 photos: more than a few MB).
        #expect((report["peakServerRSSBytes"] as? Double ?? 0) > 5_000_000)
        #expect((report["peakServerRSSSource"] as? String ?? "").hasPrefix("VmHWM of pid"))
        // The summed PSS while both devices sent, and with the run's end, which includes it.
        let loadPSS = try #require(report["peakServerPSSBytes"] as? Double)
        let runPSS = try #require(report["peakServerPSSBytesWithDrain"] as? Double)
        #expect(loadPSS > 5_000_000 && runPSS >= loadPSS)
        // Six requests' worth of histogram deltas: every request held plaintext and wiped it.
        #expect((report["meanPlaintextLifetimeMilliseconds"] as? Double ?? 0) > 0)
        #expect((report["meanWipeMilliseconds"] as? Double ?? 0) > 0)
        let server = try #require(report["server"] as? String)
        let pid = try #require(server.split(separator: " ").last.flatMap { Int32($0.dropLast()) }, "\(server)")
        #expect(kill(pid, 0) != 0, "the embedded worker (pid \(pid)) is still running")
    }

    @Test("against a running worker: metrics sampled from its operator listener")
    func running() async throws {
        let (good, _, directory) = try Self.photoFiles()
        defer { try? FileManager.default.removeItem(at: directory) }
        let server = try await ServerProcess()
        defer { server.stop() }
        let stdout = (try? String(contentsOf: server.directory.appendingPathComponent("stdout"), encoding: .utf8)) ?? ""
        let admin = try #require(stdout.split(separator: "\n").first { $0.contains("operator endpoints") }?.split(separator: " ").last.map(String.init))
        let run = try await GracefulShutdownTests.lethe(
            ["bench", good.path, "--server", server.baseURL.absoluteString, "--token", server.token, "--admin", admin,
             "--requests", "4", "--concurrency", "2", "--warmup", "1", "--json"])
        #expect(run.status == 0, "\(run.output)")
        let report = try Self.report(run.output)
        #expect(report["requests"] as? Int == 4)
        #expect(report["ok"] as? Int == 4)
        #expect((report["peakServerRSSSource"] as? String ?? "").hasPrefix("lethe_process_resident_memory_bytes"))
        #expect((report["meanWipeMilliseconds"] as? Double ?? 0) > 0)
        // Warm-up plus measured requests all reached the worker and its ledger.
        try await server.waitForLedgerEntries(5)
    }
}
