import Foundation
import LetheImaging
import LetheTestSupport
import Testing

/// `lethe analyze` with a multi-light device: the photos' file names are the session's part names,
/// the profile's captures give their lights, and the table says which photo each measure came from.
@Suite("lethe analyze --with (photos under several lights)")
struct AnalyzeLightCommandTests {
    @Test("standard.png --with cross.png --with uv.png and the multi-light profile: UV spots and porphyrins counted, shine and pigment from their photos")
    func printsMeasuresByLight() async throws {
        let scene = LitSkinScene(seed: 11, brown: 3, red: 2, hidden: 2, shine: 4, porphyrins: 12)
        let directory = URL(fileURLWithPath: "/tmp/lethe-lights-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var files: [String] = []
        for (name, light) in [("standard", LitSkinScene.Light.normal), ("cross", .crossPolarised), ("uv", .uv)] {
            let pixels = scene.pixels(under: light)
            let png = try pixels.withUnsafeBytes { try ImageEncoder.encode($0, width: scene.size, height: scene.size, as: .png) }
            let file = directory.appendingPathComponent("\(name).png")
            try Data(png).write(to: file)
            files.append(file.path)
        }
        let profiles = Repository.root.appendingPathComponent("Config/profiles").path
        let run = try await AnalyzeSimulationCommandTests.analyze([
            files[0], "--with", files[1], "--with", files[2], "--profile", "skin-camera-multi-light", "--profiles-dir", profiles,
        ])
        #expect(run.status == 0, "\(run.error)")
        #expect(run.output.contains("UV spots") && run.output.contains("  5  area "), "\(run.output)")
        #expect(run.output.contains("12 fluorescent dots") && run.output.contains("1.3 per cm²"), "\(run.output)")
        #expect(run.output.contains("Photo cross") && run.output.contains("(cross-polarised light)"), "\(run.output)")
        #expect(run.output.contains("From standard, cross") && run.output.contains("From standard  ") && run.output.contains("From uv"), "\(run.output)")
        #expect(run.output.contains("specular 1.0%"), "\(run.output)")

        // One file under a name the profile does not list: refused with the code, exit status 2.
        let other = directory.appendingPathComponent("infrared.png")
        try FileManager.default.copyItem(atPath: files[0], toPath: other.path)
        let refused = try await AnalyzeSimulationCommandTests.analyze([
            files[0], "--with", other.path, "--profile", "skin-camera-multi-light", "--profiles-dir", profiles,
        ])
        #expect(refused.status == 2 && refused.error.contains("unknown_capture"), "\(refused.error)")
    }
}
