import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// Keeps a connection's request body honest, in the channel pipeline of the device-facing port
/// (after HTTP decoding, before Hummingbird's connection handler):
///
/// - a body must arrive at a minimum rate: it may take `uploadTimeout` plus one second for every
///   `minBytesPerSecond` bytes received so far (Apache's mod_reqtimeout `body=…,MinRate=…`), so a
///   client that announces 30 MiB and sends a byte a second is cut off after `uploadTimeout`;
/// - a body larger than `maxBodyBytes`, announced by `Content-Length` or found while counting a
///   chunked body, is refused at once rather than read to its end;
/// - when the worker starts draining, a body still arriving may finish within `drainTimeout` (and
///   its own deadline), so that an honest upload in progress is still analysed but shutdown never
///   waits on a slow client for longer;
/// - when the worker answers before the body has ended (a refusal), the rest is not read.
///
/// In each case the route reading the body receives the `Violation` as its error, answers (408,
/// 413, 503), and Hummingbird then closes the connection instead of reading on. Headers that never
/// end and idle keep-alive connections are closed by the HTTP server's idle timeout.
final class UploadGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    /// Why a body stopped being read; the route that reads it answers with the matching code.
    enum Violation: Error, Equatable {
        /// Slower than the minimum rate (`upload_too_slow`).
        case tooSlow
        /// Larger than `maxBodyBytes` (`payload_too_large`).
        case tooLarge
        /// The worker is shutting down (`worker_draining`).
        case draining
        /// The response was sent before the body ended; the rest is not wanted.
        case answeredEarly
    }

    /// Limits for one connection's bodies.
    struct Limits: Sendable {
        /// Time a body may take before its received bytes extend it.
        var uploadTimeout: TimeAmount
        /// Each this many bytes received extends the deadline by one second.
        var minBytesPerSecond: Int
        /// Largest body accepted.
        var maxBodyBytes: Int
        /// Once the worker drains, the longest a body still arriving may take to finish.
        var drainTimeout: TimeAmount
    }

    private let limits: Limits
    /// Set between a request head and the end of its body.
    private var uploadStartedAt: NIODeadline?
    private var receivedBytes = 0
    /// Set when the worker began draining during this body.
    private var drainDeadline: NIODeadline?
    private var timer: Scheduled<Void>?
    /// Set once a violation was raised: the connection's remaining input is dropped.
    private var violated = false

    init(limits: Limits) {
        self.limits = limits
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !violated else { return }
        let part = unwrapInboundIn(data)
        switch part {
        case .head(let head):
            uploadStartedAt = .now()
            receivedBytes = 0
            context.fireChannelRead(data)
            if let declared = head.headerFields[.contentLength].flatMap({ Int($0) }), declared > limits.maxBodyBytes {
                raise(.tooLarge, context: context)
                return
            }
            scheduleCheck(context: context)
        case .body(let chunk):
            let (total, overflow) = receivedBytes.addingReportingOverflow(chunk.readableBytes)
            receivedBytes = overflow ? .max : total
            guard receivedBytes <= limits.maxBodyBytes else {
                raise(.tooLarge, context: context)
                return
            }
            context.fireChannelRead(data)
        case .end:
            endUpload()
            context.fireChannelRead(data)
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let part = unwrapOutboundIn(data)
        context.write(data, promise: promise)
        // An answer before the body's end (a refusal): do not read the rest of it.
        if case .end = part, uploadStartedAt != nil, !violated {
            raise(.answeredEarly, context: context)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent, uploadStartedAt != nil, !violated {
            drainDeadline = .now() + limits.drainTimeout
            scheduleCheck(context: context)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        endUpload()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        endUpload()
    }

    /// The body's deadline: the start, plus the timeout, plus a second per `minBytesPerSecond`.
    private var rateDeadline: NIODeadline? {
        guard let uploadStartedAt else { return nil }
        let earnedSeconds = Int64(receivedBytes / max(1, limits.minBytesPerSecond))
        return uploadStartedAt + limits.uploadTimeout + .seconds(earnedSeconds)
    }

    /// The earlier of the rate deadline and, while draining, the drain deadline.
    private var deadline: NIODeadline? {
        guard let rateDeadline else { return nil }
        guard let drainDeadline else { return rateDeadline }
        return min(rateDeadline, drainDeadline)
    }

    private func scheduleCheck(context: ChannelHandlerContext) {
        timer?.cancel()
        guard let deadline else { return }
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(deadline: deadline) {
            let (handler, context) = loopBound.value
            handler.timer = nil
            guard let current = handler.deadline, !handler.violated else { return }
            if NIODeadline.now() >= current {
                let draining = handler.drainDeadline.map { $0 <= current } ?? false
                handler.raise(draining ? .draining : .tooSlow, context: context)
            } else {
                // Bytes arrived meanwhile and moved the deadline.
                handler.scheduleCheck(context: context)
            }
        }
    }

    private func endUpload() {
        uploadStartedAt = nil
        drainDeadline = nil
        timer?.cancel()
        timer = nil
    }

    /// Ends the inbound stream with `violation`: the route's body read throws it, and after the
    /// response Hummingbird closes the connection rather than read the rest.
    private func raise(_ violation: Violation, context: ChannelHandlerContext) {
        violated = true
        endUpload()
        context.fireErrorCaught(violation)
    }
}
