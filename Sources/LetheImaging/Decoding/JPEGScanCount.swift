import LetheMemory

/// Counts the scans (SOS segments) of a JPEG before libjpeg sees it.
///
/// libjpeg walks every block of the image again for each scan of a progressive JPEG, and it only
/// warns about a bogus progression (ITU-T T.81 §G.1.1.1.1), so a small file that repeats a tiny
/// scan thousands of times keeps a core busy for a minute. Real encoders write at most a few
/// dozen scans (libjpeg's default progression has 10, mozjpeg's about 20); the decoder refuses
/// more than `DecodeLimits.maxJPEGScans` before decoding a pixel.
///
/// The count must never be below what libjpeg will decode, so it finds markers exactly as
/// libjpeg(-turbo 2.1, `jdmarker.c`) does, including where libjpeg only warns:
/// - `next_marker`: bytes before an `FF` are skipped as garbage (a warning, not an error), then
///   any number of fill `FF`s; `FF 00` is skipped as stuffed data; anything else is a marker.
/// - Entropy-coded data ends at the same kind of marker (`jdhuff.c` `jpeg_fill_bit_buffer`:
///   `FF FF… 00` is a data byte, `FF FF… X` a marker), and whatever of it the decoder leaves is
///   then skipped by `next_marker`: so scanning on from the SOS header with `next_marker`'s rule
///   meets every marker libjpeg meets. RSTn markers there are parameterless.
/// - Segments with a length (`skip_variable`, `save_marker`, `get_interesting_appn`, and the
///   table readers, which refuse a length they do not consume exactly) resume right after
///   `length` bytes; a length below 2 skips nothing past the length field.
/// - Only EOI ends the count. Markers that read_markers refuses (reserved `02`–`BF`, a second
///   SOI) are counted past as parameterless, which is what `jpeg_resync_to_restart` does with
///   `02`–`BF` inside a scan with restarts: over-counting can only refuse a crafted file.
enum JPEGScanCount {
    /// The number of SOS markers libjpeg would process before EOI, counted up to `limit + 1`
    /// (counting stops once `limit` is exceeded). Zero when the data does not start with SOI,
    /// which libjpeg refuses (`first_marker`).
    static func scans(in bytes: UnsafeRawBufferPointer, stoppingAfter limit: Int) -> Int {
        guard bytes.count >= 2, bytes[0] == 0xFF, bytes[1] == 0xD8 else { return 0 }
        var scans = 0
        var index = 2  // after SOI
        while scans <= limit, let (marker, next) = nextMarker(in: bytes, from: index) {
            index = next
            switch marker {
            case 0xD9:  // EOI: libjpeg reads no further.
                return scans
            case 0x01...0xBF, 0xD0...0xD8:  // TEM, reserved, RSTn, SOI: no length (T.81 §B.1.1.3)
                continue
            default:
                guard index + 1 < bytes.count else { return scans }
                let length = Int(bytes[index]) << 8 | Int(bytes[index + 1])
                // At most 65,535 past an index within the buffer: cannot overflow.
                index += 2 + max(0, length - 2)
                if marker == 0xDA { scans += 1 }
            }
        }
        return scans
    }

    /// libjpeg's `next_marker`: the marker code found from `start` and the index just past it, or
    /// nil at the end of the data (where libjpeg's source inserts EOI).
    static func nextMarker(in bytes: UnsafeRawBufferPointer, from start: Int) -> (marker: UInt8, next: Int)? {
        var index = start
        while index < bytes.count {
            // Garbage (or entropy-coded data) up to an FF.
            index = bytes.firstOffset(of: 0xFF, in: index..<bytes.count) ?? bytes.count
            // The FF and any fill FFs after it.
            while index < bytes.count, bytes[index] == 0xFF { index += 1 }
            guard index < bytes.count else { return nil }
            let code = bytes[index]
            index += 1
            if code != 0x00 { return (code, index) }
            // FF 00: stuffed data, not a marker.
        }
        return nil
    }
}
