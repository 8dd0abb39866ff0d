#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Byte search inside plaintext buffers, where the bytes must not be copied into a `Data` or an
/// `Array` to use the standard library's searches (multipart boundaries, image placeholders, JPEG
/// markers).
extension UnsafeRawBufferPointer {
    /// Offset of the first `byte` inside `range`, or nil: `memchr`, which reads a vector of bytes
    /// at a time (a byte-by-byte loop over a 12-megapixel JPEG's scans was 0.6 % of its request).
    public func firstOffset(of byte: UInt8, in range: Range<Int>) -> Int? {
        let range = range.clamped(to: 0..<count)
        guard let base = baseAddress, !range.isEmpty,
              let found = memchr(base + range.lowerBound, Int32(byte), range.count) else { return nil }
        return UnsafeRawPointer(found) - base
    }

    /// Offset of the first occurrence of `pattern` that lies wholly inside `range`, or nil.
    public func firstOffset(of pattern: [UInt8], in range: Range<Int>) -> Int? {
        guard !pattern.isEmpty, range.lowerBound <= range.upperBound - pattern.count else { return nil }
        let last = range.upperBound - pattern.count
        var i = range.lowerBound
        while i <= last {
            // The next place the pattern's first byte is, then the rest compared there.
            guard let candidate = firstOffset(of: pattern[0], in: i..<(last + 1)) else { return nil }
            var j = 1
            while j < pattern.count, self[candidate + j] == pattern[j] { j += 1 }
            if j == pattern.count { return candidate }
            i = candidate + 1
        }
        return nil
    }
}
