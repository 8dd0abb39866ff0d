import Foundation
import LetheClient
import LetheClientNIO
import LetheTestSupport
import Testing

/// `lethe bench`'s transport against the real worker over loopback: the same client, the same
/// codes as with URLSession, whether the worker answers, refuses the envelope, or is not there.
@Suite("NIO transport", .serialized)
struct NIOTransportTests {
    @Test("analyses from two devices at once, then in turn; a refused photo (inner 422) and a refused envelope (outer 400) reach the caller as the worker's codes")
    func realWorker() async throws {
        let server = try await ServerProcess(arguments: ["--engine-processes", "1"])
        defer { server.stop() }
        let transport = NIOHTTPTransport()
        var device = LetheClient(serverURL: server.baseURL, token: server.token)
        device.transport = transport
        let client = device
        do {
            // Three requests from two devices at once: new connections, then kept ones.
            async let first = client.analyze(photo: try MarkerPhoto.make(seed: 1501).file)
            async let second = client.analyze(photo: try MarkerPhoto.make(seed: 1502).file)
            let answers = try await [first, second]
            #expect(answers.map(\.image.width) == [384, 384] && answers.allSatisfy { $0.measures != nil })
            let third = try await client.analyze(photo: try MarkerPhoto.make(seed: 1503).file)
            #expect(third.image.width == 384 && third.measures != nil)

            let corrupt = try MarkerPhoto.make(seed: 1504, truncatedTo: 0.5).file
            let refusedPhoto = await Self.failure { _ = try await client.analyze(photo: corrupt) }
            #expect(refusedPhoto?.code == "image_corrupt" && refusedPhoto?.status == 422, "\(String(describing: refusedPhoto))")

            // A key id the worker does not have: the gateway answers 400 with a problem document.
            let config = try #require(try await client.fetchKeyConfigs().first)
            var unknownKey = client
            unknownKey.pinnedKeyConfig = OHTTPKeyConfig(keyID: config.keyID &+ 100, kemID: config.kemID, publicKey: config.publicKey, suites: config.suites)
            let refusedEnvelope = await Self.failure { _ = try await unknownKey.analyze(photo: try MarkerPhoto.make(seed: 1505).file) }
            #expect(refusedEnvelope?.code == "unknown_key_id" && refusedEnvelope?.status == 400, "\(String(describing: refusedEnvelope))")
            // The connection that carried the refusal still serves.
            #expect(try await client.analyze(photo: try MarkerPhoto.make(seed: 1506).file).measures != nil)
        } catch {
            try await transport.shutdown()
            throw error
        }
        try await transport.shutdown()
        // Four analyses and the refused photo; a refused envelope held no plaintext and has no entry.
        try await server.waitForLedgerEntries(5)
        #expect(server.ledgerEntryCount() == 5)
    }

    @Test("no worker on the port: worker_unreachable naming the host and port")
    func nobodyListening() async throws {
        let transport = NIOHTTPTransport()
        var client = LetheClient(serverURL: URL(string: "http://127.0.0.1:9")!, token: "unused")
        client.transport = transport
        let failure = await Self.failure { _ = try await client.fetchKeyConfigs() }
        try await transport.shutdown()
        #expect(failure?.code == "worker_unreachable" && failure?.isTransport == true, "\(String(describing: failure))")
        #expect(failure?.message.contains("127.0.0.1:9") == true, "\(String(describing: failure))")
    }

    /// The client error `body` throws, or nil when it succeeds.
    static func failure(_ body: () async throws -> Void) async -> LetheClientError? {
        do {
            try await body()
            return nil
        } catch let error as LetheClientError {
            return error
        } catch {
            return LetheClientError(code: "\(type(of: error))", status: 0, message: "\(error)")
        }
    }
}
