import Foundation
import LetheEnvelope
import LetheTestSupport
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#endif

/// The real worker picks up a rotated key file on SIGHUP, without a restart, and keeps its keys
/// when the file it is told to reload is broken.
@Suite("Key reload on SIGHUP")
struct KeyReloadTests {
    static func publishedKeyIDs(_ server: ServerProcess) async throws -> [UInt8] {
        let (body, _) = try await URLSession.shared.data(from: server.baseURL.appendingPathComponent(".well-known/ohttp-gateway"))
        return try OHTTPKeyConfig.decodeList(body).map(\.keyID)
    }

    @Test("SIGHUP reloads a rotated key file at once; a broken file keeps the keys in use")
    func sighup() async throws {
        let directory = URL(fileURLWithPath: "/tmp").appendingPathComponent("lethe-keyreload-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let keyFile = directory.appendingPathComponent("ohttp-keys.json").path
        #expect(try await GracefulShutdownTests.lethe(["keys", "generate", "--out", keyFile]).status == 0)
        // The periodic check would take an hour: only SIGHUP can explain a change.
        let server = try await ServerProcess(arguments: ["--key-file", keyFile, "--key-reload-interval", "3600"])
        defer { server.stop() }
        #expect(try await Self.publishedKeyIDs(server) == [1, 2])

        let rotation = try await GracefulShutdownTests.lethe(["keys", "rotate", "--key-file", keyFile, "--publish-delay", "0", "--grace-period", "600"])
        #expect(rotation.status == 0, "\(rotation.output)")
        #expect(try await Self.publishedKeyIDs(server) == [1, 2])
        server.signal(SIGHUP)
        let deadline = Date().addingTimeInterval(30)
        var published = try await Self.publishedKeyIDs(server)
        while published != [3, 4], Date() < deadline {
            try await Task.sleep(for: .milliseconds(50))
            published = try await Self.publishedKeyIDs(server)
        }
        #expect(published == [3, 4])
        #expect(server.log.contains("ohttp keys reloaded"))

        try Data("{\"format\":\"lethe-ohttp-keys-v2\",".utf8).write(to: URL(fileURLWithPath: keyFile))
        server.signal(SIGHUP)
        while !server.log.contains("ohttp key reload failed"), Date() < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(server.log.contains("ohttp key reload failed"))
        #expect(try await Self.publishedKeyIDs(server) == [3, 4])
        server.signal(SIGTERM)
        let status = try await server.waitForExit()
        #expect(status == 0)
    }
}
