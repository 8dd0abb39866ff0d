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

    /// The `lethe` executable that `swift build`/`swift test` put next to the test bundle (on Linux
    /// the test binary is `<build>/debug/lethePackageTests.xctest`): what a worker embedded in a
    /// test starts its engine processes from, since the test binary is not `lethe`.
    public static var letheExecutable: URL {
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var directory = bundle.deletingLastPathComponent()
        if directory.lastPathComponent.hasSuffix(".xctest") { directory.deleteLastPathComponent() }
        return directory.appendingPathComponent("lethe")
    }
}
