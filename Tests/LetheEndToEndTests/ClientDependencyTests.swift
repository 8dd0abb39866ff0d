import Foundation
import LetheTestSupport
import Testing

/// The device SDK stays an SDK (issue 19, point 6): what `LetheClient` pulls into an app is read
/// from the package's own manifest (`swift package dump-package`), so that a dependency added
/// anywhere below the client that reaches server code fails here, not in an app's build.
@Suite("LetheClient depends on nothing server-side")
struct ClientDependencyTests {
    /// Modules a device must never link: the worker's ledger storage, its server and engine, the
    /// imaging and analysis stack and the C libraries under them, the executable.
    static let serverSide: Set<String> = [
        "LetheLedger", "LetheServer", "LetheEngine", "LetheAnalysis", "LetheImaging", "CVips", "CLetheDeadline", "CLetheLaunch", "lethe",
    ]

    /// The package's targets by name: their type and what they depend on (targets of the package
    /// by name, and products of other packages as `package/product`).
    struct Manifest {
        struct Target {
            let type: String
            let targets: [String]
            let products: [String]
        }

        let targets: [String: Target]
        let platforms: [String: String]

        init(json: Data) throws {
            let root = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
            let entries = try #require(root["targets"] as? [[String: Any]])
            let names = Set(entries.compactMap { $0["name"] as? String })
            var targets: [String: Target] = [:]
            for entry in entries {
                let name = try #require(entry["name"] as? String)
                var onTargets: [String] = []
                var onProducts: [String] = []
                for dependency in entry["dependencies"] as? [[String: Any]] ?? [] {
                    if let product = dependency["product"] as? [Any], let productName = product.first as? String {
                        onProducts.append("\(product.count > 1 ? product[1] as? String ?? "?" : "?")/\(productName)")
                    } else if let byName = (dependency["byName"] ?? dependency["target"]) as? [Any], let dependencyName = byName.first as? String {
                        // `byName` names a target of this package, or else a product of a dependency.
                        if names.contains(dependencyName) { onTargets.append(dependencyName) } else { onProducts.append("?/\(dependencyName)") }
                    }
                }
                targets[name] = Target(type: entry["type"] as? String ?? "?", targets: onTargets, products: onProducts)
            }
            self.targets = targets
            let platforms = root["platforms"] as? [[String: Any]] ?? []
            self.platforms = Dictionary(platforms.compactMap { platform in
                guard let name = platform["platformName"] as? String, let version = platform["version"] as? String else { return nil }
                return (name, version)
            }) { first, _ in first }
        }

        /// `name` and every target it depends on, directly or not.
        func closure(of name: String) -> Set<String> {
            var seen: Set<String> = [name]
            var pending = [name]
            while let next = pending.popLast() {
                for dependency in targets[next]?.targets ?? [] where seen.insert(dependency).inserted {
                    pending.append(dependency)
                }
            }
            return seen
        }
    }

    /// The manifest as SwiftPM reads it (in a scratch directory of its own: the package's `.build`
    /// belongs to the `swift test` that runs this).
    static func manifest() async throws -> Manifest {
        let scratch = URL(fileURLWithPath: "/tmp").appendingPathComponent("lethe-manifest-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let run = try await Program.run(
            "swift", ["package", "--package-path", Repository.root.path, "--scratch-path", scratch.path, "dump-package"],
            errorOutput: .discarded, timeout: .seconds(120))
        #expect(run.status == 0, "swift package dump-package failed: \(run.output.prefix(500))")
        return try Manifest(json: Data(run.output.utf8))
    }

    @Test("the client's dependencies, all the way down, hold no server-side module, system library or package but swift-crypto")
    func clientClosure() async throws {
        let manifest = try await Self.manifest()
        let closure = manifest.closure(of: "LetheClient")
        #expect(closure.contains("LetheTransparency") && closure.contains("LetheEnvelope"), "\(closure.sorted())")
        #expect(closure.isDisjoint(with: Self.serverSide), "LetheClient reaches \(closure.intersection(Self.serverSide).sorted())")
        let systemLibraries = closure.filter { manifest.targets[$0]?.type == "system" }
        #expect(systemLibraries.isEmpty, "LetheClient reaches the system libraries \(systemLibraries.sorted())")
        let products = Set(closure.flatMap { manifest.targets[$0]?.products ?? [] })
        #expect(products == ["swift-crypto/Crypto"], "LetheClient reaches the products \(products.sorted())")
        // The README's example is built as an app builds it: on the client alone.
        #expect(manifest.targets["LetheClientExample"]?.targets == ["LetheClient"])
        #expect(manifest.targets["LetheClientExample"]?.products == [])
    }

    @Test("the package declares the Apple platforms the client supports")
    func platforms() async throws {
        let manifest = try await Self.manifest()
        #expect(manifest.platforms == ["macos": "26.0", "ios": "26.0", "tvos": "26.0", "watchos": "26.0", "visionos": "26.0"])
    }
}
