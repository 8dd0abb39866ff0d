import Foundation
import LetheTestSupport
import LetheClient
import LetheEnvelope
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#endif

/// Three real `lethe serve` processes behind a real nginx on loopback, sharing one key file,
/// one tokens file and one config file, each with its own ledger.
@Suite("Replicas behind nginx", .tags(.needsNginx))
struct ReplicaSetTests {
    /// One device attempt: key discovery and an analysis, each through nginx.
    struct Attempt: Sendable {
        let startedAt: ContinuousClock.Instant
        let keyID: UInt8?
        /// `ok`, or `code/status` of the failure.
        let outcome: String
        let isRetry: Bool
        var succeeded: Bool { outcome == "ok" }
    }

    /// What the devices did, and whether they should go on.
    actor Load {
        private(set) var attempts: [Attempt] = []
        private(set) var running = true
        func add(_ attempt: Attempt) { attempts.append(attempt) }
        func stop() { running = false }
        func successes(startedAfter instant: ContinuousClock.Instant, keyIDs: Set<UInt8>? = nil) -> Int {
            attempts.filter { attempt in
                guard attempt.succeeded, attempt.startedAt > instant else { return false }
                guard let keyIDs else { return true }
                return attempt.keyID.map(keyIDs.contains) ?? false
            }.count
        }
    }

    /// Fetches the key configs through nginx and sends one photo encrypted to the X25519 key, as
    /// a device does: discovery and the request are separate HTTP requests, so nginx sends them
    /// to different replicas.
    static func attempt(_ client: LetheClient, photo: Data, load: Load, isRetry: Bool) async -> Bool {
        let started = ContinuousClock.now
        var keyID: UInt8?
        let outcome: String
        do {
            let configs = try await client.fetchKeyConfigs()
            guard let config = configs.first(where: { $0.kemID == OHTTPKEM.x25519.kemID }) else {
                throw LetheClientError(code: "no_usable_key", status: 0, message: "no X25519 key published")
            }
            keyID = config.keyID
            var pinned = client
            pinned.pinnedKeyConfig = config
            _ = try await pinned.analyze(photo: photo)
            outcome = "ok"
        } catch let error as LetheClientError {
            outcome = "\(error.code)/\(error.status)"
        } catch {
            outcome = "transport/\(error)"
        }
        await load.add(Attempt(startedAt: started, keyID: keyID, outcome: outcome, isRetry: isRetry))
        return outcome == "ok"
    }

