// libFuzzer target: type sniffing from magic bytes, which runs before any decoder sees a byte.
import LetheImaging

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSniff(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: start, count: count)
    if let format = ImageFormat.sniff(bytes) {
        switch format {
        case .jpeg: precondition(count >= 3 && bytes[0] == 0xFF && bytes[1] == 0xD8)
        case .png: precondition(count >= 8 && bytes[0] == 0x89)
        case .webp: precondition(count >= 12 && bytes[0] == 0x52)
        case .heif: precondition(count >= 12)
        }
    }
    return 0
}
