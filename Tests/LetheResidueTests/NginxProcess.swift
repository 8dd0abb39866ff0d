import Foundation
import LetheTestSupport

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#endif

/// A real nginx (Debian's package) in front of several workers, on loopback, run by the test
/// itself without root: its configuration, pid, logs and temp paths live in one /tmp directory.
/// Round robin over the upstreams; a connection that fails is passed to the next upstream
/// (nginx's default `proxy_next_upstream error timeout`), but a POST already sent is never
/// replayed (nginx does not retry non-idempotent requests), so a worker dying mid-request shows
/// up at the device as a 502.
final class NginxProcess: @unchecked Sendable {
    // @unchecked Sendable: the Foundation `Process` is only touched by the test that owns it.
    let process = Process()
    let directory: URL
    let port: Int
    var baseURL: URL { URL(string: "http://127.0.0.1:\(port)")! }
    var accessLog: URL { directory.appendingPathComponent("access.log") }

    static var executable: String? {
        ["/usr/sbin/nginx", "/usr/bin/nginx"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Starts nginx balancing over `upstreamPorts` and waits until it answers `/healthz`.
    init(upstreamPorts: [Int], directory: URL) async throws {
        guard let executable = Self.executable else { throw HarnessError("nginx is missing: scripts/bootstrap installs it") }
        self.directory = directory
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        port = try Self.freePort()
        let prefix = directory.path
        let upstreams = upstreamPorts.map { "        server 127.0.0.1:\($0) max_fails=1 fail_timeout=60s;" }.joined(separator: "\n")
        let configuration = """
            worker_processes 1;
            pid \(prefix)/nginx.pid;
            error_log \(prefix)/error.log warn;
            events { worker_connections 256; }
            http {
                log_format lethe '$request_method $uri $status $upstream_addr';
                access_log \(prefix)/access.log lethe;
                client_body_temp_path \(prefix)/client_body;
                proxy_temp_path \(prefix)/proxy;
                fastcgi_temp_path \(prefix)/fastcgi;
                uwsgi_temp_path \(prefix)/uwsgi;
                scgi_temp_path \(prefix)/scgi;
                # Envelopes stay in memory (they are ciphertext, but nothing needs a disk here).
                client_max_body_size 40m;
                client_body_buffer_size 40m;
                upstream lethe {
            \(upstreams)
                }
                server {
                    listen 127.0.0.1:\(port);
                    location / {
                        proxy_pass http://lethe;
                        proxy_connect_timeout 2s;
                    }
                }
            }

            """
        let configurationFile = directory.appendingPathComponent("nginx.conf")
        try configuration.write(to: configurationFile, atomically: true, encoding: .utf8)
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["-p", prefix, "-e", "\(prefix)/error.log", "-c", configurationFile.path, "-g", "daemon off;"]
        let output = directory.appendingPathComponent("output")
        FileManager.default.createFile(atPath: output.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: output)
        process.standardError = try FileHandle(forWritingTo: output)
        try process.run()

        // Ready when a health check passes through it to a replica. The bound only keeps a
        // broken nginx from hanging the suite: on a loaded machine the first proxied request can
        // take tens of seconds, and it is the event, not the clock, that the test waits for.
        let deadline = Date().addingTimeInterval(180)
        while Date() < deadline {
            if !process.isRunning { break }
            if let (_, response) = try? await URLSession.shared.data(from: baseURL.appendingPathComponent("healthz")),
               (response as? HTTPURLResponse)?.statusCode == 200 { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        let log = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
        let errors = (try? String(contentsOf: directory.appendingPathComponent("error.log"), encoding: .utf8)) ?? ""
        stop()
        throw HarnessError("nginx did not start: \(log.suffix(1000)) \(errors.suffix(1000))")
    }

    /// Access log lines as (method, path, status, upstream address).
    func requests() -> [(method: String, path: String, status: String, upstream: String)] {
        let text = (try? String(contentsOf: accessLog, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ", maxSplits: 3).map(String.init)
            return fields.count == 4 ? (fields[0], fields[1], fields[2], fields[3]) : nil
        }
    }

    /// Stops nginx (graceful quit, then kill) and leaves its files for the caller to remove.
    func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGQUIT)
        let deadline = Date().addingTimeInterval(10)
        while process.isRunning, Date() < deadline { usleep(50_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    /// A loopback port that was free a moment ago (nginx needs a number in its configuration).
    static func freePort() throws -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw HarnessError("socket() failed") }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw HarnessError("bind() failed") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
