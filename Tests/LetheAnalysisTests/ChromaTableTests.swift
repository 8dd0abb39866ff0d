@testable import LetheAnalysis
import Testing

@Suite("Skin rule from tables")
struct ChromaTableTests {
    /// The quality gate's table form of the rule must decide every 8-bit colour as `SkinMask` does,
    /// with the same luma (the gate's exposure and clipping figures come from it).
    @Test("every 8-bit colour: same luma, same skin decision as SkinMask")
    func everyColourAgrees() {
        let chroma = ChromaTable.packed, luma = ChromaTable.luma
        var disagreements = 0, lumaMismatches = 0, skin = 0
        for r in 0..<256 {
            for g in 0..<256 {
                for b in 0..<256 {
                    let scaledLuma = luma[r] + luma[256 + g] + luma[512 + b]
                    let expectedLuma = SkinMask.scaledLuma(Int32(r), Int32(g), Int32(b))
                    if scaledLuma != expectedLuma { lumaMismatches += 1 }
                    let fromTables = ChromaTable.isSkin(chroma[r] &+ chroma[256 + g] &+ chroma[512 + b], scaledLuma: scaledLuma)
                    let expected = SkinMask.isSkin(Int32(r), Int32(g), Int32(b), scaledLuma: expectedLuma)
                    if fromTables != expected { disagreements += 1 }
                    if expected { skin += 1 }
                }
            }
        }
        #expect(lumaMismatches == 0)
        #expect(disagreements == 0)
        // The rule does accept a real share of the cube (so the comparison covers both answers).
        #expect(skin > 100_000)
    }
}
