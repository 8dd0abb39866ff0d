import Foundation
import LetheMemory
import Testing
@testable import LetheEnvelope

/// The RFC 9292 §5 examples: parsed to their documented meaning, and the known-length forms
/// re-encoded byte for byte.
@Suite("RFC 9292 examples")
struct BinaryHTTPExampleTests {
    let examples: BinaryHTTPExamples

    init() throws {
        examples = try BinaryHTTPExamples.load()
    }

    static let exampleRequestHead = BinaryHTTPRequestHead(
        method: "GET", scheme: "https", authority: "", path: "/hello.txt",
        headerFields: [
            BinaryHTTPField(name: "user-agent", value: "curl/7.16.3 libcurl/7.16.3 OpenSSL/0.9.7l zlib/1.2.3"),
            BinaryHTTPField(name: "host", value: "www.example.com"),
            BinaryHTTPField(name: "accept-language", value: "en, mi"),
        ]
    )

    static func parseRequest(_ data: Data) throws(LetheError) -> (head: BinaryHTTPRequestHead, content: Range<Int>) {
        let result = data.withUnsafeBytes { bytes in
            Result { () throws(LetheError) in try BinaryHTTPRequest.parse(bytes) }
        }
        return try result.get()
    }

    @Test("known-length request parses to the documented request")
    func knownLengthRequest() throws {
        let bytes = Data(hex: examples.requestKnownLength)
        #expect(bytes.count == 135)
        let (head, content) = try Self.parseRequest(bytes)
        #expect(head == Self.exampleRequestHead)
        #expect(content.isEmpty)
        #expect(head.field("Accept-Language") == "en, mi")
        #expect(head.field("host") == "www.example.com")
        #expect(head.field("cookie") == nil)
    }

    @Test("known-length request encodes to exactly the RFC bytes")
    func knownLengthRequestEncoding() {
        let head = Self.exampleRequestHead
        let encoded = BinaryHTTPRequest.encode(
            method: head.method, scheme: head.scheme, authority: head.authority, path: head.path,
            headerFields: [
                BinaryHTTPField(name: "User-Agent", value: "curl/7.16.3 libcurl/7.16.3 OpenSSL/0.9.7l zlib/1.2.3"),
                BinaryHTTPField(name: "Host", value: "www.example.com"),
                BinaryHTTPField(name: "Accept-Language", value: "en, mi"),
            ],
            content: Data()
        )
        #expect(encoded.hex == examples.requestKnownLength)
    }

    @Test("the last two bytes of the known-length request can be truncated", arguments: [1, 2])
    func knownLengthTruncation(dropped: Int) throws {
        let (head, content) = try Self.parseRequest(Data(hex: examples.requestKnownLength).dropLast(dropped))
        #expect(head == Self.exampleRequestHead)
        #expect(content.isEmpty)
    }

    @Test("indeterminate-length request parses to the same request, with up to 12 bytes removed", arguments: Array(0...12))
    func indeterminateLengthRequest(dropped: Int) throws {
        let bytes = Data(hex: examples.requestIndeterminateLength)
        #expect(bytes.count == 144)
        let (head, content) = try Self.parseRequest(bytes.dropLast(dropped))
        #expect(head == Self.exampleRequestHead)
        #expect(content.isEmpty)
    }

    @Test("removing a 13th byte cuts the header section's terminator")
    func indeterminateLengthOverTruncated() {
        #expect(throws: envelopeError("malformed_bhttp")) {
            try Self.parseRequest(Data(hex: examples.requestIndeterminateLength).dropLast(13))
        }
    }

    @Test("indeterminate-length response skips the 102 and 103 responses")
    func informationalResponse() throws {
        let (head, content) = try BinaryHTTPResponse.parse(Data(hex: examples.responseIndeterminateLengthInformational))
        #expect(head.status == 200)
        #expect(head.headerFields == [
            BinaryHTTPField(name: "date", value: "Mon, 27 Jul 2009 12:28:53 GMT"),
            BinaryHTTPField(name: "server", value: "Apache"),
            BinaryHTTPField(name: "last-modified", value: "Wed, 22 Jul 2009 19:15:56 GMT"),
            BinaryHTTPField(name: "etag", value: "\"34aa387-d-1568eb00\""),
            BinaryHTTPField(name: "accept-ranges", value: "bytes"),
            BinaryHTTPField(name: "content-length", value: "51"),
            BinaryHTTPField(name: "vary", value: "Accept-Encoding"),
            BinaryHTTPField(name: "content-type", value: "text/plain"),
        ])
        #expect(head.field("Content-Type") == "text/plain")
        #expect(content == Data("Hello World! My content includes a trailing CRLF.\r\n".utf8))
        #expect(content.count == 51)
    }

    @Test("known-length response with a trailer parses, and re-encodes up to the trailer")
    func knownLengthResponse() throws {
        let bytes = Data(hex: examples.responseKnownLengthTrailer)
        let (head, content) = try BinaryHTTPResponse.parse(bytes)
        #expect(head == BinaryHTTPResponseHead(status: 200, headerFields: []))
        #expect(content == Data("This content contains CRLF.\r\n".utf8))

        // Lethe never sends trailers: the encoding matches the RFC's up to the trailer section,
        // which is empty (a single zero length) instead of `trailer: text`.
        let count = BinaryHTTPResponse.encodedCount(status: 200, headerFields: [], contentCount: content.count)
        var encoded = Data(count: count)
        encoded.withUnsafeMutableBytes { target in
            content.withUnsafeBytes { BinaryHTTPResponse.encode(status: 200, headerFields: [], content: $0, into: target) }
        }
        #expect(encoded.hex == bytes.prefix(34).hex + "00")
        #expect(bytes[34] == 0x0D)  // the RFC's 13-byte trailer section starts here
    }

    @Test("response encoding reproduces the 200 control data and fields exactly")
    func responseEncodingRoundTrip() throws {
        let fields = [BinaryHTTPField(name: "Content-Type", value: "application/json"), BinaryHTTPField(name: "cache-control", value: "no-store")]
        let body = patternedBytes(count: 20_000)
        let count = BinaryHTTPResponse.encodedCount(status: 422, headerFields: fields, contentCount: body.count)
        var encoded = Data(count: count)
        encoded.withUnsafeMutableBytes { target in
            body.withUnsafeBytes { BinaryHTTPResponse.encode(status: 422, headerFields: fields, content: $0, into: target) }
        }
        #expect(encoded.prefix(3) == Data([0x01, 0x41, 0xA6]))  // framing 1, status 422 as a 2-byte varint
        let (head, content) = try BinaryHTTPResponse.parse(encoded)
        #expect(head.status == 422)
        #expect(head.headerFields.map(\.name) == ["content-type", "cache-control"])
        #expect(content == body)
    }
}
