import Foundation
import LetheClient
import LetheEnvelope
import LetheMemory
import LetheTestSupport
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The operator's side: metrics that move, probes, and overload that degrades into refusals.
@Suite("Operations: admin listener and admission control")
struct OperationsTests {
    static func get(_ url: URL, token: String? = nil) async throws -> (status: Int, body: String, headers: [AnyHashable: Any]) {
        var request = URLRequest(url: url)
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = response as? HTTPURLResponse
        return (http?.statusCode ?? 0, String(decoding: data, as: UTF8.self), http?.allHeaderFields ?? [:])
    }

    /// Lints an exposition with Prometheus' own checker (Debian's prometheus package).
    static func promtoolCheckMetrics(_ exposition: String) async throws -> Program.Run {
        let input = URL(fileURLWithPath: "/tmp/lethe-metrics-\(UUID().uuidString).txt")
        try Data(exposition.utf8).write(to: input)
        defer { try? FileManager.default.removeItem(at: input) }
        return try await Program.run("promtool", ["check", "metrics"], input: input)
    }

    /// The value of one sample line of the Prometheus exposition, e.g. `lethe_wipes_total`.
    static func sample(_ exposition: String, _ sample: String) -> Double? {
        PrometheusText(exposition).value(sample)
    }

    @Test("an in-process worker leaves this test process dumpable, with its own TMPDIR: process-wide measures are the program's")
    func noProcessWideSideEffects() async throws {
        try await WorkerHarness().run { session in
            _ = try await session.client.analyze(photo: TestPhotos.portrait)
        }
        // A process starts dumpable; only `ProcessHardening.apply()` (the `lethe` program's
        // main.swift) and CLetheLaunch (the executable's TMPDIR) change that, never the libraries.
        #expect(!ProcessHardening.current().nonDumpable)
        #expect(ProcessInfo.processInfo.environment["TMPDIR"] != ProcessHardening.noTemporaryDirectory)
    }

    @Test("metrics move with requests and carry no content")
    func metricsMove() async throws {
        try await WorkerHarness().run { session in
            let metricsURL = session.adminURL.appendingPathComponent("metrics")
            let before = try await Self.get(metricsURL)
            #expect(before.status == 200)
            #expect(Self.sample(before.body, "lethe_wipes_total") == 0)

            let response = try await session.client.analyze(photo: TestPhotos.portrait)
            let after = try await Self.get(metricsURL).body
            #expect(Self.sample(after, #"lethe_requests_total{kind="skin",outcome="ok",code="none",disposition="none"}"#) == 1)
            #expect((Self.sample(after, "lethe_wipes_total") ?? 0) >= 3)
            #expect(Self.sample(after, "lethe_wipe_verify_failures_total") == 0)
            #expect(Self.sample(after, #"lethe_stage_duration_seconds_count{stage="decode"}"#) == 1)
            #expect(Self.sample(after, "lethe_plaintext_lifetime_seconds_count") == 1)
            // Every wipe of the request, timed: more than nothing, less than the plaintext existed.
            #expect(Self.sample(after, "lethe_wipe_duration_seconds_count") == 1)
            let wiping = try #require(Self.sample(after, "lethe_wipe_duration_seconds_sum"))
            #expect(wiping > 0 && wiping < (Self.sample(after, "lethe_plaintext_lifetime_seconds_sum") ?? 0))
            // Process-wide (tests run several workers in one process), so present rather than zero.
            #expect(Self.sample(after, "lethe_plaintext_bytes") != nil)
            // What is in force in this process (the program, not the library, applies it: the
            // real binary's 1 is checked by HardeningTests).
            #expect(Self.sample(after, #"lethe_hardening_active{mechanism="non_dumpable"}"#) == (ProcessHardening.current().nonDumpable ? 1 : 0))
            #expect((Self.sample(after, "lethe_process_resident_memory_bytes") ?? 0) > 0)
            #expect(Self.sample(after, "lethe_ledger_entries") == 1)
            #expect(Self.sample(after, "lethe_checkpoint_age_seconds") != nil)
            #expect(Self.sample(after, "lethe_ohttp_keys_published") == 2)
            let lint = try await Self.promtoolCheckMetrics(after)
            #expect(lint.status == 0, "promtool check metrics: \(lint.output)")
            // Nothing from the request itself: not its id, not its measures.
            #expect(!after.contains(response.requestID))
            #expect(!after.contains(String(try #require(response.measures).skinTone.lStar)))
        }
    }

