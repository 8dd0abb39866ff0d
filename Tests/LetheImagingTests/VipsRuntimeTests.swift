import Foundation
import LetheImaging
import Testing

@Suite("libvips runtime configuration")
struct VipsRuntimeTests {
    @Test("start is idempotent and reports the version")
    func startIsIdempotent() throws {
        try VipsRuntime.start()
        try VipsRuntime.start(VipsConfiguration(concurrency: 4))
        #expect(VipsRuntime.version.hasPrefix("8."))
        #expect(VipsRuntime.configuration != nil)
    }

    @Test("only the four buffer loaders are unblocked")
    func loadersAreBlocked() throws {
        try VipsRuntime.start()
        for loader in ["jpegload_buffer", "pngload_buffer", "webpload_buffer"] {
            #expect(VipsRuntime.isBlocked(operation: loader) == false, "\(loader)")
        }
        if VipsRuntime.heifAvailable {
            #expect(VipsRuntime.isBlocked(operation: "heifload_buffer") == false)
        }
        // Present in Debian's libvips 8.14 and reachable by a crafted file if not blocked.
        for loader in ["svgload_buffer", "pdfload_buffer", "magickload_buffer", "tiffload_buffer",
                       "gifload_buffer", "jpegload", "pngload", "jpegload_source", "matrixload", "vipsload"] {
            let blocked = VipsRuntime.isBlocked(operation: loader)
            #expect(blocked == true || blocked == nil, "\(loader) must be blocked")
        }
        #expect(VipsRuntime.isBlocked(operation: "no_such_operation") == nil)
    }
}
