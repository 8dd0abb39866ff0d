import Foundation
import LetheTestSupport
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The operator listener of the real `lethe serve` as the container image starts it, and its
/// admin token as a client guessing it meets it (issue 12, point 9).
@Suite("Operator listener: bind address and admin token")
struct AdminListenerTests {
    static let repository = Repository.root

    /// The Dockerfile's `CMD` arguments after `serve`, and its `ENV` settings.
    static func dockerfile() throws -> (arguments: [String], environment: [String: String]) {
        let text = try String(contentsOf: repository.appendingPathComponent("Config/deploy/Dockerfile"), encoding: .utf8)
        // Continuation lines joined, so that `ENV A=1 \ B=2` is one instruction.
        let instructions = text.replacingOccurrences(of: "\\\n", with: " ").split(separator: "\n")
        let command = try #require(instructions.last { $0.hasPrefix("CMD ") })
        let arguments = try #require(try JSONSerialization.jsonObject(with: Data(command.dropFirst(4).utf8)) as? [String])
        var environment: [String: String] = [:]
        for instruction in instructions where instruction.hasPrefix("ENV ") {
            for pair in instruction.dropFirst(4).split(separator: " ") where pair.contains("=") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                environment[String(parts[0])] = parts.count == 2 ? String(parts[1]) : ""
            }
        }
        #expect(arguments.first == "serve")
        return (Array(arguments.dropFirst()), environment)
    }

    /// The operator port from the start-up lines.
    static func adminPort(_ server: ServerProcess) throws -> Int {
        let output = try String(contentsOf: server.directory.appendingPathComponent("stdout"), encoding: .utf8)
        let line = try #require(output.split(separator: "\n").first { $0.hasPrefix("operator endpoints") })
        return try #require(line.split(separator: ":").last.flatMap { Int($0) })
    }

    /// IPv4 addresses (dotted) the process listens on at `port`, from /proc/PID/net/tcp.
    static func listeningAddresses(pid: Int32, port: Int) throws -> Set<String> {
        // Read to its end: with many sockets open the table is longer than Foundation's one read.
        let table = try ProcFile.read("/proc/\(pid)/net/tcp")
        var addresses: Set<String> = []
        for line in table.split(separator: "\n").dropFirst() {
            let fields = line.split(separator: " ")
            // local_address is HEXIP:HEXPORT (IP in host byte order, little-endian here); state 0A = LISTEN.
            guard fields.count > 3, fields[3] == "0A" else { continue }
            let local = fields[1].split(separator: ":")
            guard local.count == 2, Int(local[1], radix: 16) == port, let ip = UInt32(local[0], radix: 16) else { continue }
            addresses.insert((0..<4).map { String((ip >> (8 * $0)) & 0xFF) }.joined(separator: "."))
        }
        return addresses
    }

    @Test("the container image binds the operator listener to loopback without an admin token, to all interfaces with one")
    func containerImageBindsLoopbackWithoutToken() async throws {
        let image = try Self.dockerfile()
        // Only the settings that choose the operator listener: the image's paths do not exist
        // here, and the harness finds the gateway on loopback.
        let chosen = image.environment.filter { $0.key == "LETHE_ADMIN_HOST" }
        #expect(!image.arguments.contains("--admin-host"), "the image's command must leave the choice to LETHE_ADMIN_HOST")
        #expect(image.arguments == ["--host", "0.0.0.0"])
        let arguments = Array(image.arguments.drop { $0 == "--host" }.dropFirst())

        let open = try await ServerProcess(arguments: arguments, environment: chosen)
        defer { open.stop() }
        let openAddresses = try Self.listeningAddresses(pid: open.pid, port: Self.adminPort(open))
        #expect(openAddresses == ["127.0.0.1"])

        let guarded = try await ServerProcess(arguments: arguments, environment: chosen.merging(["LETHE_ADMIN_TOKEN": "operator-secret"]) { $1 })
        defer { guarded.stop() }
        let guardedAddresses = try Self.listeningAddresses(pid: guarded.pid, port: Self.adminPort(guarded))
        #expect(guardedAddresses == ["0.0.0.0"])
    }

    @Test("/metrics admits exactly the admin token, with the Bearer scheme in any case; every other credential gets 401")
    func adminToken() async throws {
        let token = "operator-secret-4f1c"
        let server = try await ServerProcess(environment: ["LETHE_ADMIN_TOKEN": token])
        defer { server.stop() }
        let metrics = try #require(URL(string: "http://127.0.0.1:\(try Self.adminPort(server))/metrics"))
        func status(_ authorization: String?) async throws -> Int {
            var request = URLRequest(url: metrics)
            if let authorization { request.setValue(authorization, forHTTPHeaderField: "Authorization") }
            let (_, response) = try await URLSession.shared.data(for: request)
            return (response as? HTTPURLResponse)?.statusCode ?? 0
        }
        // RFC 9110 §11.1: the scheme is case-insensitive; RFC 6750 §2.1: one or more spaces.
        for accepted in ["Bearer \(token)", "bearer \(token)", "BEARER \(token)", "Bearer  \(token)"] {
            #expect(try await status(accepted) == 200, "\(accepted)")
        }
        let refused: [String?] = [
            nil, "", "Bearer", "Bearer ", "Basic \(token)", token,
            "Bearer \(token.dropLast())", "Bearer \(token)0", "Bearer \(token.dropLast())5",
            "Bearer x\(token.dropFirst())", "Bearer \(token.uppercased())",
        ]
        for authorization in refused {
            #expect(try await status(authorization) == 401, "\(authorization ?? "no Authorization")")
        }
        // The probes stay open for the orchestrator.
        let probe = try await URLSession.shared.data(from: metrics.deletingLastPathComponent().appendingPathComponent("healthz"))
        #expect((probe.1 as? HTTPURLResponse)?.statusCode == 200)
    }
}
