import Foundation

/// Files of the repository the tests read: fixtures, models, deploy files (the built `lethe` is
/// `ServerProcess.executable`).
public enum Repository {
    /// The repository's root (this file is `Tests/LetheTestSupport/Repository.swift`).
    public static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `Fixtures/<name>`.
    public static func fixture(_ name: String) -> URL { root.appendingPathComponent("Fixtures").appendingPathComponent(name) }

    /// The portrait every end-to-end test analyses (`Fixtures/astronaut.png`, public domain).
    public static var portrait: Data {
        get throws { try Data(contentsOf: fixture("astronaut.png")) }
    }

    /// `Config/models`: the trained models the worker loads.
    public static let models = root.appendingPathComponent("Config/models")

    /// `Config/deploy`: the deployment files.
    public static let deploy = root.appendingPathComponent("Config/deploy")
}
