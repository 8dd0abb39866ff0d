import LetheImaging
import LetheMemory
import Testing

@Suite("Decoding from many threads")
struct ConcurrentDecodeTests {
    @Test("concurrent decodes of different images each get their own exact pixels")
    func concurrentDecodes() async throws {
        let formats: [ImageFormat] = [.png, .webp, .png, .webp, .png, .webp, .png, .webp]
        try await withThrowingTaskGroup(of: Bool.self) { group in
            for (index, format) in formats.enumerated() {
                group.addTask {
                    let width = 120 + index, height = 90
                    let original = TestImages.gradient(width: width, height: height, noise: 25, seed: UInt64(index + 1))
                    let encoded = try original.withUnsafeBytes {
                        try ImageEncoder.encode($0, width: width, height: height, as: format, quality: 100)
                    }
                    let arena = PlaintextArena()
                    let image = try ImageDecoder.decode(encoded, arena: arena)
                    let exact = image.width == width && image.pixelArray == original
                    return exact && arena.wipeAll().verified
                }
            }
            for try await exact in group {
                #expect(exact)
            }
        }
    }
}
