import Foundation
import LetheAPI
import LetheAnalysis
import LetheMemory
import Testing

/// `white_hair_count` and `hair_types` are optional: results from before them decode, sessions add them up.
@Suite("Scalp result fields")
struct ScalpResultTests {
    static func result(seed: UInt64) throws -> ScalpAnalysisResult {
        var truth = TrichoscopyImage(seed: seed, variation: .init(lightUnitShare: 0.5))
        let arena = PlaintextArena()
        defer { _ = arena.wipeAll() }
        let image = try truth.render(seed: seed, arena: arena)
        return try ScalpAnalyzer.analyze(
            image, millimetresPerPixel: truth.millimetresPerPixel, configuration: SkinAnalysisConfiguration(minLaplacianVariance: 0), arena: arena)
    }

    @Test("white_hair_count is encoded, absent in an older result it decodes as nil, and a session adds it up")
    func whiteHairCount() throws {
        let first = try Self.result(seed: 11), second = try Self.result(seed: 12)
        let white = try #require(first.whiteHairCount)
        #expect(white > 0)
        let json = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(first)) as? [String: Any])
        #expect(json["white_hair_count"] as? Int == white)
        var older = json
        older["white_hair_count"] = nil
        let decoded = try JSONDecoder().decode(ScalpAnalysisResult.self, from: JSONSerialization.data(withJSONObject: older))
        #expect(decoded.whiteHairCount == nil && decoded.hairCount == first.hairCount)

        let session = try #require(SessionCombination.combine([first, second]))
        #expect(session.whiteHairCount == white + (second.whiteHairCount ?? -1000))
        #expect(SessionCombination.combine([first, decoded])?.whiteHairCount == nil)
    }

    @Test("hair_types (vellus < 30 µm, terminal) add up to hair_count, decode as nil when absent, and a session adds them up")
    func hairTypes() throws {
        let first = try Self.result(seed: 11), second = try Self.result(seed: 12)
        let types = try #require(first.hairTypes)
        #expect(types.vellus + types.terminal == first.hairCount)
        let json = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(first)) as? [String: Any])
        let encoded = try #require(json["hair_types"] as? [String: Int])
        #expect(encoded == ["vellus": types.vellus, "terminal": types.terminal])
        var older = json
        older["hair_types"] = nil
        let decoded = try JSONDecoder().decode(ScalpAnalysisResult.self, from: JSONSerialization.data(withJSONObject: older))
        #expect(decoded.hairTypes == nil)
        let session = try #require(SessionCombination.combine([first, second]))
        #expect(session.hairTypes?.terminal == types.terminal + (second.hairTypes?.terminal ?? -1000))
        #expect(session.hairTypes.map { $0.vellus + $0.terminal } == session.hairCount)
        #expect(SessionCombination.combine([first, decoded])?.hairTypes == nil)
    }
}
