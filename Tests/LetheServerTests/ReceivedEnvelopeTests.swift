import Hummingbird
import LetheMemory
import NIOCore
@testable import LetheServer
import Testing

/// `ReceivedEnvelope`: a request body kept as the chunks it arrived in and copied once, whole.
@Suite("Received envelopes")
struct ReceivedEnvelopeTests {
    /// A body that arrives as `chunks`.
    static func body(_ chunks: [[UInt8]]) -> RequestBody {
        let buffers = chunks.map { ByteBuffer(bytes: $0) }
        return RequestBody(asyncSequence: AsyncStream { continuation in
            for buffer in buffers { continuation.yield(buffer) }
            continuation.finish()
        })
    }

    static func chunks(sizes: [Int]) -> [[UInt8]] {
        var generator = SystemRandomNumberGenerator()
        return sizes.map { size in (0..<size).map { _ in UInt8.random(in: 0...255, using: &generator) } }
    }

    @Test("chunks of 1 B, 64 KiB, none, 7 B, 9 B and 300 kB: the envelope is their bytes in order, the small ones between the large gathered, and twice them is held in the memory budget")
    func chunksInOrder() async throws {
        let chunks = Self.chunks(sizes: [1, 65_536, 0, 7, 9, 300_000])
        let received = try await ReceivedEnvelope.read(Self.body(chunks), limit: 1 << 20)
        defer { MemoryBudget.release(received.reservedBytes) }
        #expect(received.byteCount == 365_553)
        #expect(received.chunks.map(\.readableBytes) == [1, 65_536, 16, 300_000])
        #expect(received.reservedBytes >= 2 * received.byteCount)
        #expect(received.contiguousBytes() == chunks.flatMap { $0 })
    }

    @Test("20,000 one-byte chunks are one gathered buffer, not an entry or a read buffer each")
    func oneByteChunks() async throws {
        let chunks = Self.chunks(sizes: Array(repeating: 1, count: 20_000))
        let received = try await ReceivedEnvelope.read(Self.body(chunks), limit: 1 << 20)
        defer { MemoryBudget.release(received.reservedBytes) }
        #expect(received.chunks.count == 1 && received.chunks[0].readableBytes == 20_000)
        #expect(received.chunks[0].capacity <= 2 * 20_000)
        #expect(received.contiguousBytes() == chunks.flatMap { $0 })
    }

    @Test("an empty body is an empty envelope")
    func empty() async throws {
        let received = try await ReceivedEnvelope.read(Self.body([]), limit: 1 << 20)
        #expect(received.byteCount == 0 && received.reservedBytes == 0 && received.contiguousBytes().isEmpty)
    }

    @Test("one byte over the limit, in a later chunk, is too large")
    func overTheLimit() async {
        let chunks = Self.chunks(sizes: [1_000, 24])
        await #expect(throws: ReceivedEnvelope.Failure.tooLarge) {
            _ = try await ReceivedEnvelope.read(Self.body(chunks), limit: 1_023)
        }
    }
}
