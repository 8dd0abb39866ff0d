import Foundation
import LetheClient
import LetheTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// SIGTERM while devices are sending: the real worker finishes what it admitted, exits 0, signs a
/// final checkpoint, and its ledger verifies.
@Suite("Graceful shutdown under load")
struct GracefulShutdownTests {
    /// Runs the worker binary and returns its exit status and output.
    /// - Parameter environment: the whole environment of the process; nil inherits this one's.
    static func lethe(_ arguments: [String], environment: [String: String]? = nil) async throws -> Program.Run {
        try await Program.run(ServerProcess.executable.path, arguments, environment: environment ?? [:], inheritEnvironment: environment == nil)
    }

    @Test("SIGTERM during load: exit 0, every request answered or refused, a final checkpoint, the ledger verifies")
    func sigtermUnderLoad() async throws {
        let server = try await ServerProcess(arguments: ["--checkpoint-entries", "1000", "--checkpoint-interval", "3600"])
        defer { server.stop() }
        let photo = try MarkerPhoto.make(seed: 900, width: 256, height: 256)
        let client = LetheClient(serverURL: server.baseURL, token: server.token)

        // Four devices send back to back until the worker stops answering.
        let outcomes = await withTaskGroup(of: [String].self) { group in
            for _ in 0..<4 {
                group.addTask {
                    var seen: [String] = []
                    for _ in 0..<200 {
                        do {
                            _ = try await client.analyze(photo: photo.file)
                            seen.append("ok")
                        } catch let error as LetheClientError {
                            seen.append(error.code)
                            if error.code == "worker_unreachable" { break }
                        } catch {
                            seen.append("\(error)")
                        }
                    }
                    return seen
                }
            }
            group.addTask {
                // Mid-load: once a few requests are recorded (so some are answered and more are in
                // flight), however slow the machine is; a fixed delay was too short under full CI load.
                let deadline = ContinuousClock.now + .seconds(120)
                while server.ledgerEntryCount() < 3, .now < deadline { try? await Task.sleep(for: .milliseconds(50)) }
                server.signal(SIGTERM)
                return []
            }
            return await group.reduce(into: []) { $0 += $1 }
        }
        #expect(try await server.waitForExit() == 0)

        let answered = outcomes.filter { $0 == "ok" }.count
        let unexpected = outcomes.filter { !["ok", "overloaded", "worker_unreachable"].contains($0) }
        #expect(answered > 0)
        #expect(unexpected.isEmpty, "requests that were neither answered nor cleanly refused: \(unexpected)")
        // Every answered request left an entry; a request the worker saw but could not finish
        // before the listener closed still left one.
        let entries = server.ledgerEntryCount()
        #expect(entries >= answered)

        // The final checkpoint at shutdown covers every entry, although the interval and count
        // settings would not have signed one yet.
        let key = try await Self.lethe(["keys", "ledger", "--ledger-dir", server.ledgerDirectory.path])
        let verifierKey = try #require(key.output.split(separator: "\n").last.map(String.init))
        let audit = try await Self.lethe(["audit", "verify", server.ledgerDirectory.path, "--key", verifierKey])
        #expect(audit.status == 0, "\(audit.output)")
        #expect(audit.output.contains("latest covers \(entries)"), "\(audit.output)")
    }
}
