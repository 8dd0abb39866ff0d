import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A bare TCP connection to the worker, for clients that misbehave: stop mid-upload, or go away
/// before reading the answer.
final class RawConnection {
    private let descriptor: Int32

    init(port: Int) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw HarnessError("socket: \(String(cString: strerror(errno)))") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(descriptor)
            throw HarnessError("connect: \(String(cString: strerror(errno)))")
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
