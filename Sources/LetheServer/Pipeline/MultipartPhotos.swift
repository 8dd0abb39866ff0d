import Foundation
import LetheMemory

/// The photos of a `multipart/form-data` session (RFC 7578): each part's name and the byte range
/// of its content inside the request buffer. Nothing is copied: the photos stay in the request's
/// wiped buffer.
struct MultipartPhotos {
    struct Part: Equatable {
        let name: String
        let range: Range<Int>
    }

    /// The boundary of a `multipart/form-data` content type, or nil for any other type.
    static func boundary(contentType: String?) -> String? {
        guard let contentType, contentType.lowercased().hasPrefix("multipart/form-data") else { return nil }
        for parameter in contentType.split(separator: ";").dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if pair.count == 2, pair[0].lowercased() == "boundary" {
                let value = pair[1].trimmingCharacters(in: CharacterSet(charactersIn: "\""))
                return value.isEmpty || value.utf8.count > 70 ? nil : value
            }
        }
        return nil
    }

    /// Splits `body[content]` at `--boundary` delimiters (RFC 2046 §5.1.1).
    /// - Throws: `malformed_multipart` for a missing delimiter, part header or closing delimiter.
    static func parts(of body: UnsafeRawBufferPointer, content: Range<Int>, boundary: String) throws(LetheError) -> [Part] {
        let delimiter = Array("--\(boundary)".utf8)
        let bytes = body.bindMemory(to: UInt8.self)
        func find(_ pattern: [UInt8], from start: Int) -> Int? {
            body.firstOffset(of: pattern, in: start..<content.upperBound)
        }
        let malformed = LetheError.malformedMultipart
        guard var cursor = find(delimiter, from: content.lowerBound) else { throw malformed }
        var parts: [Part] = []
        let headerEnd = Array("\r\n\r\n".utf8)
        let nextDelimiter = Array("\r\n".utf8) + delimiter
        while true {
            cursor += delimiter.count
            // "--" after the delimiter closes the body.
            if cursor + 1 < content.upperBound, bytes[cursor] == UInt8(ascii: "-"), bytes[cursor + 1] == UInt8(ascii: "-") { return parts }
            guard let headersStart = find(Array("\r\n".utf8), from: cursor), let headersStop = find(headerEnd, from: headersStart) else { throw malformed }
            let headers = String(decoding: UnsafeBufferPointer(rebasing: bytes[headersStart..<headersStop]), as: UTF8.self)
            let dataStart = headersStop + headerEnd.count
            guard let dataEnd = find(nextDelimiter, from: dataStart) else { throw malformed }
            parts.append(Part(name: name(in: headers) ?? "photo\(parts.count + 1)", range: dataStart..<dataEnd))
            cursor = dataEnd + 2
            guard parts.count <= 64 else { throw malformed }
        }
    }

    /// `name="…"` of the Content-Disposition header (at most 64 characters).
    private static func name(in headers: String) -> String? {
        for line in headers.split(separator: "\r\n") where line.lowercased().hasPrefix("content-disposition:") {
            guard let start = line.range(of: "name=\"") else { continue }
            let rest = line[start.upperBound...]
            guard let end = rest.firstIndex(of: "\"") else { continue }
            return String(rest[..<end].prefix(64))
        }
        return nil
    }
}
