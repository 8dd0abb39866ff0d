// libFuzzer target: the Binary HTTP request decoder (RFC 9292), both framings, read-only and in
// place, as the gateway runs it on every decrypted request.
import Foundation
import LetheEnvelope

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzBinaryHTTP(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: start, count: count)
    let readOnly = try? BinaryHTTPRequest.parse(input)
    if let readOnly {
        precondition(readOnly.content.lowerBound >= 0 && readOnly.content.upperBound <= count, "content outside the message")
    }
    let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: max(count, 1), alignment: 1)
    defer { copy.deallocate() }
    let buffer = UnsafeMutableRawBufferPointer(rebasing: copy[0..<count])
    if count > 0 { buffer.copyMemory(from: input) }
    if let inPlace = try? BinaryHTTPRequest.parse(inPlace: buffer) {
        precondition(inPlace.content.lowerBound >= 0 && inPlace.content.upperBound <= count, "content outside the message")
        if let readOnly {
            // Single-chunk messages are not moved: both variants must agree exactly.
            precondition(readOnly.content == inPlace.content, "the two parsers disagree on the content")
        }
    } else {
        precondition(readOnly == nil, "in-place parsing refused what read-only parsing accepted")
    }
    return 0
}
