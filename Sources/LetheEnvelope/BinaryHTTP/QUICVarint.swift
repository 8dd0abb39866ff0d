/// QUIC variable-length integers (RFC 9000 §16), the encoding of every number and length in
/// binary HTTP (RFC 9292 §3): the two high bits of the first byte give the length (1, 2, 4 or
/// 8 bytes), the rest is the value, big-endian.
enum QUICVarint {
    /// The largest encodable value, 2^62 - 1.
    static let maxValue: UInt64 = (1 << 62) - 1

    /// Bytes the shortest encoding of `value` takes.
    static func encodedCount(_ value: Int) -> Int {
        precondition(value >= 0 && UInt64(value) <= maxValue, "QUIC varint out of range")
        switch value {
        case ..<64: return 1
        case ..<16_384: return 2
        case ..<1_073_741_824: return 4
        default: return 8
        }
    }

    /// Writes the shortest encoding of `value` at `offset` and advances it.
    static func write(_ value: Int, into target: UnsafeMutableRawBufferPointer, at offset: inout Int) {
        let count = encodedCount(value)
        precondition(offset + count <= target.count, "QUIC varint write past the end of the buffer")
        let prefix: UInt64 = switch count {
        case 1: 0b00
        case 2: 0b01
        case 4: 0b10
        default: 0b11
        }
        let encoded = UInt64(value) | prefix << (UInt64(count) * 8 - 2)
        for index in 0..<count {
            target[offset + index] = UInt8(truncatingIfNeeded: encoded >> (UInt64(count - 1 - index) * 8))
        }
        offset += count
    }

    /// Reads one varint at `offset`, advancing it; nil when the bytes end inside it.
    static func read(from bytes: UnsafeRawBufferPointer, at offset: inout Int) -> UInt64? {
        guard offset < bytes.count else { return nil }
        let first = bytes[offset]
        let count = 1 << Int(first >> 6)
        guard bytes.count - offset >= count else { return nil }
        var value = UInt64(first & 0x3F)
        for index in 1..<count {
            value = value << 8 | UInt64(bytes[offset + index])
        }
        offset += count
        return value
    }
}
