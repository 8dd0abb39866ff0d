import Foundation
import LetheTestSupport
import LetheImaging
import LetheMemory
import Testing

/// The user-facing look: `lethe analyze --simulate … --out DIR` on the real binary writes image
/// files a person can open.
@Suite("lethe analyze --simulate --out")
struct AnalyzeSimulationCommandTests {
    static let packageRoot = Repository.root

    /// Runs `lethe analyze ARGUMENTS` from the package root; returns exit status, stdout, stderr.
    static func analyze(_ arguments: [String]) throws -> (status: Int32, output: String, error: String) {
        let scratch = URL(fileURLWithPath: "/tmp/lethe-analyze-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let process = Process()
        process.executableURL = ServerProcess.executable
        process.arguments = ["analyze"] + arguments + ["--ledger-dir", scratch.appendingPathComponent("ledger").path]
        process.currentDirectoryURL = packageRoot
        let output = scratch.appendingPathComponent("stdout"), error = scratch.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        _ = FileManager.default.createFile(atPath: error.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: output)
        process.standardError = try FileHandle(forWritingTo: error)
        try process.run()
        process.waitUntilExit()
        return (process.terminationStatus, try String(contentsOf: output, encoding: .utf8), try String(contentsOf: error, encoding: .utf8))
    }

    @Test("the portrait's preview, overlay and masks are written as PNG files of the photo's size")
    func writesImages() throws {
        let out = URL(fileURLWithPath: "/tmp/lethe-simulate-out-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: out) }
        let run = try Self.analyze([
            "Fixtures/astronaut.png", "--kind", "face", "--simulate", "spots,redness,wrinkles,evenness",
            "--strength", "0.8", "--strength", "redness=1", "--output-format", "png", "--out", out.path,
        ])
        #expect(run.status == 0, "\(run.error)")
        #expect(run.output.contains("Wrote \(out.path)/preview.png") && run.output.contains("Legend: redness #e6194b"))
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

    @Test("a concern that does not exist is refused with its code and exit status 2")
    func refusesUnknownConcern() throws {
        let run = try Self.analyze(["Fixtures/astronaut.png", "--simulate", "teeth"])
        #expect(run.status == 2)
        #expect(run.error.contains("error: unknown_concern (HTTP 400)"), "\(run.error)")
    }
}
