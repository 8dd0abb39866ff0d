import Foundation
import Synchronization

/// What was wiped of a request: bytes per buffer class, buffer count, whether every read-back
/// found only zeros, and the time the wipes took.
public struct WipeReport: Sendable, Equatable, Codable {
    /// Bytes wiped per `BufferClass.rawValue`; every class appears, zero when unused.
    public var bytesByClass: [String: Int]
    /// Number of buffers wiped.
    public var bufferCount: Int
    /// True when every buffer read back as zeros.
    public var verified: Bool
    /// The time spent zeroing the buffers and reading them back, summed over the buffers (and so
    /// over the threads that released them): every wipe of the request, not only the last.
    public var wipeDuration: Duration

    /// An empty report (nothing allocated yet).
    public init() {
        bytesByClass = Dictionary(uniqueKeysWithValues: BufferClass.allCases.map { ($0.rawValue, 0) })
        bufferCount = 0
        verified = true
        wipeDuration = .zero
    }

    /// Sum over all classes.
    public var totalBytes: Int { bytesByClass.values.reduce(0, +) }

    /// Adds another process's wipes of the same request (the engine's).
    public mutating func add(_ other: WipeReport) {
        for (name, bytes) in other.bytesByClass { bytesByClass[name, default: 0] += bytes }
        bufferCount += other.bufferCount
        verified = verified && other.verified
        wipeDuration += other.wipeDuration
    }

    mutating func record(_ result: WipeResult, of bufferClass: BufferClass) {
        bytesByClass[bufferClass.rawValue, default: 0] += result.byteCount
        bufferCount += 1
        verified = verified && result.verified
        wipeDuration += result.duration
    }
}

/// The single owner of one request's plaintext: every `SecureBuffer` of the request is allocated
/// here, and `wipeAll()` releases them on every path (success, error, cancellation, shutdown).
public final class PlaintextArena: Sendable {
    private struct State {
        var live: [ObjectIdentifier: SecureBuffer] = [:]
        var report = WipeReport()
        var closed = false
        var bytesHeld = 0
        var peakBytesHeld = 0
    }

    private let state = Mutex(State())
    private let pool: WipedPagePool

    /// Process-wide plaintext bytes held by all live arenas (for operators: a size, never content).
    public static let bytesHeldNow = Atomic<Int>(0)

    /// An arena whose buffers are carved from `pool`'s wiped pages where it has them, and go back
    /// to it after their verified wipe.
    public init(pool: WipedPagePool = .shared) {
        self.pool = pool
    }

    /// Allocates a zeroed buffer owned by this arena.
    /// Its bytes are reserved in the process's `MemoryBudget` until the buffer is wiped.
    public func allocate(count: Int, bufferClass: BufferClass) throws(LetheError) -> SecureBuffer {
        try own(count: count) { () throws(LetheError) in try SecureBuffer(count: count, bufferClass: bufferClass, pool: pool) }
    }

    /// Maps `count` bytes of the shared memory file `fd` (from the other end of an engine channel)
    /// as a buffer owned by this arena, reserved and wiped like any other.
    public func share(_ fd: Int32, count: Int, bufferClass: BufferClass) throws(LetheError) -> SecureBuffer {
        try own(count: count) { () throws(LetheError) in try SecureBuffer(sharing: fd, count: count, bufferClass: bufferClass) }
    }

    /// Reserves `count` bytes, makes the buffer and registers it, or wipes it and gives the
    /// reservation back.
    private func own(count: Int, _ make: () throws(LetheError) -> SecureBuffer) throws(LetheError) -> SecureBuffer {
        guard MemoryBudget.reserve(count) else { throw .memoryBudgetExceeded(byteCount: count) }
        let buffer: SecureBuffer
        do { buffer = try make() } catch {
            MemoryBudget.release(count)
            throw error
        }
        let accepted = state.withLock { state -> Bool in
            guard !state.closed else { return false }
            state.live[ObjectIdentifier(buffer)] = buffer
            state.bytesHeld += count
            state.peakBytesHeld = max(state.peakBytesHeld, state.bytesHeld)
            return true
        }
        guard accepted else {
            buffer.wipe()
            MemoryBudget.release(count)
            throw .plaintextArenaClosed
        }
        PlaintextArena.bytesHeldNow.add(count, ordering: .relaxed)
        return buffer
    }

    /// Copies `bytes` into an arena buffer.
    public func copy(_ bytes: UnsafeRawBufferPointer, bufferClass: BufferClass) throws(LetheError) -> SecureBuffer {
        let buffer = try allocate(count: bytes.count, bufferClass: bufferClass)
        buffer.withUnsafeMutableBytes { target in
            if let source = bytes.baseAddress, bytes.count > 0 {
                target.baseAddress!.copyMemory(from: source, byteCount: bytes.count)
            }
        }
        return buffer
    }

    /// Moves a `Data` (as returned by a library, e.g. HPKE open) into an arena buffer and zeroes
    /// the `Data`'s own storage in place.
    public func adopt(_ data: inout Data, bufferClass: BufferClass) throws(LetheError) -> SecureBuffer {
        defer { data.wipeInPlace() }
        let buffer = try allocate(count: data.count, bufferClass: bufferClass)
        buffer.withUnsafeMutableBytes { target in target.copyBytes(from: data) }
        return buffer
    }

    /// Wipes one buffer now (an intermediate no longer needed) and records it.
    public func release(_ buffer: SecureBuffer) {
        let owned = state.withLock { state -> Bool in
            guard state.live.removeValue(forKey: ObjectIdentifier(buffer)) != nil else { return false }
            state.bytesHeld -= buffer.count
            return true
        }
        guard owned else { return }
        let result = buffer.wipe()
        PlaintextArena.bytesHeldNow.subtract(buffer.count, ordering: .relaxed)
        MemoryBudget.release(buffer.count)
        state.withLock { $0.report.record(result, of: buffer.bufferClass) }
    }

    /// Unmaps the wiped pages the pool keeps beyond what buffers of `counts` bytes take: before a
    /// step that needs less than the steps before it released, so that the process's resident
    /// pages follow what it holds then rather than what it held (kept pages hold only zeros).
    public func trimKeptPages(keepingFor counts: [Int]) {
        pool.trim(keepingAtMost: counts.reduce(0) { $0 + SecureBuffer.pageRounded($1) })
    }

    /// Bytes this arena holds right now.
    public var bytesHeld: Int {
        state.withLock { $0.bytesHeld }
    }

    /// The most bytes this arena held at once: a request's peak of plaintext (the analysis' plane
    /// budget is tested with it).
    public var peakBytesHeld: Int {
        state.withLock { $0.peakBytesHeld }
    }

    /// Wipes every remaining buffer and returns the report for the whole request. Later calls
    /// return the same report; later allocations fail.
    public func wipeAll() -> WipeReport {
        let remaining = state.withLock { state -> [SecureBuffer] in
            state.closed = true
            let buffers = Array(state.live.values)
            state.live.removeAll()
            state.bytesHeld = 0
            return buffers
        }
        var results: [(WipeResult, BufferClass)] = []
        for buffer in remaining {
            results.append((buffer.wipe(), buffer.bufferClass))
            PlaintextArena.bytesHeldNow.subtract(buffer.count, ordering: .relaxed)
            MemoryBudget.release(buffer.count)
        }
        return state.withLock { state in
            for (result, bufferClass) in results { state.report.record(result, of: bufferClass) }
            return state.report
        }
    }

    deinit {
        _ = wipeAll()
    }
}
