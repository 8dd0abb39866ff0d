import Foundation
import LetheTestSupport
import Testing

/// The real worker says at start where its ledger keys are (issue 12, point 8): without key files
/// it warns that the signing and pseudonym keys sit in the writable ledger directory; with both
/// given as read-only files outside it, no warning, `keys_in_ledger_dir=none`, and no key file
/// appears in the ledger directory.
@Suite("Ledger keys outside the writable directory, in the real worker")
struct LedgerKeyWarningTests {
    /// What the worker logged (standard output and error).
    static func log(_ server: ServerProcess) -> String {
        ["stdout", "stderr"].map { (try? String(contentsOf: server.directory.appendingPathComponent($0), encoding: .utf8)) ?? "" }.joined()
    }

    @Test("without key files: a warning naming both keys and the directory")
    func warnsWithoutKeyFiles() async throws {
        let server = try await ServerProcess()
        defer { server.stop() }
        let log = Self.log(server)
        #expect(log.contains("keys in the writable ledger directory: whoever can write \(server.ledgerDirectory.path) can read or replace ledger-signing.key and pseudonym.key"), "\(log)")
        #expect(log.contains("keys_in_ledger_dir=ledger-signing.key,pseudonym.key"))
    }

    @Test("with both keys read-only outside the ledger directory: no warning, none inside")
    func quietWithKeyFiles() async throws {
        let keys = URL(fileURLWithPath: "/tmp/lethe-keys-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: keys, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: keys) }
        let signing = keys.appendingPathComponent("ledger.key").path
        let generated = try await Program.run(ServerProcess.executable.path, ["keys", "ledger", "--generate", "--key-file", signing, "--origin", "lethe.test/keys"])
        #expect(generated.status == 0, "\(generated.output)")
        let pseudonym = keys.appendingPathComponent("pseudonym.key").path
        var generator = SystemRandomNumberGenerator()
        try Data((0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }).write(to: URL(fileURLWithPath: pseudonym))
        for file in [signing, pseudonym] { try FileManager.default.setAttributes([.posixPermissions: 0o400], ofItemAtPath: file) }

        let server = try await ServerProcess(arguments: ["--ledger-key-file", signing], environment: ["LETHE_PSEUDONYM_KEY_FILE": pseudonym])
        defer { server.stop() }
        let log = Self.log(server)
        #expect(!log.contains("keys in the writable ledger directory"), "\(log)")
        #expect(log.contains("keys_in_ledger_dir=none"), "\(log)")
        for name in ["ledger-signing.key", "pseudonym.key"] {
            #expect(!FileManager.default.fileExists(atPath: server.ledgerDirectory.appendingPathComponent(name).path), "\(name)")
        }
    }
}
