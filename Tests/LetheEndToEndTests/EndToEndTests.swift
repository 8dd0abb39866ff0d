import Foundation
import LetheAPI
import LetheClient
import LetheEnvelope
import LetheLedger
import Testing

/// The whole path over a real loopback socket: client encrypts, worker decrypts, decodes,
/// analyses, answers encrypted, wipes, and records exactly one verified deletion.
@Suite("End to end over loopback HTTP")
struct EndToEndTests {
    @Test("the fixture portrait is analysed and exactly one verified deletion is recorded", arguments: [false, true])
    func portrait(postQuantum: Bool) async throws {
        try await WorkerHarness().run { session in
            let response = try await session.client.analyze(photo: TestPhotos.portrait, postQuantum: postQuantum)
            #expect(response.kind == "skin")
            #expect(response.image == .init(width: 512, height: 512, format: "png"))
            #expect((response.measures?.skinPixelFraction ?? 0) > 0.05)
            #expect((-90.0...90.0).contains(response.measures?.skinTone.itaDegrees ?? .nan))

            let entries = try session.ledgerEntries()
            let mine = entries.filter { $0.requestID == response.requestID }
            #expect(entries.count == 1)
            #expect(mine.count == 1)
            let entry = try #require(mine.first)
            #expect(entry.outcome == "ok" && entry.errorCode == nil)
            #expect(entry.wipeVerified)
            #expect(entry.kind == "skin")
            #expect(entry.devicePseudonym?.count == 32)
            #expect(entry.bytesWiped["request_body"]! > TestPhotos.portrait.count)
            #expect(entry.bytesWiped["pixels"] == 512 * 512 * 3)
            #expect(entry.bytesWiped["response"]! > 0)
            #expect(entry.plaintextLifetimeMicroseconds > 0)
        }
    }

    @Test("key discovery serves X25519 and X-Wing configurations with all three AEADs")
    func keyDiscovery() async throws {
        try await WorkerHarness().run { session in
            let configs = try await session.client.fetchKeyConfigs()
            #expect(Set(configs.map(\.kemID)) == [OHTTPKEM.x25519.kemID, OHTTPKEM.xWing.kemID])
            for config in configs { #expect(config.suites.count == 3) }
        }
    }

    @Test("liveness answers without a ledger entry")
    func health() async throws {
        try await WorkerHarness().run { session in
            let (data, response) = try await URLSession.shared.data(from: session.baseURL.appendingPathComponent("healthz"))
            #expect((response as? HTTPURLResponse)?.statusCode == 200)
            #expect(String(decoding: data, as: UTF8.self) == #"{"status":"ok"}"#)
            #expect(try session.ledgerEntries().isEmpty)
        }
    }
}

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
