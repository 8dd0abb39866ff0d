import Foundation
import LetheTestSupport

#if canImport(Glibc)
import Glibc
#endif

/// A bare TCP connection to the worker, for clients that misbehave: stop mid-upload, or go away
/// before reading the answer.
final class RawConnection {
    private let descriptor: Int32

    init(port: Int) throws {
        do {
            descriptor = try ScriptedServer.connectToLoopback(port: port)
        } catch {
            throw HarnessError("\(error)")
        }
    }

    /// The request line and headers of an OHTTP post announcing `contentLength` body bytes.
    static func head(contentLength: Int) -> Data {
        Data("""
            POST /.well-known/ohttp-gateway HTTP/1.1\r
            Host: 127.0.0.1\r
            Content-Type: message/ohttp-req\r
            Content-Length: \(contentLength)\r
            \r

            """.utf8)
    }

    /// The request line and headers of an OHTTP post with a chunked body (RFC 9112 §7.1).
    static func chunkedHead() -> Data {
        Data("""
            POST /.well-known/ohttp-gateway HTTP/1.1\r
            Host: 127.0.0.1\r
            Content-Type: message/ohttp-req\r
            Transfer-Encoding: chunked\r
            \r

            """.utf8)
    }

    /// One chunk of a chunked body.
    static func chunk(_ data: Data) -> Data {
        Data((String(data.count, radix: 16) + "\r\n").utf8) + data + Data("\r\n".utf8)
    }

    /// Reads one HTTP response: its status and body (by `Content-Length`). Waits at most
    /// `timeoutSeconds` for each read, a safety net so that a worker that never answers fails
    /// the test instead of hanging it.
    func readResponse(timeoutSeconds: Int = 60) throws -> (status: Int, headers: String, body: Data) {
        setReceiveTimeout(seconds: timeoutSeconds)
        var received = Data()
        let separator = Data("\r\n\r\n".utf8)
        while received.range(of: separator) == nil {
            guard let more = try receiveSome() else {
                throw HarnessError("no response head within \(timeoutSeconds) s (\(received.count) bytes)")
            }
            guard !more.isEmpty else { throw HarnessError("the connection ended before a response head (\(received.count) bytes)") }
            received += more
        }
        let headEnd = received.range(of: separator)!
        let head = String(decoding: received[..<headEnd.lowerBound], as: UTF8.self)
        var body = Data(received[headEnd.upperBound...])
        let statusLine = head.split(separator: "\r\n").first ?? ""
        guard let status = statusLine.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) else {
            throw HarnessError("not an HTTP response: \(statusLine)")
        }
        let length = head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
            .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) } ?? 0
        while body.count < length {
            guard let more = try receiveSome(), !more.isEmpty else { break }
            body += more
        }
        return (status, head, body)
    }

    /// Reads until the worker closes the connection (true), or nothing arrives for
    /// `timeoutSeconds` (false).
    func waitUntilClosed(timeoutSeconds: Int = 60) throws -> Bool {
        setReceiveTimeout(seconds: timeoutSeconds)
        while true {
            guard let more = try receiveSome() else { return false }
            if more.isEmpty { return true }
        }
    }

    /// Data that arrived, empty at end of stream (or a reset), nil when the receive timeout passed.
    private func receiveSome() throws -> Data? {
        var buffer = [UInt8](repeating: 0, count: 65536)
        let count = recv(descriptor, &buffer, buffer.count, 0)
        if count > 0 { return Data(buffer[0..<count]) }
        if count == 0 || errno == ECONNRESET { return Data() }
        if errno == EAGAIN || errno == EWOULDBLOCK { return nil }
        throw HarnessError("recv: \(String(cString: strerror(errno)))")
    }

    private func setReceiveTimeout(seconds: Int) {
        var timeout = timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    func send(_ data: Data) throws {
        try data.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let sent = Glibc.send(descriptor, bytes.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
                guard sent > 0 else { throw HarnessError("send: \(String(cString: strerror(errno)))") }
                offset += sent
            }
        }
    }

    /// Closes at once; with SO_LINGER 0 the peer sees a reset, like a client that vanished.
    func abort() {
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
        close(descriptor)
    }

    func closeGracefully() {
        close(descriptor)
    }
}
