import Crypto
import Foundation
import LetheLedger
import Testing

@Suite("DeletionLedger")
struct DeletionLedgerTests {
    func temporaryDirectory() -> URL {
        URL(fileURLWithPath: "/tmp").appendingPathComponent("lethe-ledger-\(UUID().uuidString)")
    }

    func record(_ errorCode: String? = nil) -> DeletionRecord {
        DeletionRecord(
            requestID: "00112233445566778899aabbccddeeff", devicePseudonym: "abcd", kind: "skin",
            receivedAt: Date(timeIntervalSince1970: 1_790_000_000), wipedAt: Date(timeIntervalSince1970: 1_790_000_000.25),
            plaintextLifetimeMicroseconds: 250_000, bytesWiped: ["pixels": 30, "request_body": 10],
            buffersWiped: 2, wipeVerified: true, errorCode: errorCode)
    }

    @Test("entries are canonical JSON with sorted keys and no personal data fields")
    func canonical() throws {
        var entry = record()
        entry.sequence = 7
        let json = String(decoding: try entry.canonicalJSON(), as: UTF8.self)
        #expect(json == #"{"buffers_wiped":2,"bytes_wiped":{"pixels":30,"request_body":10},"device_pseudonym":"abcd","kind":"skin","outcome":"ok","plaintext_lifetime_us":250000,"received_at":"2026-09-21T14:13:20.000Z","request_id":"00112233445566778899aabbccddeeff","sequence":7,"version":1,"wipe_verified":true,"wiped_at":"2026-09-21T14:13:20.250Z"}"#)
    }

    @Test("appends get consecutive sequence numbers that continue after reopening")
    func sequence() async throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        do {
            let ledger = try DeletionLedger(directory: directory)
            #expect(try await ledger.append(record()).sequence == 0)
            #expect(try await ledger.append(record("image_corrupt")).sequence == 1)
        }
        let reopened = try DeletionLedger(directory: directory)
        #expect(await reopened.count == 2)
        #expect(try await reopened.append(record()).sequence == 2)
        let entries = try DeletionLedger.readEntries(in: directory)
        #expect(entries.map(\.sequence) == [0, 1, 2])
        #expect(entries[1].outcome == "error" && entries[1].errorCode == "image_corrupt")
    }

    @Test("an incomplete last line from a crash is cut off and earlier entries survive")
    func crashRecovery() async throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        do {
            let ledger = try DeletionLedger(directory: directory)
            try await ledger.append(record())
        }
        let file = LedgerLayout(directory: directory).segmentFile(firstIndex: 0)
        let handle = try FileHandle(forWritingTo: file)
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(#"{"buffers_wi"#.utf8))
        try handle.close()

        let reopened = try DeletionLedger(directory: directory)
        #expect(reopened.recoveredBytes == 12)
        #expect(try await reopened.append(record()).sequence == 1)
        #expect(try DeletionLedger.readEntries(in: directory).count == 2)
    }

    @Test("wipe times never go backwards in ledger order, also across a restart")
    func monotonicWipeTimes() async throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        var later = record()
        later.wipedAt = "2026-09-21T14:13:21.000Z"
        var earlier = record()
        earlier.wipedAt = "2026-09-21T14:13:20.500Z"
        do {
            let ledger = try DeletionLedger(directory: directory)
            try await ledger.append(later)
            #expect(try await ledger.append(earlier).wipedAt == "2026-09-21T14:13:21.000Z")
        }
        let reopened = try DeletionLedger(directory: directory)
        #expect(try await reopened.append(earlier).wipedAt == "2026-09-21T14:13:21.000Z")
        var newest = record()
        newest.wipedAt = "2026-09-21T14:13:22.000Z"
        #expect(try await reopened.append(newest).wipedAt == "2026-09-21T14:13:22.000Z")
    }

    @Test("files are private to the worker")
    func permissions() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        _ = try DeletionLedger(directory: directory)
        for name in ["segments/00000000000000000000.jsonl", "pseudonym.key", "ledger-signing.key"] {
            let attributes = try FileManager.default.attributesOfItem(atPath: directory.appendingPathComponent(name).path)
            #expect((attributes[.posixPermissions] as? Int) == 0o600, "\(name)")
        }
    }

    @Test("pseudonyms are stable per key and day, differ between devices, keys and days")
    func pseudonyms() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let first = try DevicePseudonymizer.loadOrCreate(in: directory)
        let again = try DevicePseudonymizer.loadOrCreate(in: directory)
        let other = DevicePseudonymizer(key: .init(size: .bits256))
        let monday = Date(timeIntervalSince1970: 1_790_000_000)
        let mondayEvening = monday.addingTimeInterval(3600)
        let tuesday = monday.addingTimeInterval(86_400)
        #expect(first.pseudonym(for: "camera-7", on: monday) == again.pseudonym(for: "camera-7", on: mondayEvening))
        #expect(first.pseudonym(for: "camera-7", on: monday) != first.pseudonym(for: "camera-8", on: monday))
        #expect(first.pseudonym(for: "camera-7", on: monday) != other.pseudonym(for: "camera-7", on: monday))
        // A new day, a new pseudonym: published entries link a device's requests for a day at most.
        #expect(first.pseudonym(for: "camera-7", on: monday) != first.pseudonym(for: "camera-7", on: tuesday))
        #expect(first.pseudonym(for: "camera-7", on: monday).count == 32)
        #expect(!first.pseudonym(for: "camera-7", on: monday).contains("camera"))
    }
}
