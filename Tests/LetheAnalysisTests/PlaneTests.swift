import Foundation
import LetheMemory
import Testing
@testable import LetheAnalysis

/// `Plane`: the analysis' image planes, each one owner (an arena buffer) with its size and type.
@Suite("Image planes owned by the arena")
struct PlaneTests {
    @Test("a plane is width × height zeroed elements of its type, row after row, in one arena buffer")
    func layout() throws {
        let arena = PlaintextArena()
        defer { _ = arena.wipeAll() }
        let plane = try Plane<Float>(width: 7, height: 5, what: "a test plane", arena: arena)
        #expect(plane.count == 35 && plane.pixels.count == 35)
        #expect(plane.buffer.count == 35 * MemoryLayout<Float>.stride && arena.bytesHeld == plane.buffer.count)
        #expect(plane.pixels.allSatisfy { $0 == 0 })
        // Pixel (3, 2) is element 2 × 7 + 3 of the buffer's bytes.
        plane.pixels[2 * 7 + 3] = 1.5
        let stored = plane.buffer.withUnsafeBytes { $0.load(fromByteOffset: (2 * 7 + 3) * MemoryLayout<Float>.stride, as: Float.self) }
        #expect(stored == 1.5)
        // Lent as bytes (a trace's flags, a fill's queue): the same memory.
        #expect(plane.borrowed(as: UInt8.self).count == plane.buffer.count)
        plane.borrowed(as: UInt8.self).update(repeating: 0)
        #expect(plane.pixels[2 * 7 + 3] == 0)
    }

    @Test("a plane of layers is one buffer: layer k is elements k × width × height onward, and pixels span every layer")
    func layers() throws {
        let arena = PlaintextArena()
        defer { _ = arena.wipeAll() }
        let plane = try Plane<Float>(width: 4, height: 3, layers: 3, what: "a test plane", arena: arena)
        #expect(plane.count == 12 && plane.pixels.count == 36 && arena.bytesHeld == 36 * MemoryLayout<Float>.stride)
        for k in 0..<3 { plane.layer(k).update(repeating: Float(k + 1)) }
        #expect(plane.layer(1).count == 12)
        #expect(plane.pixels[11] == 1 && plane.pixels[12] == 2 && plane.pixels[23] == 2 && plane.pixels[24] == 3)
        plane.layer(2)[5] = -1
        #expect(plane.pixels[2 * 12 + 5] == -1)
    }

    /// An exit test: a layer past the plane's is not someone else's memory.
    @Test("a layer beyond the plane's stops the process")
    func layerBeyondStops() async {
        await #expect(processExitsWith: .failure) {
            let arena = PlaintextArena()
            guard let plane = try? Plane<Float>(width: 8, height: 8, layers: 2, what: "a test plane", arena: arena) else { exit(0) }
            _ = plane.layer(2)
        }
    }

    @Test("released, every plane's buffer is wiped and verified, and the arena holds nothing of it")
    func releasedPlanesAreWiped() throws {
        let arena = PlaintextArena()
        let planes = [try Plane<UInt8>(width: 64, height: 64, what: "a test plane", arena: arena), try Plane<UInt8>(width: 3, height: 9, what: "a test plane", arena: arena)]
        for plane in planes { plane.pixels.update(repeating: 0xAB) }
        planes.release(to: arena)
        #expect(planes.allSatisfy { $0.buffer.isWiped } && arena.bytesHeld == 0)
        let report = arena.wipeAll()
        #expect(report.bufferCount == 2 && report.verified)
    }

    @Test("a plane the arena refuses is analysis_unavailable, naming what it was for")
    func refusedPlane() {
        let arena = PlaintextArena()
        _ = arena.wipeAll()
        #expect {
            _ = try Plane<Float>(width: 4, height: 4, what: "the test plane", arena: arena)
        } throws: { error in
            guard let error = error as? LetheError else { return false }
            return error.code == .analysisUnavailable && error.message.contains("the test plane")
        }
    }

    /// In a process of its own (an exit test): reading a wiped plane stops the process rather
    /// than handing out memory that another buffer may hold by then.
    @Test("its pixels after the release stop the process")
    func pixelsAfterReleaseStop() async {
        await #expect(processExitsWith: .failure) {
            let arena = PlaintextArena()
            guard let plane = try? Plane<Float>(width: 8, height: 8, what: "a test plane", arena: arena) else { exit(0) }
            plane.release(to: arena)
            _ = plane.pixels
        }
    }
}
