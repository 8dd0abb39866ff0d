import LetheAPI
import LetheMemory

/// A photo as an analysis that needs full resolution only inside one rectangle reads it: the whole
/// frame reduced (`overview`), on which the rectangle is found, and the full resolution of that
/// rectangle on demand (`window(_:)`). From `ImageDecoder.decodeReduced`, a large JPEG is never
/// decoded whole at full resolution: its overview is scaled in the decoder and its window decoded
/// again from the file, keeping only the window's rows and columns — unless a second core decodes
/// it whole beside the overview (`whole`), which then is every window. A photo already decoded
/// whole (`init(whole:)`) is its own overview and windows (reduction 1).
///
/// Coordinates: overview pixel (i, j) covers photo pixels [i·r, (i + 1)·r) × [j·r, (j + 1)·r) for
/// the reduction r, so a position in the overview times r is the same position in the photo.
public struct ReducedPhoto {
    /// The whole frame, reduced by `reduction`; its pixels are the caller's to release.
    public let overview: DecodedImage
    /// Photo pixels per overview pixel along each axis: 1, 2, 4 or 8.
    public let reduction: Int
    /// The photo's full-resolution size.
    public let width: Int, height: Int
    /// A reduced photo's full resolution, decoding whole beside the overview on a helper thread
    /// (`ImageDecoder.decodeReduced`), or nil; its result nil when that decode failed. Joined by the
    /// first window, `release(_:)` or `windowsRead()`, which need it or the bytes it reads done.
    let whole: RequestThreads.Pending<DecodedImage?>?
    private let decodeWindow: (PixelRect) throws(LetheError) -> DecodedImage
    /// Called by `windowsRead()`: the caller's way to let go of the file's bytes (`readingWindowsDone(_:)`).
    private var afterWindows: (() -> Void)? = nil

    init(
        overview: DecodedImage, reduction: Int, width: Int, height: Int, whole: RequestThreads.Pending<DecodedImage?>? = nil,
        decodeWindow: @escaping (PixelRect) throws(LetheError) -> DecodedImage
    ) {
        self.overview = overview
        self.reduction = reduction
        self.width = width
        self.height = height
        self.whole = whole
        self.decodeWindow = decodeWindow
    }

    /// A photo decoded whole: its own overview, and every window a view of it.
    public init(whole image: DecodedImage) {
        self.init(overview: image, reduction: 1, width: image.width, height: image.height) { _ throws(LetheError) in image }
    }

    /// The full resolution of `rect` (photo pixels, inside the photo), in an image that holds at
    /// least `rect`: when the photo is reduced, a new arena buffer the caller releases, or the
    /// full resolution decoded beside the overview (every window the same buffer: released once,
    /// after the last window is read; `release(_:)` releases it too); when not, the overview itself
    /// (not to be released separately).
    /// - Throws: the decoder's codes (the file is decoded again).
    public func window(_ rect: PixelRect) throws(LetheError) -> DecodedImage {
        if let image = whole?.join() { return image }
        return try decodeWindow(rect)
    }

    /// Wipes the overview and the full resolution decoded beside it, once decoded (a buffer
    /// already released is nothing).
    public func release(_ arena: PlaintextArena) {
        arena.release(overview.pixels)
        if let image = whole?.join() { arena.release(image.pixels) }
    }

    /// The same photo, calling `body` once its reader says no window will be read any more
    /// (`windowsRead()`): the file's bytes may go then.
    public func readingWindowsDone(_ body: @escaping () -> Void) -> ReducedPhoto {
        var photo = self
        photo.afterWindows = body
        return photo
    }

    /// Tells the photo that its reader reads no more windows (every pixel it needs is decoded):
    /// the decode beside the overview, which reads the bytes, has ended.
    public func windowsRead() {
        _ = whole?.join()
        afterWindows?()
    }

    /// Whether the file's bytes are read after the overview: a reduced photo's windows decode
    /// them again, or its whole decodes beside the overview (`windowsRead()` says when they are done).
    public var windowsReadBytes: Bool { isReduced }

    /// Whether `window(_:)` decodes (and the window is the caller's) rather than viewing the overview.
    public var isReduced: Bool { reduction > 1 }
}