    @Test("probes: liveness, and readiness with the hardening status")
    func probes() async throws {
        try await WorkerHarness().run { session in
            let health = try await Self.get(session.adminURL.appendingPathComponent("healthz"))
            #expect(health.status == 200)
            let ready = try await Self.get(session.adminURL.appendingPathComponent("readyz"))
            #expect(ready.status == 200)
            let document = try JSONSerialization.jsonObject(with: Data(ready.body.utf8)) as? [String: Any]
            #expect(document?["ready"] as? Bool == true)
            #expect(document?["ledger_writable"] as? Bool == true)
            // X25519 and X-Wing are published.
            #expect(document?["published_keys"] as? Int == 2)
            #expect((document?["hardening_summary"] as? String)?.contains("heap_scrub=on") == true)
        }
    }

    @Test("readiness fails before the ledger volume is full: a free-space threshold above what is free")
    func readinessNeedsLedgerSpace() async throws {
        // statvfs on the ledger's volume: no volume here has 2^62 bytes free.
        try await WorkerHarness(configure: { $0.ledgerMinFreeBytes = 1 << 62 }).run { session in
            let ready = try await Self.get(session.adminURL.appendingPathComponent("readyz"))
            #expect(ready.status == 503)
            let document = try JSONSerialization.jsonObject(with: Data(ready.body.utf8)) as? [String: Any]
            #expect(document?["ready"] as? Bool == false)
            #expect(document?["ledger_writable"] as? Bool == true)
            let free = try #require(document?["ledger_free_bytes"] as? Int)
            #expect(free > 0 && free < 1 << 62)
            #expect(document?["ledger_min_free_bytes"] as? Int == 1 << 62)
            let metrics = try await Self.get(session.adminURL.appendingPathComponent("metrics")).body
            #expect((Self.sample(metrics, "lethe_ledger_free_bytes") ?? 0) > 0)
        }
        // The same volume with a threshold below what is free: ready.
        try await WorkerHarness(configure: { $0.ledgerMinFreeBytes = 1 << 20 }).run { session in
            let status = try await Self.get(session.adminURL.appendingPathComponent("readyz")).status
            #expect(status == 200)
        }
    }

    @Test("the private records are served on the operator listener (token-protected), never on the device-facing port")
    func privateRecords() async throws {
        try await WorkerHarness(adminToken: "operator-secret").run { session in
            let response = try await session.client.analyze(photo: TestPhotos.portrait)
            let url = session.adminURL.appendingPathComponent("ledger/records")
            var components = URLComponents(url: url, resolvingAgainstBaseURL: false)!
            components.queryItems = [URLQueryItem(name: "start", value: "0"), URLQueryItem(name: "end", value: "1")]
            #expect(try await Self.get(components.url!).status == 401)
            let records = try await Self.get(components.url!, token: "operator-secret")
            #expect(records.status == 200 && records.body.contains(response.requestID))
            // Its failures are problem documents with their codes, like every other route's.
            func code(_ answer: (status: Int, body: String, headers: [AnyHashable: Any])) -> String? {
                (try? JSONSerialization.jsonObject(with: Data(answer.body.utf8)) as? [String: Any])?["code"] as? String
            }
            #expect(code(try await Self.get(components.url!)) == "missing_token")
            #expect(code(try await Self.get(url, token: "operator-secret")) == "malformed_ledger_request")
            components.queryItems = [URLQueryItem(name: "start", value: "100"), URLQueryItem(name: "end", value: "101")]
            let missing = try await Self.get(components.url!, token: "operator-secret")
            #expect(missing.status == 404 && code(missing) == "not_in_ledger")
            let (_, publicAnswer) = try await URLSession.shared.data(from: session.baseURL.appendingPathComponent("ledger/records"))
            #expect((publicAnswer as? HTTPURLResponse)?.statusCode == 404)
        }
    }

