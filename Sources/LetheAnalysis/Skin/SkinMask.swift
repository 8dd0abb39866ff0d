/// The colour rule that decides whether a pixel is skin.
///
/// Chai & Ngan 1999 (IEEE Trans. Circuits Syst. Video Technol. 9(4):551, "Face segmentation using
/// skin-color map"): a pixel is skin when 77 ≤ Cb ≤ 127 and 133 ≤ Cr ≤ 173, with Cb/Cr the
/// full-range YCbCr of ITU-T T.871 (JFIF). The rule ignores luma, which makes it robust to
/// illumination but lets near-black and blown-out pixels through with meaningless chroma, so we
/// add a luma window 20 ≤ Y ≤ 250 (our choice, not part of the cited rule).
///
/// Evaluated in 16.16 fixed point: the T.871 coefficients × 65536, rounded, summing to exactly 0
/// for the chroma rows and 65536 for luma, so grey pixels give Cb = Cr = 128 exactly.
enum SkinMask {
    // Y = 0.299 R + 0.587 G + 0.114 B
    static let lumaR: Int32 = 19_595, lumaG: Int32 = 38_470, lumaB: Int32 = 7_471
    // Cb − 128 = −0.168736 R − 0.331264 G + 0.5 B
    static let cbR: Int32 = -11_059, cbG: Int32 = -21_709, cbB: Int32 = 32_768
    // Cr − 128 = 0.5 R − 0.418688 G − 0.081312 B
    static let crR: Int32 = 32_768, crG: Int32 = -27_439, crB: Int32 = -5_329

    static let one: Int32 = 65_536
    static let cbMin = (77 - 128) * one, cbMax = (127 - 128) * one
    static let crMin = (133 - 128) * one, crMax = (173 - 128) * one
    static let lumaMin = 20 * one, lumaMax = 250 * one

    // The channels are 8-bit codes (0…255): every sum below stays within ±2^24, so wrapping
    // arithmetic gives the same values without an overflow check per product (they run for every
    // working pixel).

    /// Luma × 65536.
    @inline(__always)
    static func scaledLuma(_ r: Int32, _ g: Int32, _ b: Int32) -> Int32 {
        lumaR &* r &+ lumaG &* g &+ lumaB &* b
    }

    /// The rule, given luma × 65536 already computed.
    @inline(__always)
    static func isSkin(_ r: Int32, _ g: Int32, _ b: Int32, scaledLuma: Int32) -> Bool {
        let cb = cbR &* r &+ cbG &* g &+ cbB &* b
        let cr = crR &* r &+ crG &* g &+ crB &* b
        return cb >= cbMin && cb <= cbMax && cr >= crMin && cr <= crMax
            && scaledLuma >= lumaMin && scaledLuma <= lumaMax
    }

    /// Convenience for one colour (tests, documentation).
    static func isSkin(red: UInt8, green: UInt8, blue: UInt8) -> Bool {
        let r = Int32(red), g = Int32(green), b = Int32(blue)
        return isSkin(r, g, b, scaledLuma: scaledLuma(r, g, b))
    }
}
