import Crypto
import Foundation
import LetheMemory
import LetheLedger
import LetheTransparency
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

    /// Opens the ledger with the pseudonym key in `pseudonymFile` (and the default signing key).
    static func open(_ place: Place, pseudonymFile: URL?) throws -> DeletionLedger {
        var configuration = LedgerConfiguration()
        configuration.pseudonymKeyFile = pseudonymFile?.path
        return try DeletionLedger(directory: place.ledger, configuration: configuration)
    }

    /// Writes `bytes` as a pseudonym key at `url` with permissions `mode`.
    static func writePseudonymKey(_ bytes: [UInt8], at url: URL, mode: Int) throws {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: url)
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: url.path)
    }

    @Test("a read-only pseudonym key outside the ledger directory makes the pseudonyms; none is created inside", arguments: [0o400, 0o440])
    func pseudonymKeyOutside(mode: Int) throws {
        let place = try Place()
        defer { place.remove() }
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let file = place.keys.appendingPathComponent("pseudonym.key")
        try Self.writePseudonymKey(bytes, at: file, mode: mode)
        let ledger = try Self.open(place, pseudonymFile: file)
        let day = Date(timeIntervalSince1970: 1_795_000_000)
        #expect(ledger.pseudonymizer.pseudonym(for: "device-1", on: day) == DevicePseudonymizer(key: SymmetricKey(data: bytes)).pseudonym(for: "device-1", on: day))
        #expect(!FileManager.default.fileExists(atPath: place.ledger.appendingPathComponent(LedgerLayout.pseudonymKeyFileName).path))
    }

    @Test("a pseudonym key file inside the ledger directory, loose, missing or not 32 bytes stops the ledger")
    func pseudonymKeyRefused() throws {
        let place = try Place()
        defer { place.remove() }
        let key = [UInt8](repeating: 7, count: 32)
        let inside = place.ledger.appendingPathComponent("secrets/pseudonym.key")
        try Self.writePseudonymKey(key, at: inside, mode: 0o400)
        #expect(Self.code { _ = try Self.open(place, pseudonymFile: inside) } == "ledger_key_insecure")
        let link = place.keys.appendingPathComponent("link.key")
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: inside)
        #expect(Self.code { _ = try Self.open(place, pseudonymFile: link) } == "ledger_key_insecure")
        let loose = place.keys.appendingPathComponent("loose.key")
        try Self.writePseudonymKey(key, at: loose, mode: 0o644)
        #expect(Self.code { _ = try Self.open(place, pseudonymFile: loose) } == "ledger_key_insecure")
        #expect(Self.code { _ = try Self.open(place, pseudonymFile: place.keys.appendingPathComponent("missing.key")) } == "ledger_key_invalid")
        let short = place.keys.appendingPathComponent("short.key")
        try Self.writePseudonymKey(Array(key.prefix(31)), at: short, mode: 0o400)
        #expect(Self.code { _ = try Self.open(place, pseudonymFile: short) } == "ledger_key_invalid")
    }

    @Test("the keys left in the writable ledger directory are named, none once both are files outside")
    func keysInLedgerDirectory() {
        var configuration = LedgerConfiguration()
        #expect(configuration.keysInLedgerDirectory == [LedgerLayout.signingKeyFileName, LedgerLayout.pseudonymKeyFileName])
        configuration.signingKeyFile = "/run/secrets/ledger.key"
        #expect(configuration.keysInLedgerDirectory == [LedgerLayout.pseudonymKeyFileName])
        configuration.pseudonymKeyFile = "/run/secrets/pseudonym.key"
        #expect(configuration.keysInLedgerDirectory.isEmpty)
    }
}
