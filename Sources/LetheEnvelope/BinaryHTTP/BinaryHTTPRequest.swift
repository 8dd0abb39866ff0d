import Foundation
import LetheMemory

/// Binary HTTP requests (RFC 9292): parsing of both framings, known-length encoding.
public enum BinaryHTTPRequest {
    /// Parses a known-length (framing 0) or indeterminate-length (framing 2) request without
    /// copying its content.
    ///
    /// Truncation (RFC 9292 §3.8) after the control data or any section is accepted, as are
    /// trailing zero bytes (padding); trailers are parsed and ignored. Field names are
    /// lower-cased. No length may exceed the bytes present; header and trailer sections are
    /// limited to 64 KiB.
    ///
    /// Indeterminate-length content split over several chunks is not contiguous in `bytes`, so
    /// this read-only variant throws `malformed_bhttp` for it; `parse(inPlace:)` accepts it by
    /// moving the chunks together inside the same buffer.
    ///
    /// - Returns: the head, and the content's byte range within `bytes` (offsets from its
    ///   start; an empty range when there is no content).
    public static func parse(_ bytes: UnsafeRawBufferPointer) throws(LetheError) -> (head: BinaryHTTPRequestHead, content: Range<Int>) {
        let parsed = try parseLayout(bytes)
        guard parsed.chunkCount <= 1 else {
            throw .malformedBinaryHTTP("content arrives in \(parsed.chunkCount) chunks; use parse(inPlace:) for chunked content")
        }
        return (parsed.head, parsed.firstChunk)
    }

    /// Like `parse(_:)`, and also accepts indeterminate-length content in several chunks: once
    /// the whole message has been validated, the chunks are moved together inside `bytes`
    /// (overwriting the chunk length prefixes) and the bytes freed behind them are zeroed.
    /// Plaintext never leaves the buffer. `bytes` is modified only when the message is valid
    /// and has more than one chunk.
    public static func parse(inPlace bytes: UnsafeMutableRawBufferPointer) throws(LetheError) -> (head: BinaryHTTPRequestHead, content: Range<Int>) {
        let readOnly = UnsafeRawBufferPointer(bytes)
        let parsed = try parseLayout(readOnly)
        guard parsed.chunkCount > 1 else { return (parsed.head, parsed.firstChunk) }

        // Second pass over the already-validated content: each chunk moves toward the start,
        // never past bytes still to be read (every chunk dropped a length prefix of 1+ bytes).
        var reader = BinaryHTTPReader(readOnly)
        reader.skip(to: parsed.contentStart)
        var writeOffset = parsed.firstChunk.lowerBound
        var contentEnd = writeOffset
        _ = try reader.readContent(.indeterminateLength) { chunk in
            if chunk.lowerBound != writeOffset {
                memmove(bytes.baseAddress! + writeOffset, bytes.baseAddress! + chunk.lowerBound, chunk.count)
            }
            writeOffset += chunk.count
            contentEnd = chunk.upperBound
        }
        let freed = UnsafeMutableRawBufferPointer(rebasing: bytes[writeOffset..<contentEnd])
        freed.initializeMemory(as: UInt8.self, repeating: 0)
        return (parsed.head, parsed.firstChunk.lowerBound..<writeOffset)
    }

    private struct Layout {
        var head: BinaryHTTPRequestHead
        var contentStart: Int
        var firstChunk: Range<Int>
        var chunkCount: Int
    }

    private static func parseLayout(_ bytes: UnsafeRawBufferPointer) throws(LetheError) -> Layout {
        var reader = BinaryHTTPReader(bytes)
        let framing = try BinaryHTTPFraming(indicator: reader.readVarint("framing indicator"), isRequest: true)
        let control = try reader.readRequestControlData()
        func head(_ headerFields: [BinaryHTTPField]) -> BinaryHTTPRequestHead {
            BinaryHTTPRequestHead(method: control.method, scheme: control.scheme, authority: control.authority,
                                  path: control.path, headerFields: headerFields)
        }
        func withoutContent(_ headerFields: [BinaryHTTPField], at offset: Int) -> Layout {
            Layout(head: head(headerFields), contentStart: offset, firstChunk: offset..<offset, chunkCount: 0)
        }

        // RFC 9292 §3.8: a message may end after the control data or after any section; the
        // missing sections are empty.
        if reader.isAtEnd { return withoutContent([], at: reader.offset) }
        let headerFields = try reader.readFieldSection(framing, isTrailer: false)
        if reader.isAtEnd { return withoutContent(headerFields, at: reader.offset) }

        let contentStart = reader.offset
        var firstChunk: Range<Int>?
        let chunkCount = try reader.readContent(framing) { chunk in
            if firstChunk == nil { firstChunk = chunk }
        }
        let layout = Layout(
            head: head(headerFields), contentStart: contentStart,
            firstChunk: firstChunk ?? reader.offset..<reader.offset, chunkCount: chunkCount
        )
        if reader.isAtEnd { return layout }
        // Trailers are validated and dropped: Lethe's API has no use for them.
        _ = try reader.readFieldSection(framing, isTrailer: true)
        try reader.requireZeroPadding()
        return layout
    }

    /// Encodes a known-length request (RFC 9292 §3.1, framing indicator 0) with an empty
    /// trailer section; field names are lower-cased. Values are written as given: the caller
    /// keeps them free of CR, LF and NUL.
    public static func encode(
        method: String, scheme: String, authority: String, path: String,
        headerFields: [BinaryHTTPField], content: some DataProtocol
    ) -> Data {
        let contentCount = content.count
        let count = QUICVarint.encodedCount(0)
            + BinaryHTTPWriter.prefixedCount(method.utf8.count)
            + BinaryHTTPWriter.prefixedCount(scheme.utf8.count)
            + BinaryHTTPWriter.prefixedCount(authority.utf8.count)
            + BinaryHTTPWriter.prefixedCount(path.utf8.count)
            + BinaryHTTPWriter.prefixedFieldSectionCount(headerFields)
            + BinaryHTTPWriter.prefixedCount(contentCount)
            + BinaryHTTPWriter.prefixedFieldSectionCount([])
        var data = Data(count: count)
        data.withUnsafeMutableBytes { target in
            var writer = BinaryHTTPWriter(target)
            writer.writeVarint(0)
            writer.writeLengthPrefixed(method)
            writer.writeLengthPrefixed(scheme)
            writer.writeLengthPrefixed(authority)
            writer.writeLengthPrefixed(path)
            writer.writeFieldSection(headerFields)
            writer.writeVarint(contentCount)
            for region in content.regions {
                region.withUnsafeBytes { writer.writeBytes($0) }
            }
            writer.writeFieldSection([])
            precondition(writer.offset == count, "binary HTTP request size miscounted")
        }
        return data
    }
}
