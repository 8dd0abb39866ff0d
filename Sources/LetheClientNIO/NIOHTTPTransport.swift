import Foundation
import LetheClient
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Plain HTTP/1.1 on SwiftNIO for `LetheClient`: persistent connections, `Content-Length`
/// bodies, one event-loop thread of its own. For `lethe bench` and other load on a worker over
/// `http://` (no TLS, no proxies, no redirects): Foundation's URLSession on Linux (libcurl driven
/// by Dispatch sources) spent 1.8 s of CPU per 3 MB request on the bench's own side, more than the
/// worker it measured; a device keeps `URLSessionTransport`.
public final class NIOHTTPTransport: LetheTransport {
    private let group: MultiThreadedEventLoopGroup
    /// Connections that answered their last request and may be kept, by `host:port`.
    private let idle = Mutex<[String: [any Channel]]>([:])

    /// - Parameters:
    ///   - threads: event-loop threads; one carries many connections, since the client only
    ///     copies bytes.
    public init(threads: Int = 1) {
        group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
    }

    /// Closes the kept connections and stops the event loops. Call once, when done sending.
    public func shutdown() async throws {
        let channels = idle.withLock { idle in
            defer { idle = [:] }
            return idle.values.flatMap { $0 }
        }
        for channel in channels { try? await channel.close() }
        try await group.shutdownGracefully()
    }

    public func send(_ request: LetheHTTPRequest) async throws -> LetheHTTPResponse {
        guard request.url.scheme?.lowercased() == "http", let host = request.url.host else { throw URLError(.unsupportedURL) }
        let port = request.url.port ?? 80
        // RFC 9110 §7.2: an IPv6 literal keeps its brackets in Host.
        let place = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        let deadline = NIODeadline.now() + .nanoseconds(Int64(request.timeoutSeconds * 1e9))
        let channel = try await connection(to: host, port: port, place: place, deadline: deadline)

        var headers = HTTPHeaders()
        headers.add(name: "Host", value: place)
        for field in request.headerFields { headers.add(name: field.name, value: field.value) }
        var body: ByteBuffer?
        if let content = request.body {
            headers.add(name: "Content-Length", value: String(content.count))
            var buffer = channel.allocator.buffer(capacity: content.count)
            buffer.writeBytes(content)
            body = buffer
        } else if request.method != "GET" && request.method != "HEAD" {
            headers.add(name: "Content-Length", value: "0")
        }
        var path = request.url.path.isEmpty ? "/" : request.url.path
        if let query = request.url.query { path += "?" + query }
        let head = HTTPRequestHead(version: .http1_1, method: HTTPMethod(rawValue: request.method), uri: path, headers: headers)

        let answer = channel.eventLoop.makePromise(of: HTTPExchange.Answer.self)
        channel.writeAndFlush(HTTPExchange(head: head, body: body, deadline: deadline, answer: answer), promise: nil)
        let response = try await answer.futureResult.get()
        if response.head.isKeepAlive {
            idle.withLock { $0[place, default: []].append(channel) }
        } else {
            channel.close(promise: nil)
        }
        let fields = response.head.headers.map { (name: $0.name, value: $0.value) }
        let content = response.body.withUnsafeReadableBytes { Data($0) }
        return LetheHTTPResponse(status: Int(response.head.status.code), headerFields: fields, body: content)
    }

    /// A kept connection to `place` that is still open, or a new one.
    private func connection(to host: String, port: Int, place: String, deadline: NIODeadline) async throws -> any Channel {
        while let kept = idle.withLock({ $0[place]?.popLast() }) {
            if kept.isActive { return kept }
        }
        let remaining = deadline - .now()
        guard remaining > .zero else { throw URLError(.timedOut) }
        do {
            return try await ClientBootstrap(group: group)
                .connectTimeout(remaining)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHTTPClientHandlers()
                        try channel.pipeline.syncOperations.addHandler(HTTPExchangeHandler())
                    }
                }
                .connect(host: host, port: port).get()
        } catch ChannelError.connectTimeout {
            throw URLError(.timedOut)
        } catch let error as NIOConnectionError where error.dnsAError != nil && error.dnsAAAAError != nil && error.connectionErrors.isEmpty {
            throw URLError(.cannotFindHost)
        } catch {
            throw URLError(.cannotConnectToHost)
        }
    }
}
