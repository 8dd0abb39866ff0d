import CLetheSystem
import Foundation
import LetheMemory

#if canImport(Glibc)
import Glibc
#endif

/// One end of the control channel between the gateway and one engine process: an AF_UNIX
/// SOCK_SEQPACKET socket carrying frames of `[kind: 1 byte][length: UInt32 big-endian][JSON]`,
/// each with at most one file descriptor (a shared plaintext memory file, SCM_RIGHTS).
///
/// The frames carry no plaintext: photos and results cross in shared memory (`PlaintextArena
/// .allocateShared`), and the JSON holds only settings, byte counts, error codes and wipe
/// counts. Every frame is checked: its size against `maxFrameBytes`, its length field against
/// what arrived, its kind against what the protocol expects next. Anything else is a broken
/// protocol, which ends the engine (`engine_failed` for its request).
public struct EngineChannel: Sendable {
    /// What a frame is; the protocol is setup → ready, then per request job → result → release → wiped.
    public enum Kind: UInt8, Sendable {
        /// Gateway → engine, once: `EngineSetup`.
        case setup = 1
        /// Engine → gateway, once, after warm-up and lock-down: `EngineReady`.
        case ready = 2
        /// Gateway → engine: `EngineJob`, with the photos' memory file.
        case job = 3
        /// Engine → gateway: `EngineResult`, with the result's memory file when it succeeded.
        case result = 4
        /// Gateway → engine: the result is copied; wipe everything (no payload).
        case release = 5
        /// Engine → gateway: `EngineWipe`, what the engine wiped for the request.
        case wiped = 6
    }

    /// The largest frame either side sends or accepts (settings and counts, never pixels).
    public static let maxFrameBytes = 256 * 1024
    private static let headerBytes = 5

    /// The socket.
    public let fd: Int32

    public init(fd: Int32) {
        self.fd = fd
    }

    /// Sends one frame, with `attachment` (a descriptor to pass) unless nil.
    /// - Throws: `engine_failed` when the peer is gone or the payload is too large.
    public func send(_ kind: Kind, _ payload: some Encodable, attaching attachment: Int32? = nil) throws(LetheError) {
        let json: Data
        do { json = try Self.encoder.encode(payload) } catch { throw .engineFailed("its \(kind) frame could not be encoded") }
        guard json.count + Self.headerBytes <= Self.maxFrameBytes else { throw .engineFailed("a \(kind) frame of \(json.count) bytes is over the limit") }
        var frame = Data([kind.rawValue])
        withUnsafeBytes(of: UInt32(json.count).bigEndian) { frame.append(contentsOf: $0) }
        frame.append(json)
        let sent = frame.withUnsafeBytes { lethe_send_frame(fd, $0.baseAddress, $0.count, attachment ?? -1) }
        guard sent == frame.count else { throw .engineFailed("the channel closed while sending \(kind) (\(Self.reason(sent)))") }
    }

    /// Receives the next frame, which must be of `kind`, and its descriptor if one came with it
    /// (the caller owns and closes it).
    /// - Parameter timeout: the longest wait; nil waits as long as it takes.
    /// - Throws: `engine_failed` when the channel closed, the wait timed out, or the frame is not
    ///   what the protocol allows here.
    public func receive<Payload: Decodable>(_ kind: Kind, as type: Payload.Type, timeout: Duration?) throws(LetheError) -> (Payload, attachment: Int32?) {
        guard let frame = try receiveUnlessClosed(kind, as: type, timeout: timeout) else {
            throw .engineFailed("the channel closed while waiting for \(kind)")
        }
        return frame
    }

    /// `receive`, but nil when the peer closed the channel cleanly before the frame began.
    public func receiveUnlessClosed<Payload: Decodable>(_ kind: Kind, as type: Payload.Type, timeout: Duration?) throws(LetheError) -> (Payload, attachment: Int32?)? {
        var buffer = [UInt8](repeating: 0, count: Self.maxFrameBytes)
        var attachment: Int32 = -1
        // -1 leaves the socket as it is: an engine waits for its next job without a timeout (and without a setsockopt call its sandbox would have to allow).
        let milliseconds = timeout.map { Int32(clamping: max(1, $0.components.seconds * 1000 + $0.components.attoseconds / 1_000_000_000_000_000)) } ?? -1
        let received = buffer.withUnsafeMutableBytes { lethe_receive_frame(fd, $0.baseAddress, $0.count, &attachment, milliseconds) }
        let descriptor: Int32? = attachment >= 0 ? attachment : nil
        func broken(_ reason: String) -> LetheError {
            if let descriptor { _ = Glibc.close(descriptor) }
            return .engineFailed(reason)
        }
        if received == 0, descriptor == nil { return nil }
        guard received > 0 else { throw broken("no \(kind) frame (\(Self.reason(received)))") }
        guard received >= Self.headerBytes else { throw broken("a frame of \(received) bytes is shorter than its header") }
        guard buffer[0] == kind.rawValue else { throw broken("expected a \(kind) frame, got kind \(buffer[0])") }
        let length = buffer[1..<5].reduce(0) { $0 << 8 | Int($1) }
        guard length == received - Self.headerBytes else { throw broken("a \(kind) frame says \(length) bytes and carries \(received - Self.headerBytes)") }
        do {
            return (try Self.decoder.decode(Payload.self, from: Data(buffer[Self.headerBytes..<received])), descriptor)
        } catch {
            throw broken("a \(kind) frame does not decode")
        }
    }

    /// Closes this end.
    public func close() {
        _ = Glibc.close(fd)
    }

    private static func reason(_ result: Int) -> String {
        result == -Int(ETIMEDOUT) ? "timed out" : result < 0 ? String(cString: strerror(Int32(-result))) : "short write"
    }

    private static let encoder = JSONEncoder()
    private static let decoder = JSONDecoder()
}

/// The empty payload (`release`).
public struct EngineNothing: Codable, Sendable {
    public init() {}
}
