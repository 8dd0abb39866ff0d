import Foundation
import LetheTestSupport
import LetheAnalysis
import LetheMemory
import Testing

/// Device profiles read from their directory: kinds are typed, so a profile naming a kind that does
/// not exist is refused when the worker starts rather than never matching a request.
@Suite("Device profiles")
struct DeviceProfileTests {
    static func directory(with profiles: [String: String]) throws -> URL {
        let directory = URL(fileURLWithPath: "/tmp").appendingPathComponent("lethe-profiles-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for (name, json) in profiles {
            try Data(json.utf8).write(to: directory.appendingPathComponent("\(name).json"))
        }
        return directory
    }

    @Test("the repository's profiles load with typed kinds")
    func repositoryProfiles() throws {
        let config = Repository.root
            .appendingPathComponent("Config/profiles")
        let profiles = try DeviceProfile.loadAll(directory: config.path)
        #expect(profiles["trichoscope-20x"]?.kinds == [.scalp, .skin])
        #expect(profiles["face-camera"]?.kinds == [.face])
    }

    @Test("a profile naming a kind that does not exist is profile_unreadable")
    func unknownKind() throws {
        let directory = try Self.directory(with: ["teeth-camera": #"{"name": "teeth-camera", "mm_per_pixel": 0.01, "kinds": ["teeth"]}"#])
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(throws: analysisError("profile_unreadable")) { try DeviceProfile.loadAll(directory: directory.path) }
    }
}
