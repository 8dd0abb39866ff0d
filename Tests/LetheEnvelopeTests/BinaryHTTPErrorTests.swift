import Foundation
import LetheMemory
import Testing
@testable import LetheEnvelope

@Suite("Binary HTTP limits and errors")
struct BinaryHTTPErrorTests {
    let knownLength: Data

    init() throws {
        knownLength = Data(hex: try BinaryHTTPExamples.load().requestKnownLength)
    }

    func parseRequest(_ data: Data) throws(LetheError) -> (head: BinaryHTTPRequestHead, content: Range<Int>) {
        try BinaryHTTPExampleTests.parseRequest(data)
    }

    /// Known-length request with control data `GET https "" /`, then `rest`.
    func request(_ rest: [UInt8]) -> Data {
        Data([0x00, 0x03]) + Data("GET".utf8) + Data([0x05]) + Data("https".utf8) + Data([0x00, 0x01, 0x2F]) + Data(rest)
    }

    /// Indeterminate-length request with no header fields and `rest` after them.
    func chunkedRequest(_ rest: [UInt8]) -> Data {
        Data([0x02, 0x03]) + Data("GET".utf8) + Data([0x05]) + Data("https".utf8) + Data([0x00, 0x01, 0x2F, 0x00]) + Data(rest)
    }

    @Test("a prefix parses only when it ends at a section boundary")
    func everyTruncation() {
        // Control data ends at 23, the header section at 133, content at 134, trailers at 135.
        let boundaries: Set<Int> = [23, 133, 134, 135]
        for length in 0...knownLength.count {
            let prefix = knownLength.prefix(length)
            if boundaries.contains(length) {
                #expect(throws: Never.self, "prefix \(length)") { try parseRequest(prefix) }
            } else {
                #expect(throws: envelopeError("malformed_bhttp"), "prefix \(length)") { try parseRequest(prefix) }
            }
        }
    }

    /// Bytes after the control data, and a fragment of the message naming the actual reason
    /// (so that each case fails for the reason it is about).
    static let malformedRequests: [(String, [UInt8], String)] = [
        ("content length 2^62-1", [0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x61], "content length 4611686018427387903"),
        ("header section length 2^62-1", [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF], "exceeds the limit"),
        ("content length past the end", [0x00, 0x05, 0x61, 0x62], "content length 5"),
        ("truncated varint", [0x00, 0x40], "ends inside the content length"),
        ("field name length past the section", [0x03, 0x05, 0x61, 0x00], "field name length 5"),
        ("empty field name", [0x02, 0x00, 0x00], "empty field name"),
        ("field name with a space", [0x04, 0x02, 0x61, 0x20, 0x00], "not a valid HTTP token"),
        ("reserved pseudo-field", [0x08, 0x05] + Array(":path".utf8) + [0x01, 0x2F], "pseudo-field"),
        ("pseudo-field after a regular field", [0x0B, 0x01, 0x61, 0x01, 0x62, 0x04] + Array(":foo".utf8) + [0x01, 0x63], "pseudo-field"),
        ("value with CR LF", [0x06, 0x01, 0x61, 0x03, 0x62, 0x0D, 0x0A], "NUL, CR or LF"),
        ("value with leading space", [0x04, 0x01, 0x61, 0x01, 0x20], "whitespace"),
        ("value not UTF-8", [0x05, 0x01, 0x61, 0x02, 0xC3, 0x28], "not UTF-8"),
        ("non-zero padding", [0x00, 0x00, 0x00, 0x00, 0x01], "non-zero bytes"),
        ("pseudo-field in trailers", [0x00, 0x00, 0x07, 0x04] + Array(":foo".utf8) + [0x01, 0x61], "pseudo-field"),
    ]

    @Test("malformed requests are refused", arguments: malformedRequests)
    func malformedRequest(name: String, rest: [UInt8], reason: String) {
        let error = #expect(throws: LetheError.self) { try parseRequest(request(rest)) }
        #expect(error?.code.rawValue == "malformed_bhttp")
        #expect(error?.message.contains(reason) == true, "\(error?.message ?? "no error")")
    }

    @Test("an extension pseudo-field leading the header section is accepted")
    func extensionPseudoField() throws {
        let (head, _) = try parseRequest(request([0x0B, 0x04] + Array(":foo".utf8) + [0x01, 0x61, 0x01, 0x62, 0x01, 0x63]))
        #expect(head.headerFields.map(\.name) == [":foo", "b"])
    }

    @Test("upper-case field names are lower-cased")
    func lowerCasedNames() throws {
        let (head, _) = try parseRequest(request([0x0A, 0x04] + Array("X-Ab".utf8) + [0x04] + Array("MiXd".utf8)))
        #expect(head.headerFields == [BinaryHTTPField(name: "x-ab", value: "MiXd")])
    }

    @Test("framing indicators other than a request's are refused", arguments: [1, 3, 4, 63] as [UInt8])
    func wrongFraming(indicator: UInt8) {
        var bytes = knownLength
        bytes[0] = indicator
        #expect(throws: envelopeError("malformed_bhttp")) { try parseRequest(bytes) }
    }

