import Foundation
import LetheMemory
import Testing
@testable import LetheEnvelope

/// Key schedules, rotation, key directories and reloading, with real keys, real files and real
/// HPKE round trips through the gateway.
@Suite("Key rotation")
struct OHTTPKeyRotationTests {
    let directory: URL
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    init() throws {
        directory = URL(fileURLWithPath: "/tmp").appendingPathComponent("lethe-keyrotation-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    /// Encapsulates a small request to `config` and asks `gateway` to open it at the current time.
    func decapsulate(_ config: OHTTPKeyConfig, at gateway: OHTTPGateway) throws -> Data {
        let request = BinaryHTTPRequest.encode(method: "GET", scheme: "https", authority: "lethe", path: "/", headerFields: [], content: Data("ping".utf8))
        let (encapsulated, _) = try OHTTPClient(keyConfig: config).encapsulate(request)
        let arena = PlaintextArena()
        defer { _ = arena.wipeAll() }
        let (plaintext, _) = try gateway.decapsulate(encapsulated, into: arena)
        return plaintext.withUnsafeBytes { Data($0) }
    }

    @Test("rotation: new keys pending, then published; old keys in grace, then dropped")
    func rotationSchedule() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let original = [OHTTPScheduledKey(try .generate(keyID: 1, kem: .x25519)), OHTTPScheduledKey(try .generate(keyID: 2, kem: .xWing))]
        let rotated = try OHTTPKeyRotation.rotate(original, now: t0, publishDelay: 60, gracePeriod: 600)
        #expect(rotated.map(\.key.keyID) == [1, 2, 3, 4])
        #expect(rotated.map(\.key.kem) == [.x25519, .xWing, .x25519, .xWing])
        let set = OHTTPKeySet(keys: rotated)

        // Before the publication delay: old keys published, every key accepted.
        #expect(set.published(at: t0.addingTimeInterval(59)).map(\.keyID) == [1, 2])
        #expect(set.acceptedKeyIDs(at: t0.addingTimeInterval(59)) == [1, 2, 3, 4])
        // After it: new keys published, old ones still accepted (grace).
        #expect(set.published(at: t0.addingTimeInterval(60)).map(\.keyID) == [3, 4])
        #expect(set.acceptedKeyIDs(at: t0.addingTimeInterval(659)) == [1, 2, 3, 4])
        // After the grace period: old keys dropped.
        #expect(set.acceptedKeyIDs(at: t0.addingTimeInterval(660)) == [3, 4])
        #expect(set.acceptedKey(id: 1, at: t0.addingTimeInterval(660)) == nil)
        #expect(OHTTPKeyRotation.state(of: rotated[0], in: rotated, at: t0.addingTimeInterval(100)) == "grace")
        #expect(OHTTPKeyRotation.state(of: rotated[2], in: rotated, at: t0) == "pending")

        // A second rotation after the grace period drops the expired keys from the file and
        // does not reuse a key id still present.
        let again = try OHTTPKeyRotation.rotate(rotated, now: t0.addingTimeInterval(700), publishDelay: 0, gracePeriod: 10)
        #expect(again.map(\.key.keyID) == [3, 4, 5, 6])
        #expect(OHTTPKeySet(keys: again).published(at: t0.addingTimeInterval(700)).map(\.keyID) == [5, 6])
    }

    @Test("format v2 keeps schedules; v1 files are still read and still written for unscheduled keys")
    func fileFormats() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("keys.json").path
        let scheduled = [
            OHTTPScheduledKey(try .generate(keyID: 9, kem: .x25519), acceptUntil: t0),
            OHTTPScheduledKey(try .generate(keyID: 10, kem: .x25519), notBefore: t0.addingTimeInterval(-30)),
        ]
        try OHTTPKeyFile.write(scheduled: scheduled, to: path)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
        #expect(json["format"] as? String == "lethe-ohttp-keys-v2")
        let entries = try #require(json["keys"] as? [[String: Any]])
        #expect(entries[0]["accept_until"] as? String == "2027-01-15T08:00:00Z")
        #expect(entries[1]["not_before"] as? String == "2027-01-15T07:59:30Z")
        let read = try OHTTPKeyFile.readScheduled(from: path)
        #expect(read.map(\.key.config) == scheduled.map(\.key.config))
        #expect(read.map(\.acceptUntil) == [t0, nil])
        #expect(read.map(\.notBefore) == [nil, t0.addingTimeInterval(-30)])

        let v1 = #"{"format":"lethe-ohttp-keys-v1","keys":[{"key_id":1,"kem":"x25519","private_key":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}]}"#
        try Data(v1.utf8).write(to: URL(fileURLWithPath: path))
        #expect(try OHTTPKeyFile.readScheduled(from: path).map { [$0.notBefore, $0.acceptUntil] } == [[nil, nil]])
    }

