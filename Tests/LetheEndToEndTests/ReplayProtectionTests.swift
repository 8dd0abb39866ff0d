import Foundation
import LetheAPI
import LetheClient
import LetheEnvelope
import Testing

/// Replay protection as RFC 9458 §6.5 describes it, against a real worker over loopback HTTP: a
/// freshness window from the inner `Date`, the gateway's `Date` for a device whose clock is off,
/// and a cache of seen encapsulated keys that outlives key reloads.
@Suite("Replay protection (RFC 9458 §6.5)")
struct ReplayProtectionTests {
    /// An analysis request dated `date` (nil: no Date field), encapsulated to the worker's X25519 key.
    static func envelope(_ session: WorkerHarness.Session, date: Date? = Date()) async throws -> Data {
        try OHTTPClient(keyConfig: try await session.x25519Config())
            .encapsulate(innerRequest(session, date: date)).encapsulatedRequest
    }

    static func innerRequest(_ session: WorkerHarness.Session, date: Date?) -> Data {
        var fields = [
            BinaryHTTPField(name: "authorization", value: "Bearer \(session.token)"),
            BinaryHTTPField(name: "content-type", value: "image/png"),
        ]
        if let date { fields.append(BinaryHTTPField(name: "date", value: HTTPDate.format(date))) }
        return BinaryHTTPRequest.encode(
            method: "POST", scheme: "https", authority: "lethe.test", path: "/v1/analyses?kind=skin",
            headerFields: fields, content: TestPhotos.portrait)
    }

    /// The `code` of an outer problem document.
    static func problemCode(_ body: Data) -> String? {
        (try? JSONSerialization.jsonObject(with: body) as? [String: Any])?["code"] as? String
    }

    @Test("the same encapsulated request sent twice: the second is refused before decryption, not analysed, not recorded, counted")
    func sameEnvelopeTwice() async throws {
        try await WorkerHarness().run { session in
            let envelope = try await Self.envelope(session)
            let first = try await session.postEnvelope(envelope)
            #expect(first.status == 200)
            let second = try await session.postEnvelope(envelope)
            #expect(second.status == 400)
            #expect(Self.problemCode(second.body) == "request_replayed")
            // One analysis, one ledger entry: the copy left no record an attacker could multiply.
            #expect(try session.ledgerEntries().count == 1)
            #expect(try await session.metric("lethe_replays_refused_total") == 1)
            #expect(try await session.metrics().contains(#"lethe_requests_total{kind="skin",outcome="ok",code="none",disposition="none"} 1"#))
        }
    }

    @Test("copies sent at the same moment: exactly one is analysed")
    func simultaneousCopies() async throws {
        try await WorkerHarness(maxConcurrent: 8, maxQueued: 8).run { session in
            let envelope = try await Self.envelope(session)
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<6 { group.addTask { try await session.postEnvelope(envelope).status } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == 200 }.count == 1)
            #expect(statuses.filter { $0 == 400 }.count == 5)
            #expect(try session.ledgerEntries().count == 1)
            #expect(try await session.metric("lethe_replays_refused_total") == 5)
        }
    }

    @Test("a stale Date is refused inside the encrypted answer, which carries the gateway's Date")
    func staleDate() async throws {
        try await WorkerHarness().run { session in
            let client = session.client
            let before = Date().addingTimeInterval(-1)
            let (head, content) = try await client.send(
                Self.innerRequest(session, date: Date().addingTimeInterval(-3600)), to: try await session.x25519Config())
            let after = Date().addingTimeInterval(1)
            #expect(head.status == 400)
            #expect(try JSONDecoder().decode(ErrorResponse.self, from: content).error.code == "request_stale")
            let gatewayDate = try #require(head.field("date").flatMap { HTTPDate.parse($0) })
            #expect(gatewayDate >= before.addingTimeInterval(-1) && gatewayDate <= after)
            #expect(try session.ledgerEntries().last?.errorCode == "request_stale")
        }
    }

    @Test("a request without a Date is refused with date_required")
    func missingDate() async throws {
        try await WorkerHarness().run { session in
            let (head, content) = try await session.client.send(
                Self.innerRequest(session, date: nil), to: try await session.x25519Config())
            #expect(head.status == 400)
            #expect(try JSONDecoder().decode(ErrorResponse.self, from: content).error.code == "date_required")
        }
    }

    @Test("LetheClient with a clock an hour off corrects it from the gateway's Date, retries once, and keeps the correction",
          arguments: [-3600.0, 3600.0])
    func clientCorrectsItsClock(skewSeconds: Double) async throws {
        try await WorkerHarness().run { session in
            var client = session.client
            client.clock = { Date().addingTimeInterval(skewSeconds) }
            let started = ContinuousClock.now
            let response = try await client.analyze(photo: TestPhotos.portrait)
            let exchange = ContinuousClock.now - started
            #expect(response.image.width == 512)
            // The correction undoes the skew, to the second HTTP-date keeps and the time the
            // exchanges took (the gateway's Date is read somewhere inside them): measured here,
            // not assumed, since a loaded machine stretches it past any fixed figure.
            let exchangeSeconds = Double(exchange.components.seconds) + Double(exchange.components.attoseconds) / 1e18
            #expect(abs(client.clockOffsetSeconds + skewSeconds) < 1 + exchangeSeconds, "exchanges took \(exchangeSeconds) s")
            let entries = try session.ledgerEntries()
            #expect(entries.map { $0.errorCode ?? "ok" } == ["request_stale", "ok"])

            // The next request is dated right the first time: one more entry, no stale one.
            _ = try await client.analyze(photo: TestPhotos.portrait)
            #expect(try session.ledgerEntries().map { $0.errorCode ?? "ok" } == ["request_stale", "ok", "ok"])
        }
    }

    @Test("a key reload does not clear the replay cache: a copy sent after the keys rotated is still refused")
    func survivesKeyReload() async throws {
        let directory = URL(fileURLWithPath: "/tmp").appendingPathComponent("lethe-replay-keys-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let keyFile = directory.appendingPathComponent("ohttp-keys.json").path
        try OHTTPKeyFile.write(
            scheduled: [try .generate(keyID: 1, kem: .x25519), try .generate(keyID: 2, kem: .xWing)].map { OHTTPScheduledKey($0) },
            to: keyFile)
        let harness = WorkerHarness { configuration in
            configuration.keyFile = keyFile
            configuration.keyReloadIntervalSeconds = 0.05
        }
        try await harness.run { session in
            let envelope = try await Self.envelope(session)
            #expect(try await session.postEnvelope(envelope).status == 200)

            // Rotate: new keys published at once, the old ones accepted for ten more minutes.
            let rotated = try OHTTPKeyRotation.rotate(
                try OHTTPKeyFile.readScheduled(from: keyFile), publishDelay: 0, gracePeriod: 600)
            try OHTTPKeyFile.write(scheduled: rotated, to: keyFile)
            let deadline = Date().addingTimeInterval(60)
            while try await session.client.fetchKeyConfigs().map(\.keyID) != [3, 4], Date() < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(try await session.client.fetchKeyConfigs().map(\.keyID) == [3, 4])

            let copy = try await session.postEnvelope(envelope)
            #expect(Self.problemCode(copy.body) == "request_replayed")
            #expect(try session.ledgerEntries().count == 1)
            // New requests are analysed as before.
            #expect(try await session.postEnvelope(try await Self.envelope(session)).status == 200)
        }
    }
}