    @Test("a header section larger than 64 KiB is refused in both framings")
    func oversizedFieldSection() {
        let value = [UInt8](repeating: 0x61, count: 70_000)
        var line: [UInt8] = [0x01, 0x61, 0x80, 0x01, 0x11, 0x70]  // name "a", value length 70000
        line += value
        var known: [UInt8] = [0x80, 0x01, 0x11, 0x76]  // section length 70006
        known += line
        #expect(throws: envelopeError("malformed_bhttp")) { try parseRequest(request(known)) }
        let indeterminate = Data([0x02, 0x03]) + Data("GET".utf8) + Data([0x05]) + Data("https".utf8) + Data([0x00, 0x01, 0x2F])
            + Data(line) + Data([0x00])
        #expect(throws: envelopeError("malformed_bhttp")) { try parseRequest(indeterminate) }
    }

    @Test("many small fields past 64 KiB are refused in the indeterminate framing")
    func manyFields() {
        var section: [UInt8] = []
        for _ in 0..<20_000 { section += [0x01, 0x61, 0x01, 0x62] }
        section += [0x00]
        let bytes = Data([0x02, 0x03]) + Data("GET".utf8) + Data([0x05]) + Data("https".utf8) + Data([0x00, 0x01, 0x2F]) + Data(section)
        #expect(throws: envelopeError("malformed_bhttp")) { try parseRequest(bytes) }
    }

    @Test("a control field over 16 KiB is refused")
    func oversizedPath() {
        let path = [UInt8](repeating: 0x61, count: 20_000)
        let bytes = Data([0x00, 0x03]) + Data("GET".utf8) + Data([0x05]) + Data("https".utf8) + Data([0x00, 0x80, 0x00, 0x4E, 0x20]) + Data(path)
        #expect(throws: envelopeError("malformed_bhttp")) { try parseRequest(bytes) }
    }

    @Test("single-chunk indeterminate content is a range into the input")
    func singleChunk() throws {
        let bytes = chunkedRequest([0x03, 0x61, 0x62, 0x63, 0x00, 0x00, 0x00, 0x00])
        let (_, content) = try parseRequest(bytes)
        #expect(bytes[content] == Data("abc".utf8))
    }

    @Test("several chunks: refused read-only, joined in place")
    func severalChunks() throws {
        let original = chunkedRequest([0x03, 0x61, 0x62, 0x63, 0x02, 0x64, 0x65, 0x01, 0x66, 0x00, 0x01, 0x74, 0x01, 0x75, 0x00])
        #expect(throws: envelopeError("malformed_bhttp")) { try parseRequest(original) }

        var bytes = original
        let (head, content) = try bytes.withUnsafeMutableBytes { buffer in
            try Result { () throws(LetheError) in try BinaryHTTPRequest.parse(inPlace: buffer) }.get()
        }
        #expect(head.method == "GET")
        #expect(bytes[content] == Data("abcdef".utf8))
        // The bytes freed behind the joined content are zeroed; the trailer is untouched.
        #expect(bytes[content.upperBound..<(content.upperBound + 2)] == Data([0, 0]))
        #expect(bytes.suffix(6) == original.suffix(6))
    }

    @Test("in-place parsing leaves an invalid message untouched")
    func inPlaceInvalid() {
        let original = chunkedRequest([0x01, 0x61, 0x01, 0x62, 0x00, 0x00, 0x05])
        var bytes = original
        #expect(throws: envelopeError("malformed_bhttp")) {
            try bytes.withUnsafeMutableBytes { buffer in
                try Result { () throws(LetheError) in try BinaryHTTPRequest.parse(inPlace: buffer) }.get()
            }
        }
        #expect(bytes == original)
    }

    static let malformedResponses: [(String, [UInt8], String)] = [
        ("empty", [], "ends inside the framing indicator"),
        ("request framing", [0x00, 0x40, 0xC8], "not a response"),
        ("status 99", [0x01, 0x40, 0x63], "status code 99"),
        ("status 600", [0x01, 0x42, 0x58], "status code 600"),
        ("informational response then end", [0x01, 0x40, 0x64, 0x00], "ends inside the status code"),
        ("informational response truncated inside its section", [0x01, 0x40, 0x64], "ends inside the header section length"),
        ("content length past the end", [0x01, 0x40, 0xC8, 0x00, 0x3F, 0x61], "content length 63"),
        ("absurd content length", [0x01, 0x40, 0xC8, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF], "content length 4611686018427387903"),
        ("unterminated chunked content", [0x03, 0x40, 0xC8, 0x00, 0x01, 0x61], "ends inside the content chunk length"),
        ("non-zero padding", [0x01, 0x40, 0xC8, 0x00, 0x00, 0x00, 0x00, 0x09], "non-zero bytes"),
    ]

    @Test("malformed responses are refused", arguments: malformedResponses)
    func malformedResponse(name: String, bytes: [UInt8], reason: String) {
        let error = #expect(throws: LetheError.self) { try BinaryHTTPResponse.parse(Data(bytes)) }
        #expect(error?.code.rawValue == "malformed_bhttp")
        #expect(error?.message.contains(reason) == true, "\(error?.message ?? "no error")")
    }

    @Test("chunked response content is joined")
    func chunkedResponse() throws {
        let (head, content) = try BinaryHTTPResponse.parse(Data([0x03, 0x40, 0xC8, 0x00, 0x02, 0x68, 0x69, 0x01, 0x21, 0x00, 0x00, 0x00, 0x00]))
        #expect(head.status == 200)
        #expect(content == Data("hi!".utf8))
    }
}
