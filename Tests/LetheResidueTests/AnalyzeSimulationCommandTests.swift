import Foundation
import LetheTestSupport
import LetheImaging
import LetheMemory
import Testing

/// The user-facing look: `lethe analyze --simulate … --out DIR` on the real binary writes image
/// files a person can open.
@Suite("lethe analyze --simulate --out")
struct AnalyzeSimulationCommandTests {
    /// Runs `lethe analyze ARGUMENTS` with a ledger of its own; returns exit status, stdout, stderr.
    static func analyze(_ arguments: [String]) async throws -> Program.Run {
        let scratch = URL(fileURLWithPath: "/tmp/lethe-analyze-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: scratch) }
        return try await Program.run(
            ServerProcess.executable.path, ["analyze"] + arguments + ["--ledger-dir", scratch.appendingPathComponent("ledger").path],
            errorOutput: .separate)
    }

    @Test("the portrait's preview, overlay and masks are written as PNG files of the photo's size")
    func writesImages() async throws {
        let out = URL(fileURLWithPath: "/tmp/lethe-simulate-out-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: out) }
        let run = try await Self.analyze([
            Repository.fixture("astronaut.png").path, "--kind", "face", "--simulate", "spots,redness,wrinkles,evenness",
            "--strength", "0.8", "--strength", "redness=1", "--output-format", "png", "--out", out.path,
        ])
        #expect(run.status == 0, "\(run.error)")
        #expect(run.output.contains("Wrote \(out.path)/preview.png") && run.output.contains("Legend: redness #e6194b"))
        // The face's clipped skin (quality.clipped_skin_fraction 0.0023) in the table's quality row.
        #expect(run.output.contains("skin clipped 0.2%"), "\(run.output)")
        let names = try FileManager.default.contentsOfDirectory(atPath: out.path).sorted()
        #expect(names == ["mask-redness.png", "mask-spots.png", "mask-wrinkles.png", "overlay.png", "preview.png"])
        let arena = PlaintextArena()
        defer { _ = arena.wipeAll() }
        for name in names {
            let file = try Data(contentsOf: out.appendingPathComponent(name))
            let image = try file.withUnsafeBytes { try ImageDecoder.decode($0, limits: DecodeLimits(), arena: arena) }
            #expect(image.width == 512 && image.height == 512 && image.format == .png, "\(name)")
        }
    }

    @Test("the table of a face that wears eyeglasses says which zones are behind them and why they are not measured")
    func eyeglassesRows() async throws {
        let run = try await Self.analyze([Repository.fixture("grace_hopper.jpg").path, "--kind", "face"])
        #expect(run.status == 0, "\(run.error)")
        let lines = run.output.split(separator: "\n").map(String.init)
        for zone in ["right under eye", "left under eye"] {
            let rows = lines.filter { $0.hasPrefix("    \(zone)") }
            #expect(rows.count == 1 && rows.allSatisfy { $0.hasSuffix("behind eyeglasses, not measured (without them, it would be)") }, "\(rows)")
        }
        #expect(lines.contains { $0.hasPrefix("    right cheek") && $0.contains("ITA") }, "\(run.output)")
    }

    @Test("a concern that does not exist is refused with its code and exit status 2")
    func refusesUnknownConcern() async throws {
        let run = try await Self.analyze([Repository.fixture("astronaut.png").path, "--simulate", "teeth"])
        #expect(run.status == 2)
        #expect(run.error.contains("error: unknown_concern (HTTP 400)"), "\(run.error)")
    }
}
