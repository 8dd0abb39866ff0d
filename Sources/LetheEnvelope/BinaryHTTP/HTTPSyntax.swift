import LetheMemory

/// Byte classes from RFC 9110 §5.1, §5.5 and RFC 9113 §8.2.1 that binary HTTP fields must obey.
enum HTTPSyntax {
    static let reservedPseudoFields: Set<String> = [":method", ":scheme", ":authority", ":path", ":status"]

    /// RFC 9110 §5.6.2 `tchar`.
    static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }

    /// RFC 3986 §3.1 scheme characters.
    static func isSchemeByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."):
            return true
        default:
            return false
        }
    }

    /// Printable ASCII without space (authority and path bytes).
    static func isVisibleASCII(_ byte: UInt8) -> Bool {
        (0x21...0x7E).contains(byte)
    }

    static func asciiLowercased(_ byte: UInt8) -> UInt8 {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte | 0x20 : byte
    }

    /// RFC 9113 §8.2.1: no NUL, CR or LF, no leading or trailing space or tab. Values must also
    /// be UTF-8, since they become `String`s.
    static func fieldValue(_ bytes: UnsafeRawBufferPointer, at position: Int) throws(LetheError) -> String {
        func isWhitespace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }
        guard !bytes.contains(where: { $0 == 0x00 || $0 == 0x0A || $0 == 0x0D }) else {
            throw .malformedBinaryHTTP("field value at byte \(position) contains NUL, CR or LF")
        }
        if let first = bytes.first, let last = bytes.last, isWhitespace(first) || isWhitespace(last) {
            throw .malformedBinaryHTTP("field value at byte \(position) starts or ends with whitespace")
        }
        guard let value = String(validating: bytes, as: UTF8.self) else {
            throw .malformedBinaryHTTP("field value at byte \(position) is not UTF-8")
        }
        return value
    }
}
