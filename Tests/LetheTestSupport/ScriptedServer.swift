import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A TCP listener on loopback that answers HTTP as a broken or hostile peer would: it never
/// answers, answers bytes the test wrote (a truncated body, a malformed key configuration), or
/// relays to a real worker and alters its answers on the way back. For the client's failure paths;
/// the real worker stays the peer wherever it can be.
public final class ScriptedServer: @unchecked Sendable {  // mutable state only under `lock`
    /// What the server does with each request it reads.
    public enum Behaviour: Sendable {
        /// Reads the request and never answers (until `stop`).
        case hang
        /// Writes these bytes as the whole answer and closes the connection.
        case answer(Data)
        /// Forwards each request to the worker on loopback `port` and writes back its answer
        /// (head and body, as received) after `transform`, given the request's head.
        case relay(port: Int, transform: @Sendable (_ requestHead: String, _ response: Data) -> Data)
    }

    /// The port it listens on (127.0.0.1).
    public let port: Int
    private let listener: Int32
    private let behaviour: Behaviour
    private let lock = NSLock()
    private var connections: Set<Int32> = []
    private var stopped = false
    private let finished = DispatchGroup()

    /// Listens on a free loopback port and starts accepting.
    public init(_ behaviour: Behaviour) throws {
        self.behaviour = behaviour
        (listener, port) = try Self.listen()
        finished.enter()
        DispatchQueue.global().async { [self] in
            acceptLoop()
            finished.leave()
        }
    }

    /// Runs `body` with a server's port, and stops the server on every path.
    public static func with<T>(_ behaviour: Behaviour, _ body: (_ port: Int) async throws -> T) async throws -> T {
        let server = try ScriptedServer(behaviour)
        defer { server.stop() }
        return try await body(server.port)
    }

    /// A loopback port nothing listens on: it was bound, then closed (connecting is refused).
    public static func closedPort() throws -> Int {
        let (descriptor, port) = try listen()
        close(descriptor)
        return port
    }

    /// Closes the listener and every connection, and waits for the accept loop to end.
    ///
    /// A descriptor is in `connections` exactly while it is open: connections are shut down and
    /// closed only under `lock`. (Shutting down a snapshot after the lock let a connection's own
    /// close, and another test's new socket reusing its number, come in between: the other test's
    /// connection was cut. Every test shares this process's descriptor table.)
    public func stop() {
        lock.withLock {
            stopped = true
            for descriptor in connections { shutdown(descriptor, Int32(SHUT_RDWR)) }
        }
        shutdown(listener, Int32(SHUT_RDWR))
        finished.wait()
        close(listener)
    }

    private static func listen() throws -> (Int32, Int) {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw ScriptedServerError("socket: \(String(cString: strerror(errno)))") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, length) == 0 && Glibc.listen(descriptor, 16) == 0 && getsockname(descriptor, $0, &length) == 0
            }
        }
        guard bound else {
            close(descriptor)
            throw ScriptedServerError("bind/listen: \(String(cString: strerror(errno)))")
        }
        return (descriptor, Int(UInt16(bigEndian: address.sin_port)))
    }

    private func acceptLoop() {
        while true {
            let connection = accept(listener, nil, nil)
            guard connection >= 0 else { return }
            let admitted = lock.withLock {
                guard !stopped else { return false }
                connections.insert(connection)
                return true
            }
            guard admitted else {
                close(connection)
                return
            }
            finished.enter()
            DispatchQueue.global().async { [self] in
                serve(connection)
                lock.withLock {
                    connections.remove(connection)
                    close(connection)
                }
                finished.leave()
            }
        }
    }

    /// Reads requests from one connection and answers each as told.
    private func serve(_ connection: Int32) {
        var pending = Data()
        while let request = Self.readMessage(connection, pending: &pending) {
            switch behaviour {
            case .hang:
                // Wait for `stop` to shut the connection down: a read then returns 0.
                var byte: UInt8 = 0
                while recv(connection, &byte, 1, 0) > 0 {}
                return
            case .answer(let bytes):
                Self.writeAll(connection, bytes)
                return
            case .relay(let port, let transform):
                guard let answer = Self.forward(request.raw, toPort: port) else { return }
                Self.writeAll(connection, transform(request.head, answer))
            }
        }
    }

    /// One HTTP message (head and `Content-Length` body) from `descriptor`; nil at the end of the
    /// connection or for a message without a length this server can follow (chunked).
    static func readMessage(_ descriptor: Int32, pending: inout Data) -> (head: String, raw: Data)? {
        let separator = Data("\r\n\r\n".utf8)
        var buffer = [UInt8](repeating: 0, count: 65536)
        func more() -> Bool {
            let count = recv(descriptor, &buffer, buffer.count, 0)
            guard count > 0 else { return false }
            pending.append(contentsOf: buffer[0..<count])
            return true
        }
        while pending.range(of: separator) == nil { guard more() else { return nil } }
        let headEnd = pending.range(of: separator)!.upperBound
        let head = String(decoding: pending[pending.startIndex..<headEnd], as: UTF8.self)
        let fields = head.lowercased().split(separator: "\r\n")
        guard !fields.contains(where: { $0.hasPrefix("transfer-encoding:") }) else { return nil }
        let length = fields.first { $0.hasPrefix("content-length:") }
            .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
        while pending.count - (headEnd - pending.startIndex) < length { guard more() else { return nil } }
        let end = headEnd + length
        let raw = Data(pending[pending.startIndex..<end])
        pending = Data(pending[end...])
        return (head, raw)
    }

    /// Sends `request` to the worker on `port` and reads its one answer.
    private static func forward(_ request: Data, toPort port: Int) -> Data? {
        guard let descriptor = try? connectToLoopback(port: port) else { return nil }
        defer { close(descriptor) }
        writeAll(descriptor, request)
        var pending = Data()
        return readMessage(descriptor, pending: &pending)?.raw
    }

    /// A TCP socket connected to 127.0.0.1:`port`; the caller closes it.
    public static func connectToLoopback(port: Int) throws -> Int32 {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw ScriptedServerError("socket: \(String(cString: strerror(errno)))") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            let reason = String(cString: strerror(errno))
            close(descriptor)
            throw ScriptedServerError("connect: \(reason)")
        }
        return descriptor
    }

    private static func writeAll(_ descriptor: Int32, _ data: Data) {
        data.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = send(descriptor, bytes.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
                guard written > 0 else { return }
                offset += written
            }
        }
    }
}

/// A failure to set up the scripted server.
public struct ScriptedServerError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
