import Foundation
import Testing
@testable import LetheEnvelope

@Suite("Key file")
struct OHTTPKeyFileTests {
    let directory: URL

    init() throws {
        directory = URL(fileURLWithPath: "/tmp").appendingPathComponent("lethe-keyfile-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    func mode(_ path: String) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return try #require(attributes[.posixPermissions] as? Int)
    }

    @Test("keys written are read back, with mode 0600")
    func roundTrip() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("keys.json").path
        let keys = [
            try OHTTPPrivateKey.generate(keyID: 1, kem: .x25519),
            try OHTTPPrivateKey.generate(keyID: 2, kem: .xWing),
        ]
        try OHTTPKeyFile.write(keys, to: path)
        #expect(try mode(path) == 0o600)

        let read = try OHTTPKeyFile.read(from: path)
        #expect(read.map(\.keyID) == [1, 2])
        #expect(read.map(\.kem) == [.x25519, .xWing])
        #expect(read.map(\.config) == keys.map(\.config))

        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any]
        #expect(json?["format"] as? String == "lethe-ohttp-keys-v1")
        let entries = json?["keys"] as? [[String: Any]]
        #expect(entries?.first?["kem"] as? String == "x25519")
        #expect(entries?.last?["kem"] as? String == "x-wing")
        #expect((entries?.first?["private_key"] as? String).flatMap { Data(base64Encoded: $0) }?.count == 32)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["keys.json"])
    }

    @Test("overwriting a world-readable file leaves mode 0600")
    func overwrite() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("keys.json").path
        #expect(FileManager.default.createFile(atPath: path, contents: Data("{}".utf8), attributes: [.posixPermissions: 0o644]))
        try OHTTPKeyFile.write([try OHTTPPrivateKey.generate(keyID: 3, kem: .x25519)], to: path)
        #expect(try mode(path) == 0o600)
        #expect(try OHTTPKeyFile.read(from: path).map(\.keyID) == [3])
    }

    static let badFiles: [(String, String, String)] = [
        ("not JSON", "key_file_error", "nope"),
        ("wrong format", "key_file_error", #"{"format":"other","keys":[]}"#),
        ("unknown KEM", "key_file_error", #"{"format":"lethe-ohttp-keys-v1","keys":[{"key_id":1,"kem":"p256","private_key":"AA=="}]}"#),
        ("key id out of range", "key_file_error", #"{"format":"lethe-ohttp-keys-v1","keys":[{"key_id":256,"kem":"x25519","private_key":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}]}"#),
        ("duplicate key id", "key_file_error", #"{"format":"lethe-ohttp-keys-v1","keys":[{"key_id":1,"kem":"x25519","private_key":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="},{"key_id":1,"kem":"x25519","private_key":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}]}"#),
        ("short key", "invalid_private_key", #"{"format":"lethe-ohttp-keys-v1","keys":[{"key_id":1,"kem":"x25519","private_key":"AAAA"}]}"#),
        ("not base64", "invalid_private_key", #"{"format":"lethe-ohttp-keys-v1","keys":[{"key_id":1,"kem":"x25519","private_key":"***"}]}"#),
    ]

    @Test("bad key files are refused", arguments: badFiles)
    func badFile(name: String, code: String, contents: String) throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("bad.json").path
        try Data(contents.utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: envelopeError(code)) { try OHTTPKeyFile.read(from: path) }
    }

    @Test("a missing key file is refused")
    func missing() {
        #expect(throws: envelopeError("key_file_error")) { try OHTTPKeyFile.read(from: directory.appendingPathComponent("absent.json").path) }
        try? FileManager.default.removeItem(at: directory)
    }
}