    @Test("an admin token protects /metrics")
    func adminToken() async throws {
        try await WorkerHarness(adminToken: "operator-secret").run { session in
            let url = session.adminURL.appendingPathComponent("metrics")
            let anonymous = try await Self.get(url).status
            let wrongToken = try await Self.get(url, token: "wrong").status
            let operatorToken = try await Self.get(url, token: "operator-secret").status
            #expect(anonymous == 401)
            #expect(wrongToken == 401)
            #expect(operatorToken == 200)
        }
    }

    @Test("with K=1 and Q=1 the surplus gets 503 with Retry-After and admitted requests succeed")
    func overload() async throws {
        // A long queue deadline: on a loaded machine the queued request must still get its turn.
        try await WorkerHarness(maxConcurrent: 1, maxQueued: 1, queueTimeoutSeconds: 120).run { session in
            let config = try await session.x25519Config()
            let inner = session.innerRequest(photo: TestPhotos.portrait)
            let gateway = session.baseURL.appendingPathComponent(".well-known/ohttp-gateway")
            // Failures become status 0 instead of throwing: a throwing group would cancel the other
            // requests, and cancelling URLSession tasks can deadlock FoundationNetworking on Linux.
            let outcomes = await withTaskGroup(of: (status: Int, retryAfter: String?).self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        var request = URLRequest(url: gateway)
                        request.httpMethod = "POST"
                        request.setValue("message/ohttp-req", forHTTPHeaderField: "Content-Type")
                        guard let envelope = try? OHTTPClient(keyConfig: config).encapsulate(inner).encapsulatedRequest,
                              let answer = try? await URLSession.shared.data(for: request.with(body: envelope))
                        else { return (0, nil) }
                        let http = answer.1 as? HTTPURLResponse
                        return (http?.statusCode ?? 0, http?.value(forHTTPHeaderField: "Retry-After"))
                    }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
            let admitted = outcomes.filter { $0.status == 200 }
            let refused = outcomes.filter { $0.status != 200 }
            #expect(admitted.count >= 2)
            #expect(!refused.isEmpty)
            for refusal in refused {
                #expect(refusal.status == 503)
                #expect(refusal.retryAfter.flatMap(Int.init) ?? 0 >= 1)
            }
            // Every admitted request left its record; the refused ones (nothing decrypted) are
            // counted in their period's summary.
            let entries = try session.ledgerEntries()
            #expect(entries.count == admitted.count)
            #expect(try await session.publishedRefusals(reaching: ["overloaded": refused.count])["overloaded"] == refused.count)
            let exposition = try await Self.get(session.adminURL.appendingPathComponent("metrics")).body
            // Full queue or a wait past the deadline, depending on how fast the machine is.
            let full = Self.sample(exposition, #"lethe_refusals_total{reason="queue_full"}"#) ?? 0
            let timedOut = Self.sample(exposition, #"lethe_refusals_total{reason="queue_timeout"}"#) ?? 0
            #expect(Int(full + timedOut) == refused.count)
        }
    }

    @Test("a device over its rate gets 429 with Retry-After, inside the encrypted answer, and a wipe record")
    func deviceRateLimit() async throws {
        try await WorkerHarness(deviceRequestsPerMinute: 1, deviceBurst: 2).run { session in
            let photo = TestPhotos.faceless
            _ = try await session.client.analyze(photo: photo)
            _ = try await session.client.analyze(photo: photo)
            let refusal = await #expect(throws: LetheClientError.self) { try await session.client.analyze(photo: photo) }
            #expect(refusal?.code == "rate_limited")
            #expect(refusal?.status == 429)
            // One a minute: the next token is up to a minute away.
            #expect((1...60).contains(refusal?.retryAfterSeconds ?? 0))
            let entries = try session.ledgerEntries()
            let limited = try #require(entries.last)
            #expect(limited.errorCode == "rate_limited")
            #expect(limited.buffersWiped > 0 && limited.wipeVerified)
            let exposition = try await Self.get(session.adminURL.appendingPathComponent("metrics")).body
            #expect(Self.sample(exposition, #"lethe_requests_total{kind="skin",outcome="error",code="rate_limited",disposition="rate_limited"}"#) == 1)
        }
    }
}

extension URLRequest {
    /// This request with `body` as its body.
    func with(body: Data) -> URLRequest {
        var copy = self
        copy.httpBody = body
        return copy
    }
}