    static let badSchedules: [(String, String)] = [
        ("time that is not RFC 3339", #"{"format":"lethe-ohttp-keys-v2","keys":[{"key_id":1,"kem":"x25519","private_key":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=","accept_until":"tomorrow"}]}"#),
        ("end before start", #"{"format":"lethe-ohttp-keys-v2","keys":[{"key_id":1,"kem":"x25519","private_key":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=","not_before":"2026-01-02T00:00:00Z","accept_until":"2026-01-01T00:00:00Z"}]}"#),
        ("schedule in a v1 file", #"{"format":"lethe-ohttp-keys-v1","keys":[{"key_id":1,"kem":"x25519","private_key":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=","accept_until":"2026-01-01T00:00:00Z"}]}"#),
    ]

    @Test("bad schedules are refused with key_file_error", arguments: badSchedules)
    func badSchedule(name: String, contents: String) throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("bad.json").path
        try Data(contents.utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: envelopeError("key_file_error")) { try OHTTPKeyFile.readScheduled(from: path) }
    }

    @Test("the gateway publishes current keys only, decapsulates current and grace keys, refuses expired ones as unknown_key_id")
    func gatewayHonoursSchedule() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let now = Date()
        let retiring = OHTTPScheduledKey(try .generate(keyID: 1, kem: .x25519), acceptUntil: now.addingTimeInterval(3600))
        let current = OHTTPScheduledKey(try .generate(keyID: 2, kem: .x25519), notBefore: now.addingTimeInterval(-10))
        let pending = OHTTPScheduledKey(try .generate(keyID: 3, kem: .x25519), notBefore: now.addingTimeInterval(3600))
        let expired = OHTTPScheduledKey(try .generate(keyID: 4, kem: .x25519), acceptUntil: now.addingTimeInterval(-1))
        let gateway = OHTTPGateway(keyRing: OHTTPKeyRing(keys: [retiring, current, pending, expired]))

        #expect(try OHTTPKeyConfig.decodeList(gateway.keyConfigs) == [current.key.config])
        for accepted in [retiring, current, pending] {
            #expect(try decapsulate(accepted.key.config, at: gateway).count > 0)
        }
        #expect(throws: envelopeError("unknown_key_id")) { try decapsulate(expired.key.config, at: gateway) }
        let stranger = try OHTTPPrivateKey.generate(keyID: 77, kem: .x25519)
        #expect(throws: envelopeError("unknown_key_id")) { try decapsulate(stranger.config, at: gateway) }
    }

    /// Lays out a key directory the way the kubelet mounts a Secret: the visible file is a
    /// symlink through `..data`, itself a symlink to a timestamped directory; an update writes a
    /// new timestamped directory and renames a new `..data` link over the old one.
    func publishSecret(_ keys: [OHTTPScheduledKey], in mount: URL, version: Int) throws {
        let manager = FileManager.default
        let payload = mount.appendingPathComponent("..2026_11_22_v\(version)")
        try manager.createDirectory(at: payload, withIntermediateDirectories: true)
        try OHTTPKeyFile.write(scheduled: keys, to: payload.appendingPathComponent("ohttp-keys.json").path)
        let temporaryLink = mount.appendingPathComponent("..data_tmp")
        try manager.createSymbolicLink(atPath: temporaryLink.path, withDestinationPath: payload.lastPathComponent)
        #expect(rename(temporaryLink.path, mount.appendingPathComponent("..data").path) == 0)
        let visible = mount.appendingPathComponent("ohttp-keys.json").path
        if (try? manager.destinationOfSymbolicLink(atPath: visible)) == nil {
            try manager.createSymbolicLink(atPath: visible, withDestinationPath: "..data/ohttp-keys.json")
        }
    }

    @Test("a key directory updated by a symlink swap is reloaded; keys that vanish keep a grace period")
    func keyDirectoryReload() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let mount = directory.appendingPathComponent("secret")
        let first = [OHTTPScheduledKey(try .generate(keyID: 1, kem: .x25519)), OHTTPScheduledKey(try .generate(keyID: 2, kem: .xWing))]
        try publishSecret(first, in: mount, version: 1)
        let ring = try OHTTPKeyRing(source: OHTTPKeySource(path: mount.path))
        let gateway = OHTTPGateway(keyRing: ring)
        #expect(try OHTTPKeyConfig.decodeList(gateway.keyConfigs) == first.map(\.key.config))
        #expect(try ring.reload(gracePeriod: 600) == .unchanged)

        // The operator replaces the Secret with unscheduled new keys (no `lethe keys rotate`).
        let second = [OHTTPScheduledKey(try .generate(keyID: 5, kem: .x25519)), OHTTPScheduledKey(try .generate(keyID: 6, kem: .xWing))]
        try publishSecret(second, in: mount, version: 2)
        let now = Date()
        #expect(try ring.reload(gracePeriod: 600, now: now) == .reloaded(published: [5, 6], accepted: [1, 2, 5, 6]))
        #expect(try OHTTPKeyConfig.decodeList(gateway.keyConfigs) == second.map(\.key.config))
        #expect(try decapsulate(first[0].key.config, at: gateway).count > 0)
        #expect(try decapsulate(second[1].key.config, at: gateway).count > 0)
        #expect(ring.keySet.acceptedKeyIDs(at: now.addingTimeInterval(601)) == [5, 6])

        // A broken update keeps the keys in use.
        let payload = mount.appendingPathComponent("..2026_11_22_v3")
        try FileManager.default.createDirectory(at: payload, withIntermediateDirectories: true)
        try Data("{\"format\":".utf8).write(to: payload.appendingPathComponent("ohttp-keys.json"))
        try FileManager.default.createSymbolicLink(atPath: mount.appendingPathComponent("..data_tmp").path, withDestinationPath: payload.lastPathComponent)
        #expect(rename(mount.appendingPathComponent("..data_tmp").path, mount.appendingPathComponent("..data").path) == 0)
        #expect(throws: envelopeError("key_file_error")) { try ring.reload(gracePeriod: 600) }
        #expect(try decapsulate(second[0].key.config, at: gateway).count > 0)
    }

    @Test("two files of one key directory may not share a key id")
    func directoryDuplicates() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let key = try OHTTPPrivateKey.generate(keyID: 1, kem: .x25519)
        try OHTTPKeyFile.write([key], to: directory.appendingPathComponent("a.json").path)
        try OHTTPKeyFile.write([try .generate(keyID: 1, kem: .xWing)], to: directory.appendingPathComponent("b.json").path)
        #expect(throws: envelopeError("key_file_error")) { try OHTTPKeySource(path: directory.path).load() }
    }
}