    static func waitUntil(_ what: String, timeoutSeconds: Double = 120, _ condition: () async throws -> Bool) async throws {
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while try await !condition() {
            guard Date() < deadline else { throw HarnessError("timed out waiting for \(what)") }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    static func keyConfigs(from baseURL: URL) async throws -> Data {
        try await URLSession.shared.data(from: baseURL.appendingPathComponent(".well-known/ohttp-gateway")).0
    }

    /// Waits until `pid` is stopped (state T), then tells whether one of its pool threads (NIO's
    /// `SGLTN-TP-#n`) was caught decoding or analysing: in user space (`-1` in its syscall file) or
    /// in the memory calls the arena makes (mmap 9, munmap 11, madvise 28, mlock 149, munlock 150).
    /// Parked threads sit in futex (202); the pool's other jobs (key-file checks, ledger files)
    /// are in file system calls, and catching one of those would kill no request.
    static func frozenWhileAnalysing(_ pid: Int32) async throws -> Bool {
        let deadline = Date().addingTimeInterval(10)
        while (try ProcFile.read("/proc/\(pid)/stat")).split(separator: ")").last?.split(separator: " ").first != "T" {
            guard Date() < deadline else { throw HarnessError("replica \(pid) did not stop") }
            try await Task.sleep(for: .milliseconds(1))
        }
        let threads = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")
        let analysingInGateway = try threads.contains { thread in
            let name = try ProcFile.read("/proc/\(pid)/task/\(thread)/comm")
            guard name.hasPrefix("SGLTN-TP") else { return false }
            let call = try ProcFile.read("/proc/\(pid)/task/\(thread)/syscall").split(separator: " ").first ?? ""
            return ["-1", "9", "11", "28", "149", "150"].contains(call)
        }
        // With engine processes the analysis runs in a child, which the gateway's stop does not
        // freeze: an engine busy with a job is not waiting for its next frame (recvmsg, 47), and
        // its answer cannot leave the frozen gateway.
        let engines = threads.flatMap { thread in
            ((try? ProcFile.read("/proc/\(pid)/task/\(thread)/children")) ?? "").split(separator: " ").map(String.init)
        }
        let analysingInEngine = engines.contains { engine in
            guard let call = (try? ProcFile.read("/proc/\(engine)/syscall"))?.split(separator: " ").first else { return false }
            return call != "47"
        }
        return analysingInGateway || analysingInEngine
    }

    /// The replica's `lethe_requests_in_flight` from its operator listener.
    static func inFlight(_ replica: ServerProcess) async -> Int {
        let stdout = (try? String(contentsOf: replica.directory.appendingPathComponent("stdout"), encoding: .utf8)) ?? ""
        guard let range = stdout.range(of: #"operator endpoints \(metrics, healthz, readyz\) on (http://\S+)"#, options: .regularExpression),
              let url = stdout[range].split(separator: " ").last.flatMap({ URL(string: String($0) + "/metrics") }),
              let (body, _) = try? await URLSession.shared.data(from: url)
        else { return 0 }
        let line = String(decoding: body, as: UTF8.self).split(separator: "\n").first { $0.hasPrefix("lethe_requests_in_flight ") }
        return line.flatMap { Double($0.split(separator: " ").last ?? "") }.map { Int($0) } ?? 0
    }

    @Test("three replicas share keys and load; one is killed, the others serve; a rotation loses nothing; every ledger verifies",
          .timeLimit(.minutes(5)))
    func replicasBehindNginx() async throws {
        let work = URL(fileURLWithPath: "/tmp").appendingPathComponent("lethe-replicas-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }

        // Shared by every replica: keys, device tokens, and a config file naming them.
        let keyFile = work.appendingPathComponent("ohttp-keys.json")
        let generated = try await GracefulShutdownTests.lethe(["keys", "generate", "--out", keyFile.path])
        try #require(generated.status == 0, "\(generated.output)")
        let token = (0..<32).map { _ in String(format: "%02x", UInt8.random(in: .min ... .max)) }.joined()
        let tokensFile = work.appendingPathComponent("tokens.txt")
        try "camera-1 \(token)\n".write(to: tokensFile, atomically: true, encoding: .utf8)
        let configFile = work.appendingPathComponent("lethe.conf")
        try """
            # One config file for every replica; each gets its own --port, --admin-port and --ledger-dir.
            key-file = \(keyFile.path)
            tokens-file = "\(tokensFile.path)"
            key-reload-interval = 0.25
            checkpoint-entries = 4
            max-concurrent = 2

            """.write(to: configFile, atomically: true, encoding: .utf8)

        var replicas: [ServerProcess] = []
        defer { replicas.forEach { $0.stop() } }
        for _ in 0..<3 {
            replicas.append(try await ServerProcess(arguments: ["--config", configFile.path], knownToken: token))
        }
        let nginx = try await NginxProcess(upstreamPorts: replicas.map(\.port), directory: work.appendingPathComponent("nginx"))
        defer { nginx.stop() }

        // Every replica publishes the same key configurations, read from the shared key file.
        var published: [Data] = []
        for replica in replicas { published.append(try await Self.keyConfigs(from: replica.baseURL)) }
        #expect(Set(published).count == 1)
        let firstIDs = try OHTTPKeyConfig.decodeList(published[0]).map(\.keyID)
        #expect(firstIDs == [1, 2])

        let photo = try MarkerPhoto.make(seed: 4242, width: 512, height: 512).file
        let client = LetheClient(serverURL: nginx.baseURL, token: token)
        let load = Load()
        let devices = Task {
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<3 {
                    group.addTask {
                        while await load.running {
                            // A failed request is retried once with a fresh discovery and encapsulation.
                            if await !Self.attempt(client, photo: photo, load: load, isRetry: false) {
                                _ = await Self.attempt(client, photo: photo, load: load, isRetry: true)
                            }
                        }
                    }
                }
            }
        }

        // 1. The load spreads over all three replicas.
        try await Self.waitUntil("every replica to record 2 requests") { replicas.allSatisfy { $0.ledgerEntryCount() >= 2 } }

        // 2. SIGKILL one replica while it is processing a request. Seeing a request in flight and
        // then killing races with the request finishing (a 512² analysis takes tens of ms), so the
        // replica is frozen first and killed only if it was caught with a pool thread at work.
        try await Self.waitUntil("replica 0 frozen in the middle of an analysis") {
            guard await Self.inFlight(replicas[0]) > 0 else { return false }
            replicas[0].signal(SIGSTOP)
            if try await Self.frozenWhileAnalysing(replicas[0].pid) { return true }
            replicas[0].signal(SIGCONT)
            return false
        }
        replicas[0].signal(SIGKILL)
        _ = try await replicas[0].waitForExit()
        let killedAt = ContinuousClock.now
        try await Self.waitUntil("6 requests after the kill") { await load.successes(startedAfter: killedAt) >= 6 }

        // 3. Rotate the shared key file while requests flow.
        let rotation = try await GracefulShutdownTests.lethe(["keys", "rotate", "--key-file", keyFile.path, "--publish-delay", "2", "--grace-period", "600"])
        try #require(rotation.status == 0, "\(rotation.output)")
        let rotatedAt = ContinuousClock.now
        try await Self.waitUntil("4 requests encrypted to the new key") { await load.successes(startedAfter: rotatedAt, keyIDs: [3]) >= 4 }
        await load.stop()
        await devices.value

        let attempts = await load.attempts
        let failures = attempts.filter { !$0.succeeded }
        print("replicas: \(attempts.filter(\.succeeded).count) requests answered, \(failures.count) failed: \(failures.map(\.outcome))")
        // Requests in flight on the killed replica failed cleanly (nginx: 502), and only those.
        #expect(failures.allSatisfy { !$0.isRetry && $0.startedAt < killedAt }, "failures other than the kill's: \(failures.map(\.outcome))")
        #expect(failures.allSatisfy { $0.outcome == "unexpected_response/502" }, "\(failures.map(\.outcome))")
        #expect(failures.count >= 1, "the kill should have cut a request in flight")
        // Every retry, with a fresh encapsulation, succeeded; nothing after the kill or during the
        // rotation failed.
        let failedRetries = attempts.filter { $0.isRetry && !$0.succeeded }
        let failedAfterKill = attempts.filter { $0.startedAt > killedAt && !$0.succeeded }
        #expect(failedRetries.isEmpty, "\(failedRetries.map(\.outcome))")
        #expect(failedAfterKill.isEmpty, "\(failedAfterKill.map(\.outcome))")
        // Key discovery and requests landed on every replica.
        let killedPort = "127.0.0.1:\(replicas[0].port)"
        let logged = nginx.requests()
        for replica in replicas {
            let address = "127.0.0.1:\(replica.port)"
            #expect(logged.contains { $0.method == "GET" && $0.path == "/.well-known/ohttp-gateway" && $0.upstream.contains(address) })
            #expect(logged.contains { $0.method == "POST" && $0.upstream.contains(address) && $0.status == "200" })
        }
        #expect(logged.contains { $0.method == "POST" && $0.upstream.contains(killedPort) && $0.status == "502" })

        // The surviving replicas publish the rotated keys, identically.
        let afterRotation = [try await Self.keyConfigs(from: replicas[1].baseURL), try await Self.keyConfigs(from: replicas[2].baseURL)]
        #expect(afterRotation[0] == afterRotation[1])
        let rotatedIDs = try OHTTPKeyConfig.decodeList(afterRotation[0]).map(\.keyID)
        #expect(rotatedIDs == [3, 4])
        #expect(replicas[1].log.contains("ohttp keys reloaded"))

        // 4. Drain the survivors; every ledger, the killed one's too, verifies under its own key.
        for replica in replicas.dropFirst() {
            replica.signal(SIGTERM)
            let status = try await replica.waitForExit()
            #expect(status == 0)
        }
        var verifierKeys: [String] = []
        for replica in replicas {
            #expect(replica.ledgerEntryCount() > 0)
            let key = try await GracefulShutdownTests.lethe(["keys", "ledger", "--ledger-dir", replica.ledgerDirectory.path])
            let verifierKey = try #require(key.output.split(separator: "\n").last.map(String.init))
            verifierKeys.append(verifierKey)
            let audit = try await GracefulShutdownTests.lethe(["audit", "verify", replica.ledgerDirectory.path, "--key", verifierKey])
            #expect(audit.status == 0, "\(audit.output)")
        }
        // Each replica signs its own log under its own origin.
        #expect(Set(verifierKeys).count == 3)
        #expect(Set(verifierKeys.map { $0.split(separator: "+").first ?? "" }).count == 3)
        let answered = attempts.filter(\.succeeded).count
        #expect(replicas.map { $0.ledgerEntryCount() }.reduce(0, +) >= answered)
    }
}
