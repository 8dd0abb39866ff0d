import Hummingbird
import Synchronization
import LetheMemory

/// An encapsulated request body read to its end, with the memory budget it holds.
///
/// A body's large chunks are kept as NIO read them, not appended to one growing buffer (whose
/// doublings copied a 3 MB body about twice over and faulted in each new buffer's pages); its
/// small ones are gathered into buffers of their own (`keptWholeFrom`); the whole is copied once
/// when its request is processed (`contiguousBytes()`).
///
/// The budget grows with the bytes actually received (reserved ahead in doublings: twice what
/// arrived), not with the `Content-Length` a client announces: a sender that announces 30 MiB and
/// trickles holds what it sent, not 120 MiB of everyone's budget.
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

    /// The ciphertext as received, in the order it arrived: chunks of at least `keptWholeFrom`
    /// bytes as they arrived, the smaller ones between them gathered.
    let chunks: [ByteBuffer]
    /// Bytes in `chunks`.
    let byteCount: Int
    /// Memory budget held for it; given back by `PendingEnvelope.releaseMemory()`.
    let reservedBytes: Int

    /// A chunk from NIO's HTTP decoder is a slice of the buffer its read filled (at most 64 KiB),
    /// and keeps all of it. Chunks from this size on are kept as they are (at most twice their
    /// bytes held); smaller ones are copied into a gathering buffer, so that a body of small
    /// chunks — a trickle, or an attacker's one-byte chunks — holds neither a read buffer nor a
    /// list entry per chunk.
    static let keptWholeFrom = 32 * 1024

    /// Reads `body` to its end, refusing more than `limit` bytes.
    static func read(_ body: RequestBody, limit: Int) async throws(Failure) -> ReceivedEnvelope {
        var chunks: [ByteBuffer] = [], gathering = ByteBuffer()
        var total = 0, reserved = 0
        do {
            for try await var chunk in body {
                let (sum, overflow) = total.addingReportingOverflow(chunk.readableBytes)
                guard !overflow, sum <= limit else { throw Failure.tooLarge }
                total = sum
                let needed = 2 * total
                if needed > reserved {
                    // Reserve ahead in doublings, as the bytes arrive, rather than per chunk.
                    let target = min(max(needed, 2 * reserved), 2 * limit)
                    guard MemoryBudget.reserve(target - reserved) else { throw Failure.memoryBudget(target - reserved) }
                    reserved = target
                }
                if chunk.readableBytes >= keptWholeFrom {
                    if gathering.readableBytes > 0 { chunks.append(gathering); gathering = ByteBuffer() }
                    chunks.append(chunk)
                } else {
                    gathering.writeBuffer(&chunk)
                }
            }
            if gathering.readableBytes > 0 { chunks.append(gathering) }
        } catch {
            MemoryBudget.release(reserved)
            switch error {
            case let failure as Failure: throw failure
            case let violation as UploadGuard.Violation: throw .violation(violation)
            default: throw .aborted
            }
        }
        return ReceivedEnvelope(chunks: chunks, byteCount: total, reservedBytes: reserved)
    }

    /// The chunks' bytes, one after the other, in one array (the decapsulation reads the
    /// envelope as one).
    consuming func contiguousBytes() -> [UInt8] {
        let chunks = self.chunks
        return [UInt8](unsafeUninitializedCapacity: byteCount) { target, initialized in
            var offset = 0
            for chunk in chunks {
                chunk.withUnsafeReadableBytes { bytes in
                    UnsafeMutableRawBufferPointer(UnsafeMutableBufferPointer(rebasing: target[offset..<(offset + bytes.count)])).copyMemory(from: bytes)
                    offset += bytes.count
                }
            }
            initialized = offset
        }
    }
}

/// A received envelope that its request lets go of once it starts processing: a request waiting
/// for a processing slot holds its ciphertext, one being processed does not (the pipeline keeps
/// its own copy only until decryption), so the gateway holds no ciphertext beside a photo's
/// plaintext and its engine's memory file for the whole analysis.
final class PendingEnvelope: Sendable {
    private let ciphertext: Mutex<ReceivedEnvelope?>
    /// Memory budget held for the received bytes; given back by `releaseMemory()`.
    private let reservedBytes: Int

    init(_ received: consuming ReceivedEnvelope) {
        reservedBytes = received.reservedBytes
        ciphertext = Mutex(received)
    }

    /// The ciphertext, once; nil after.
    func take() -> ReceivedEnvelope? {
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
