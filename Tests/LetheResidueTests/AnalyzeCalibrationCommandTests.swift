import Foundation
import LetheImaging
import LetheTestSupport
import Testing

/// `lethe analyze` shows whether a photo's colour was calibrated: the table a person reads says
/// so beside ITA°, and an uncalibrated ITA° comes with its interval and no category when it spans two.
@Suite("lethe analyze --profile (colour calibration)")
struct AnalyzeCalibrationCommandTests {
    @Test("a cast photo with a grey-reference profile prints a calibrated ITA° and its category; without the profile, the interval and the spanned categories")
    func printsCalibration() async throws {
        // Skin of ITA° 33.0 beside the example profile's grey card, half a stop under, warm light.
        let pixels = CalibrationScene.pixels(skin: (l: 62, a: 13, b: 18.48), capture: .init(exposureStops: -0.5, whiteBalanceShift: 0.1))
        let png = try pixels.withUnsafeBytes { try ImageEncoder.encode($0, width: 240, height: 240, as: .png) }
        let file = URL(fileURLWithPath: "/tmp/lethe-cast-skin-\(UUID().uuidString).png")
        try Data(png).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let profiles = Repository.root.appendingPathComponent("Config/profiles").path

        let calibrated = try await AnalyzeSimulationCommandTests.analyze([file.path, "--profile", "skin-booth-grey", "--profiles-dir", profiles])
        #expect(calibrated.status == 0, "\(calibrated.error)")
        #expect(calibrated.output.contains("ITA°       33.1°  intermediate"), "\(calibrated.output)")
        #expect(calibrated.output.contains("Colour     calibrated (grey reference)"), "\(calibrated.output)")

        let plain = try await AnalyzeSimulationCommandTests.analyze([file.path, "--profiles-dir", profiles])
        #expect(plain.status == 0, "\(plain.error)")
        #expect(plain.output.contains("ITA°       11.6° (-4.3–25.0°)  tan or brown: no category while uncalibrated"), "\(plain.output)")
        #expect(plain.output.contains("Colour     uncalibrated: ITA°, L*, a* ranges for exposure ±0.33 EV, white balance ±4 %"), "\(plain.output)")
    }
}
