import LetheMemory

/// Bounds that no declared length can get past (RFC 9292 §8: resource exhaustion).
enum BinaryHTTPLimits {
    /// Largest header or trailer section, in encoded bytes.
    static let maxFieldSectionByteCount = 64 * 1024
    /// Largest method, scheme, authority or path.
    static let maxControlFieldByteCount = 16 * 1024
}

/// How the sections after the framing indicator are laid out (RFC 9292 §3.3).
enum BinaryHTTPFraming {
    case knownLength
    case indeterminateLength

    /// RFC 9292 §3.3: 0 known-length request, 1 known-length response, 2 indeterminate-length
    /// request, 3 indeterminate-length response.
    init(indicator: UInt64, isRequest: Bool) throws(LetheError) {
        switch (indicator, isRequest) {
        case (0, true), (1, false): self = .knownLength
        case (2, true), (3, false): self = .indeterminateLength
        case (0...3, _):
            throw .malformedBinaryHTTP("framing indicator \(indicator) is not a \(isRequest ? "request" : "response")")
        default:
            throw .malformedBinaryHTTP("framing indicator \(indicator) is not defined")
        }
    }
}

/// A bounds-checked cursor over a binary HTTP message. Every length is checked against the
/// bytes that remain before anything is read or allocated, so a declared length can never
/// overflow or size an allocation. Errors name positions and lengths, never content.
struct BinaryHTTPReader {
    let bytes: UnsafeRawBufferPointer
    private(set) var offset: Int
    private let end: Int

    init(_ bytes: UnsafeRawBufferPointer, range: Range<Int>? = nil) {
        self.bytes = bytes
        self.offset = range?.lowerBound ?? 0
        self.end = range?.upperBound ?? bytes.count
    }

    var isAtEnd: Bool { offset == end }
    var remainingCount: Int { end - offset }

    mutating func readVarint(_ what: String) throws(LetheError) -> UInt64 {
        var cursor = offset
        guard let value = QUICVarint.read(from: UnsafeRawBufferPointer(rebasing: bytes[..<end]), at: &cursor) else {
            throw .malformedBinaryHTTP("message ends inside the \(what) at byte \(offset)")
        }
        offset = cursor
        return value
    }

    /// Reads a length prefix and checks it against both `limit` and the bytes remaining.
    mutating func readLength(_ what: String, limit: Int = .max) throws(LetheError) -> Int {
        let start = offset
        let value = try readVarint("\(what) length")
        guard value <= UInt64(limit) else {
            throw .malformedBinaryHTTP("\(what) length \(value) at byte \(start) exceeds the limit of \(limit)")
        }
        guard value <= UInt64(remainingCount) else {
            throw .malformedBinaryHTTP("\(what) length \(value) at byte \(start) runs past the end of the message")
        }
        return Int(value)
    }

    /// Moves to `position` (a point an earlier pass over the same bytes reached).
    mutating func skip(to position: Int) {
        precondition(position >= offset && position <= end)
        offset = position
    }

    /// Takes the next `count` bytes (already checked by `readLength`).
    mutating func take(_ count: Int) -> Range<Int> {
        precondition(count >= 0 && count <= remainingCount)
        defer { offset += count }
        return offset..<offset + count
    }

    // MARK: Control data (RFC 9292 §3.4, §3.5)

    mutating func readRequestControlData() throws(LetheError) -> (method: String, scheme: String, authority: String, path: String) {
        let method = try readControlField("method", allowEmpty: false, isValid: HTTPSyntax.isTokenByte)
        let scheme = try readControlField("scheme", allowEmpty: true, isValid: HTTPSyntax.isSchemeByte)
        let authority = try readControlField("authority", allowEmpty: true, isValid: HTTPSyntax.isVisibleASCII)
        let path = try readControlField("path", allowEmpty: true, isValid: HTTPSyntax.isVisibleASCII)
        return (method, scheme, authority, path)
    }

    private mutating func readControlField(_ what: String, allowEmpty: Bool, isValid: (UInt8) -> Bool) throws(LetheError) -> String {
        let count = try readLength(what, limit: BinaryHTTPLimits.maxControlFieldByteCount)
        guard count > 0 || allowEmpty else { throw .malformedBinaryHTTP("\(what) is empty") }
        let range = take(count)
        let field = UnsafeRawBufferPointer(rebasing: bytes[range])
        guard field.allSatisfy(isValid) else {
            throw .malformedBinaryHTTP("\(what) at byte \(range.lowerBound) contains a byte not allowed there")
        }
        return String(decoding: field, as: UTF8.self)
    }

    // MARK: Field sections (RFC 9292 §3.6)

