import LetheAPI

/// The EXIF orientation of a stored image (JEITA CP-3451 Exif 2.3 §4.6.4, tag 0x0112; TIFF 6.0
/// §8) and the transform that shows it upright, applied by the decoder's strip pull to each strip
/// as it arrives. A sequential load never holds the stored image whole, which libvips' `autorot`
/// (random access) would need: with it, a phone's portrait photo (orientation 6) was decoded whole
/// into libvips' own memory by its threads and then turned into the arena, two passes and a second
/// copy of the pixels outside the arena.
///
/// Stored pixel (x, y) of a stored W × H image shows at, for each value:
/// 1 (x, y); 2 (W−1−x, y); 3 (W−1−x, H−1−y); 4 (x, H−1−y); 5 (y, x); 6 (H−1−y, x);
/// 7 (H−1−y, W−1−x); 8 (y, W−1−x) — 5 to 8 swap the axes.
struct Orientation: Equatable {
    let value: Int

    /// libvips' reading of the tag; a value outside 1…8 is shown as stored, as libvips does.
    init(_ exif: Int32) { value = (1...8).contains(exif) ? Int(exif) : 1 }

    static let upright = Orientation(1)

    var swapsAxes: Bool { value >= 5 }
    private var mirrorsStoredColumns: Bool { [2, 3, 7, 8].contains(value) }
    private var mirrorsStoredRows: Bool { [3, 4, 6, 7].contains(value) }

    /// The shown size of a stored `width × height` image.
    func shownSize(width: Int, height: Int) -> (width: Int, height: Int) {
        swapsAxes ? (height, width) : (width, height)
    }

    /// The stored rectangle of a stored `storedWidth × storedHeight` image that shows as `rect`.
    func storedRect(showing rect: PixelRect, storedWidth: Int, storedHeight: Int) -> PixelRect {
        // Along each stored axis: the shown span it maps to, mirrored when the axis is.
        let (xSpan, ySpan) = swapsAxes ? ((rect.y, rect.height), (rect.x, rect.width)) : ((rect.x, rect.width), (rect.y, rect.height))
        let x = mirrorsStoredColumns ? storedWidth - xSpan.0 - xSpan.1 : xSpan.0
        let y = mirrorsStoredRows ? storedHeight - ySpan.0 - ySpan.1 : ySpan.0
        return PixelRect(x: x, y: y, width: xSpan.1, height: ySpan.1)
    }

    /// Places stored rows `top ..< top + rows` of a stored `width × height` image of 3-byte
    /// pixels, given as `strip` (row-major, `width` pixels a row), at their shown positions in
    /// `shown` (the shown image, row-major). Each row of a transposing orientation is walked
    /// column by column with the strip's rows innermost, so that the writes run along shown rows.
    func place(
        strip: UnsafePointer<UInt8>, rows: Int, top: Int, width: Int, height: Int, into shown: UnsafeMutablePointer<UInt8>
    ) {
        if !swapsAxes {
            for k in 0..<rows {
                let storedY = top + k
                let shownY = mirrorsStoredRows ? height - 1 - storedY : storedY
                let source = strip + k * width * 3, target = shown + shownY * width * 3
                if !mirrorsStoredColumns {
                    target.update(from: source, count: width * 3)
                    continue
                }
                for x in 0..<width {
                    let from = source + x * 3, to = target + (width - 1 - x) * 3
                    to[0] = from[0]; to[1] = from[1]; to[2] = from[2]
                }
            }
            return
        }
        // Shown size height × width: stored column x is shown row x (or width − 1 − x), stored row
        // y shown column y (or height − 1 − y).
        let shownWidth = height
        for x in 0..<width {
            let shownY = mirrorsStoredColumns ? width - 1 - x : x
            let row = shown + shownY * shownWidth * 3
            for k in 0..<rows {
                let storedY = top + k
                let shownX = mirrorsStoredRows ? height - 1 - storedY : storedY
                let from = strip + (k * width + x) * 3, to = row + shownX * 3
                to[0] = from[0]; to[1] = from[1]; to[2] = from[2]
            }
        }
    }
}
