import LetheMemory

/// An image plane: `width × height` elements of one type, row after row, in an arena buffer the
/// plane owns — the owner, the size and the element type together, as OpenCV's `Mat` and libvips'
/// regions keep them, instead of a closure per buffer around every loop. Loops read and write
/// `pixels`, valid until `release(to:)` wipes the buffer (an arena buffer's mapping never moves
/// while it lives; `pixels` after the wipe stops the process).
///
/// A ring of rows (a box filter's scratch) is a plane of a few rows; a plane may lend its bytes
/// to another element type while its own values are not needed (`borrowed(as:)`). Several planes
/// of one size that live and die together (a planar colour image: L*, a*, b*, the erythema
/// index) are one plane of several `layers`, one after the other in its buffer.
struct Plane<Element>: Sendable {
    let width: Int, height: Int
    /// Planes of `width × height` in the buffer, one after the other (1 for a plain plane).
    let layers: Int
    /// The owner of the elements: wiped and read back by `release(to:)`.
    let buffer: SecureBuffer

    /// `layers` planes of `width × height` elements in a new `bufferClass` buffer of `arena`
    /// (zeroed); `.analysisAllocationFailed` naming `what` when the arena refuses it.
    init(
        width: Int, height: Int, layers: Int = 1, what: String, bufferClass: BufferClass = .intermediate, arena: PlaintextArena
    ) throws(LetheError) {
        do { buffer = try arena.allocate(count: layers * width * height * MemoryLayout<Element>.stride, bufferClass: bufferClass) } catch {
            throw .analysisAllocationFailed(error, what)
        }
        self.width = width
        self.height = height
        self.layers = layers
    }

    /// Elements of one layer.
    var count: Int { width * height }

    /// Every layer's elements, layer `k` from `k × count`.
    var pixels: UnsafeMutableBufferPointer<Element> {
        UnsafeMutableBufferPointer(rebasing: buffer.elements(as: Element.self)[0..<(layers * count)])
    }

    /// Layer `k`'s elements.
    func layer(_ k: Int) -> UnsafeMutableBufferPointer<Element> {
        precondition(k >= 0 && k < layers, "layer \(k) of a plane of \(layers)")
        return UnsafeMutableBufferPointer(rebasing: buffer.elements(as: Element.self)[(k * count)..<((k + 1) * count)])
    }

    /// The plane's bytes as elements of `T` (as many as fit), for a use that no longer needs its
    /// own values (a flood fill's queue, a trace's flags).
    func borrowed<T>(as type: T.Type) -> UnsafeMutableBufferPointer<T> { buffer.elements(as: T.self) }

    func release(to arena: PlaintextArena) { arena.release(buffer) }
}

extension Sequence {
    /// Releases every plane (`Plane.release(to:)`).
    func release<Value>(to arena: PlaintextArena) where Element == Plane<Value> {
        for plane in self { plane.release(to: arena) }
    }
}
