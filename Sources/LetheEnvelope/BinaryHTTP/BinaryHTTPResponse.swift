import Foundation
import LetheMemory

/// Binary HTTP responses (RFC 9292): known-length encoding into a caller's buffer, parsing of
/// both framings.
public enum BinaryHTTPResponse {
    /// Bytes `encode(status:headerFields:content:into:)` writes for these parts.
    public static func encodedCount(status: Int, headerFields: [BinaryHTTPField], contentCount: Int) -> Int {
        QUICVarint.encodedCount(1)
            + QUICVarint.encodedCount(status)
            + BinaryHTTPWriter.prefixedFieldSectionCount(headerFields)
            + BinaryHTTPWriter.prefixedCount(contentCount)
            + BinaryHTTPWriter.prefixedFieldSectionCount([])
    }

    /// Encodes a known-length response (RFC 9292 §3.1, framing indicator 1) with an empty
    /// trailer section straight into `target` (e.g. a `.response` arena buffer); field names
    /// are lower-cased.
    /// - Precondition: `status` is a final status (200...599) and `target.count` equals
    ///   `encodedCount(status:headerFields:contentCount: content.count)`.
    public static func encode(
        status: Int, headerFields: [BinaryHTTPField], content: UnsafeRawBufferPointer,
        into target: UnsafeMutableRawBufferPointer
    ) {
        precondition((200...599).contains(status), "a final response status is 200...599")
        let count = encodedCount(status: status, headerFields: headerFields, contentCount: content.count)
        precondition(target.count == count, "target must be exactly encodedCount bytes")
        var writer = BinaryHTTPWriter(target)
        writer.writeVarint(1)
        writer.writeVarint(status)
        writer.writeFieldSection(headerFields)
        writer.writeVarint(content.count)
        writer.writeBytes(content)
        writer.writeFieldSection([])
        precondition(writer.offset == count, "binary HTTP response size miscounted")
    }

    /// Encodes a known-length response into a new `.response` buffer of `arena`, so that the
    /// plaintext response never exists outside wiped memory.
    /// - Throws: the `LetheMemory` code (`plaintext_allocation_failed`, `plaintext_arena_closed`)
    ///   when the arena cannot supply the buffer.
    public static func encode(
        status: Int, headerFields: [BinaryHTTPField], content: UnsafeRawBufferPointer,
        in arena: PlaintextArena
    ) throws(LetheError) -> SecureBuffer {
        let count = encodedCount(status: status, headerFields: headerFields, contentCount: content.count)
        let buffer = try arena.allocate(count: count, bufferClass: .response)
        buffer.withUnsafeMutableBytes { target in
            encode(status: status, headerFields: headerFields, content: content, into: target)
        }
        return buffer
    }

    /// Parses a known-length (framing 1) or indeterminate-length (framing 3) response.
    ///
    /// Informational (1xx) responses are validated and skipped; the head is the final response.
    /// Truncation after the final status or any later section and zero padding are accepted;
    /// trailers are parsed and ignored; chunked content is joined.
    /// - Throws: `malformed_bhttp`.
    public static func parse(_ data: Data) throws(LetheError) -> (head: BinaryHTTPResponseHead, content: Data) {
        // `Data.withUnsafeBytes` rethrows untyped errors, so the typed result is carried out.
        let result = data.withUnsafeBytes { bytes in
            Result { () throws(LetheError) in try parse(bytes) }
        }
        return try result.get()
    }

    private static func parse(_ bytes: UnsafeRawBufferPointer) throws(LetheError) -> (head: BinaryHTTPResponseHead, content: Data) {
        var reader = BinaryHTTPReader(bytes)
        let framing = try BinaryHTTPFraming(indicator: reader.readVarint("framing indicator"), isRequest: false)

        // RFC 9292 §3.5.1: informational responses (status and header section) repeat until
        // the final status.
        var status: UInt64
        while true {
            status = try reader.readVarint("status code")
            switch status {
            case 100...199:
                _ = try reader.readFieldSection(framing, isTrailer: false)
                continue
            case 200...599:
                break
            default:
                throw .malformedBinaryHTTP("status code \(status) is not 100...599")
            }
            break
        }

        // RFC 9292 §3.8: a message may end after the control data or after any section.
        var headerFields: [BinaryHTTPField] = []
        var content = Data()
        if !reader.isAtEnd {
            headerFields = try reader.readFieldSection(framing, isTrailer: false)
        }
        if !reader.isAtEnd {
            try reader.readContent(framing) { chunk in
                content.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[chunk]))
            }
        }
        if !reader.isAtEnd {
            _ = try reader.readFieldSection(framing, isTrailer: true)
            try reader.requireZeroPadding()
        }
        return (BinaryHTTPResponseHead(status: Int(status), headerFields: headerFields), content)
    }
}