    /// Reads a header or trailer section in the given framing.
    mutating func readFieldSection(_ framing: BinaryHTTPFraming, isTrailer: Bool) throws(LetheError) -> [BinaryHTTPField] {
        let what = isTrailer ? "trailer section" : "header section"
        var validator = FieldSectionValidator(isTrailer: isTrailer)
        var fields: [BinaryHTTPField] = []
        switch framing {
        case .knownLength:
            let count = try readLength(what, limit: BinaryHTTPLimits.maxFieldSectionByteCount)
            var section = BinaryHTTPReader(bytes, range: take(count))
            while !section.isAtEnd {
                let nameCount = try section.readLength("field name", limit: BinaryHTTPLimits.maxFieldSectionByteCount)
                fields.append(try section.readFieldLine(nameCount: nameCount, validator: &validator))
            }
        case .indeterminateLength:
            let start = offset
            while true {
                let nameCount = try readLength("field name", limit: BinaryHTTPLimits.maxFieldSectionByteCount)
                if nameCount == 0 { break }  // the section's terminator
                fields.append(try readFieldLine(nameCount: nameCount, validator: &validator))
                guard offset - start <= BinaryHTTPLimits.maxFieldSectionByteCount else {
                    throw .malformedBinaryHTTP("\(what) at byte \(start) exceeds the limit of \(BinaryHTTPLimits.maxFieldSectionByteCount) bytes")
                }
            }
        }
        return fields
    }

    private mutating func readFieldLine(nameCount: Int, validator: inout FieldSectionValidator) throws(LetheError) -> BinaryHTTPField {
        guard nameCount > 0 else { throw .malformedBinaryHTTP("empty field name at byte \(offset)") }
        let nameRange = take(nameCount)
        let valueCount = try readLength("field value", limit: BinaryHTTPLimits.maxFieldSectionByteCount)
        let valueRange = take(valueCount)
        let name = try validator.name(UnsafeRawBufferPointer(rebasing: bytes[nameRange]), at: nameRange.lowerBound)
        let value = try HTTPSyntax.fieldValue(UnsafeRawBufferPointer(rebasing: bytes[valueRange]), at: valueRange.lowerBound)
        return BinaryHTTPField(name: name, value: value)
    }

    // MARK: Content (RFC 9292 §3.7)

    /// Reads the content and reports each non-empty chunk's byte range, in order (known-length
    /// content is one chunk). Returns the number of chunks.
    @discardableResult
    mutating func readContent(_ framing: BinaryHTTPFraming, onChunk: (Range<Int>) -> Void) throws(LetheError) -> Int {
        switch framing {
        case .knownLength:
            let count = try readLength("content")
            if count > 0 { onChunk(take(count)) }
            return count > 0 ? 1 : 0
        case .indeterminateLength:
            var chunks = 0
            while true {
                let count = try readLength("content chunk")
                if count == 0 { return chunks }  // the content terminator
                onChunk(take(count))
                chunks += 1
            }
        }
    }

    // MARK: Padding (RFC 9292 §3.8)

    /// Everything that remains must be zero-valued padding.
    func requireZeroPadding() throws(LetheError) {
        let padding = UnsafeRawBufferPointer(rebasing: bytes[offset..<end])
        guard padding.allSatisfy({ $0 == 0 }) else {
            throw .malformedBinaryHTTP("non-zero bytes after the end of the message at byte \(offset)")
        }
    }
}

/// RFC 9292 §3.6: pseudo-fields are refused where RFC 9292 says the message is invalid.
struct FieldSectionValidator {
    let isTrailer: Bool
    private var sawRegularField = false

    init(isTrailer: Bool) {
        self.isTrailer = isTrailer
    }

    /// Validates a field name and returns it lower-cased.
    mutating func name(_ bytes: UnsafeRawBufferPointer, at position: Int) throws(LetheError) -> String {
        let isPseudo = bytes.first == UInt8(ascii: ":")
        let body = isPseudo ? UnsafeRawBufferPointer(rebasing: bytes.dropFirst()) : bytes
        guard !body.isEmpty, body.allSatisfy(HTTPSyntax.isTokenByte) else {
            throw .malformedBinaryHTTP("field name at byte \(position) is not a valid HTTP token")
        }
        let name = String(decoding: bytes.map(HTTPSyntax.asciiLowercased), as: UTF8.self)
        if isPseudo {
            // Control data is never repeated as a pseudo-field; other pseudo-fields only lead a
            // header section (RFC 9292 §3.6, RFC 9113 §8.1).
            guard !HTTPSyntax.reservedPseudoFields.contains(name), !isTrailer, !sawRegularField else {
                throw .malformedBinaryHTTP("pseudo-field at byte \(position) is not allowed there")
            }
        } else {
            sawRegularField = true
        }
        return name
    }
}
