import Hummingbird
import Synchronization
import LetheMemory

/// An encapsulated request body read to its end, with the memory budget it holds.
///
/// The budget grows with the bytes actually received (the buffer doubles as it fills, so twice
/// what it holds), not with the `Content-Length` a client announces: a sender that announces
/// 30 MiB and trickles holds what it sent, not 120 MiB of everyone's budget.
struct ReceivedEnvelope: Sendable {
    /// Why a body could not be read.
    enum Failure: Error, Equatable {
        /// `UploadGuard` stopped it (too slow, too large, draining, answered early).
        case violation(UploadGuard.Violation)
        /// More than the limit arrived.
        case tooLarge
        /// The memory budget could not take this many more bytes.
        case memoryBudget(Int)
        /// The connection failed or closed mid-body.
        case aborted
    }

    /// The ciphertext as received.
    let envelope: ByteBuffer
    /// Memory budget held for it; given back by `PendingEnvelope.releaseMemory()`.
    let reservedBytes: Int

    /// Reads `body` to its end, refusing more than `limit` bytes.
    static func read(_ body: RequestBody, limit: Int) async throws(Failure) -> ReceivedEnvelope {
        var buffer = ByteBuffer()
        var reserved = 0
        do {
            for try await var chunk in body {
                let (total, overflow) = buffer.readableBytes.addingReportingOverflow(chunk.readableBytes)
                guard !overflow, total <= limit else { throw Failure.tooLarge }
                let needed = 2 * total
                if needed > reserved {
                    // Reserve ahead in doublings, as the buffer grows, rather than per chunk.
                    let target = min(max(needed, 2 * reserved), 2 * limit)
                    guard MemoryBudget.reserve(target - reserved) else { throw Failure.memoryBudget(target - reserved) }
                    reserved = target
                }
                buffer.writeBuffer(&chunk)
            }
        } catch {
            MemoryBudget.release(reserved)
            switch error {
            case let failure as Failure: throw failure
            case let violation as UploadGuard.Violation: throw .violation(violation)
            default: throw .aborted
            }
        }
        return ReceivedEnvelope(envelope: buffer, reservedBytes: reserved)
    }
}

/// A received envelope that its request lets go of once it starts processing: a request waiting
/// for a processing slot holds its ciphertext, one being processed does not (the pipeline keeps
/// its own copy only until decryption), so the gateway holds no ciphertext beside a photo's
/// plaintext and its engine's memory file for the whole analysis.
final class PendingEnvelope: Sendable {
    private let ciphertext: Mutex<ByteBuffer?>
    /// Memory budget held for the received bytes; given back by `releaseMemory()`.
    private let reservedBytes: Int

    init(_ received: consuming ReceivedEnvelope) {
        reservedBytes = received.reservedBytes
        ciphertext = Mutex(received.envelope)
    }

    /// The ciphertext, once; nil after.
    func take() -> ByteBuffer? {
        ciphertext.withLock { bytes in
            defer { bytes = nil }
            return bytes
        }
    }

    /// Gives the memory budget back (once the response is sent).
    func releaseMemory() {
        MemoryBudget.release(reservedBytes)
    }
}
