import LetheAnalysis
import LetheMemory
@testable import LetheServer
import Testing

/// The simulation part of an analysis request's query, read by the server.
@Suite("Simulation query")
struct SimulationQueryTests {
    @Test("request parsing: defaults, per-concern strengths, output control")
    func parsing() throws {
        let request = try #require(try SimulationQuery.parse(
            [("simulate", "spots,redness"), ("strength", "0.7"), ("strength.redness", "0.2"), ("max_dimension", "640"), ("format", "webp"), ("quality", "90")],
            kind: .face))
        #expect(request.concerns == [.spots, .redness])
        #expect(request.strength(of: .spots) == 0.7 && request.strength(of: .redness) == 0.2 && request.strength(of: .pores) == 0)
        #expect(request.output == SimulationOutput(maxDimension: 640, format: .webp, quality: 90))
        let defaults = try #require(try SimulationQuery.parse([("simulate", "hair")], kind: .scalp))
        #expect(defaults.output == SimulationOutput() && defaults.strength(of: .hair) == SimulationRequest.defaultStrength)
        #expect(try SimulationQuery.parse([("kind", "skin")], kind: .skin) == nil)
    }

    @Test("bad simulation values get stable codes", arguments: [
        ([("simulate", "wrinkels")], "unknown_concern"),
        ([("simulate", "")], "unknown_concern"),
        ([("simulate", "hair")], "concern_kind_mismatch"),
        ([("simulate", "spots"), ("strength", "1.5")], "invalid_strength"),
        ([("simulate", "spots"), ("strength.spots", "-0.1")], "invalid_strength"),
        ([("simulate", "spots"), ("strength.moles", "0.5")], "unknown_concern"),
        ([("simulate", "spots"), ("strength", "nan")], "invalid_strength"),
        ([("simulate", "spots"), ("max_dimension", "10")], "invalid_output_dimension"),
        ([("simulate", "spots"), ("max_dimension", "4096")], "invalid_output_dimension"),
        ([("simulate", "spots"), ("format", "heif")], "unsupported_output_format"),
        ([("simulate", "spots"), ("format", "gif")], "unsupported_output_format"),
        ([("simulate", "spots"), ("quality", "0")], "invalid_output_quality"),
        ([("strength", "0.5")], "simulate_required"),
    ])
    func badValues(query: [(String, String)], code: String) {
        #expect(throws: serverError(code)) {
            _ = try SimulationQuery.parse(query.map { (name: $0.0, value: $0.1) }, kind: .skin)
        }
    }
}
