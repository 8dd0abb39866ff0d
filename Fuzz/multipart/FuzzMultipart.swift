// libFuzzer target: the multipart/form-data session parser (RFC 7578), compiled from the
// worker's own MultipartPhotos.swift and LetheError+Server.swift (symlinked here).
//
// Input: a Content-Type value, a newline, then the body. When the content type carries no
// usable boundary, the body is split with a fixed one so the splitter is always exercised.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMultipart(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: start, count: count)
    let newline = input.firstIndex(of: UInt8(ascii: "\n")) ?? count
    let contentType = String(decoding: UnsafeRawBufferPointer(rebasing: input[0..<newline]), as: UTF8.self)
    let boundary = MultipartPhotos.boundary(contentType: contentType)
    if let boundary { precondition(!boundary.isEmpty && boundary.utf8.count <= 70) }
    // The body is a sub-range of the buffer, as in the worker (BHTTP content inside the request).
    let content = min(newline + 1, count)..<count
    guard let parts = try? MultipartPhotos.parts(of: input, content: content, boundary: boundary ?? "lethe-fuzz") else { return 0 }
    var previousEnd = content.lowerBound
    for part in parts {
        precondition(part.range.lowerBound >= previousEnd && part.range.upperBound <= content.upperBound, "part outside the body or overlapping")
        precondition(part.name.count <= 64)
        previousEnd = part.range.upperBound
    }
    return 0
}
