import Foundation
import NIOCore
import NIOHTTP1

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// One request to write on a connection and the promise of its whole answer.
struct HTTPExchange: Sendable {
    struct Answer: Sendable {
        let head: HTTPResponseHead
        let body: ByteBuffer
    }

    let head: HTTPRequestHead
    let body: ByteBuffer?
    let deadline: NIODeadline
    let answer: EventLoopPromise<Answer>
}

/// Turns `HTTPExchange`s into request parts and collects the response parts into the exchange's
/// answer: one exchange at a time per connection (HTTP/1.1 without pipelining). A connection
/// that closes, fails to parse or passes the deadline before the answer's end fails the exchange
/// with the URL error the client maps to its transport codes, and is closed.
final class HTTPExchangeHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = HTTPExchange
    typealias OutboundOut = HTTPClientRequestPart

    private var pending: EventLoopPromise<HTTPExchange.Answer>?
    private var head: HTTPResponseHead?
    private var body: ByteBuffer?
    private var timeout: Scheduled<Void>?

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let exchange = unwrapOutboundIn(data)
        guard pending == nil else {
            exchange.answer.fail(URLError(.unknown))
            promise?.fail(ChannelError.inappropriateOperationForState)
            return
        }
        pending = exchange.answer
        head = nil
        body = nil
        let loopBoundContext = NIOLoopBound(context, eventLoop: context.eventLoop)
        timeout = context.eventLoop.assumeIsolated().scheduleTask(deadline: exchange.deadline) { [self] in
            fail(URLError(.timedOut), context: loopBoundContext.value)
        }
        context.write(wrapOutboundOut(.head(exchange.head)), promise: nil)
        if let body = exchange.body { context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil) }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let responseHead):
            head = responseHead
            let announced = responseHead.headers.first(name: "content-length").flatMap { Int($0) } ?? 0
            body = context.channel.allocator.buffer(capacity: announced)
        case .body(var part):
            body?.writeBuffer(&part)
        case .end:
            guard let pending, let head else { return }
            self.pending = nil
            timeout?.cancel()
            pending.succeed(HTTPExchange.Answer(head: head, body: body ?? context.channel.allocator.buffer(capacity: 0)))
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(URLError(.networkConnectionLost), context: context)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(error is HTTPParserError ? URLError(.cannotParseResponse) : URLError(.networkConnectionLost), context: context)
    }

    /// Fails the exchange in flight, if any, and closes the connection: what is left of its
    /// answer could not be told from the next one's.
    private func fail(_ error: URLError, context: ChannelHandlerContext) {
        timeout?.cancel()
        timeout = nil
        if let pending {
            self.pending = nil
            pending.fail(error)
        }
        context.close(promise: nil)
    }
}
