import Foundation
import LetheMemory
import LetheLedger
import Testing

/// The signing key must live where the ledger's writer cannot replace it (docs/ledger.md §7): a
/// configured key file inside the ledger directory, or one others could write or read, stops the
/// worker; the default key created inside the directory (embedded use) still works.
@Suite("Ledger signing key placement")
struct LedgerKeyPlacementTests {
    /// A fresh ledger directory and, beside it, a key directory; both removed afterwards.
    struct Place {
        let root = URL(fileURLWithPath: "/tmp").appendingPathComponent("lethe-keyplace-\(UUID().uuidString)")
        var ledger: URL { root.appendingPathComponent("ledger") }
        var keys: URL { root.appendingPathComponent("keys") }

        init() throws {
            try FileManager.default.createDirectory(at: keys, withIntermediateDirectories: true)
        }

        func remove() { try? FileManager.default.removeItem(at: root) }

        /// Writes a new key at `url` with permissions `mode`.
        func writeKey(at url: URL, mode: Int) throws -> NoteSigner {
            let signer = try NoteSigner.generate(name: "lethe.test/placement")
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data((signer.privateKeyString + "\n").utf8).write(to: url)
            try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: url.path)
            return signer
        }

        func open(keyFile: URL?) throws -> DeletionLedger {
            var configuration = LedgerConfiguration()
            configuration.signingKeyFile = keyFile?.path
            return try DeletionLedger(directory: ledger, configuration: configuration)
        }
    }

    static func code(_ body: () throws -> Void) -> String? {
        do {
            try body()
            return nil
        } catch let error as LetheError {
            return error.code.rawValue
        } catch {
            return "\(type(of: error))"
        }
    }

    @Test("a read-only key outside the ledger directory signs; its origin is the log's", arguments: [0o400, 0o440, 0o600])
    func outsideKeyIsAccepted(mode: Int) throws {
        let place = try Place()
        defer { place.remove() }
        let signer = try place.writeKey(at: place.keys.appendingPathComponent("ledger.key"), mode: mode)
        let ledger = try place.open(keyFile: place.keys.appendingPathComponent("ledger.key"))
        #expect(ledger.verifierKey == signer.verifier.verifierKey)
        #expect(!FileManager.default.fileExists(atPath: place.ledger.appendingPathComponent(LedgerLayout.signingKeyFileName).path))
    }

    @Test("a configured key inside the ledger directory is refused, also through a symbolic link")
    func insideKeyIsRefused() throws {
        let place = try Place()
        defer { place.remove() }
        let inside = place.ledger.appendingPathComponent("secrets/ledger.key")
        _ = try place.writeKey(at: inside, mode: 0o400)
        #expect(Self.code { _ = try place.open(keyFile: inside) } == "ledger_key_insecure")
        let link = place.keys.appendingPathComponent("link.key")
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: inside)
        #expect(Self.code { _ = try place.open(keyFile: link) } == "ledger_key_insecure")
    }

    @Test("a key file others could write or read is refused", arguments: [0o644, 0o604, 0o620, 0o602, 0o666])
    func looseModeIsRefused(mode: Int) throws {
        let place = try Place()
        defer { place.remove() }
        let key = place.keys.appendingPathComponent("ledger.key")
        _ = try place.writeKey(at: key, mode: mode)
        #expect(Self.code { _ = try place.open(keyFile: key) } == "ledger_key_insecure")
    }

    @Test("without a configured key the worker still creates its own inside the ledger directory (embedded use)")
    func defaultKeyStillWorks() throws {
        let place = try Place()
        defer { place.remove() }
        let ledger = try place.open(keyFile: nil)
        let file = place.ledger.appendingPathComponent(LedgerLayout.signingKeyFileName).path
        #expect(FileManager.default.fileExists(atPath: file))
        #expect(try place.open(keyFile: nil).verifierKey == ledger.verifierKey)
    }
}
