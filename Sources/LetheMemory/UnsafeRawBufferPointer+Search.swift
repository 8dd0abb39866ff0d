/// Byte search inside plaintext buffers, where the bytes must not be copied into a `Data` or an
/// `Array` to use the standard library's searches (multipart boundaries, image placeholders).
extension UnsafeRawBufferPointer {
    /// Offset of the first occurrence of `pattern` that lies wholly inside `range`, or nil.
    public func firstOffset(of pattern: [UInt8], in range: Range<Int>) -> Int? {
        guard !pattern.isEmpty, range.lowerBound <= range.upperBound - pattern.count else { return nil }
        var i = range.lowerBound
        while i <= range.upperBound - pattern.count {
            if self[i] == pattern[0] {
                var j = 1
                while j < pattern.count, self[i + j] == pattern[j] { j += 1 }
                if j == pattern.count { return i }
            }
            i += 1
        }
        return nil
    }
}
