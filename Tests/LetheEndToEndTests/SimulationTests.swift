import Foundation
import LetheAPI
import LetheClient
import LetheImaging
import LetheLedger
import LetheMemory
import Testing

/// Simulations through the encrypted API: images base64 in the JSON result, output control,
/// stable codes for bad values, and rendering bytes in the deletion record.
@Suite("Simulations end to end")
struct SimulationEndToEndTests {
    /// Decodes a returned image with the worker's own decoder (the format is sniffed from its bytes).
    static func decode(_ image: SimulationImage) throws -> (width: Int, height: Int, format: ImageFormat) {
        let arena = PlaintextArena()
        defer { _ = arena.wipeAll() }
        let decoded = try image.data.withUnsafeBytes { try ImageDecoder.decode($0, limits: DecodeLimits(), arena: arena) }
        return (decoded.width, decoded.height, decoded.format)
    }

    @Test("face with every concern: preview, overlay and masks decode at the requested size and format; rendering bytes are recorded")
    func faceSimulation() async throws {
        try await WorkerHarness().run { session in
            var client = session.client
            client.simulation = SimulationOptions(
                concerns: ["spots", "redness", "pores", "wrinkles", "evenness"], strength: 0.7, strengths: ["redness": 1],
                maxDimension: 256, format: "webp", quality: 80)
            let response = try await client.analyze(photo: TestPhotos.portrait, kind: "face")
            #expect(response.face != nil)
            let preview = try #require(response.preview)
            #expect(preview.mediaType == "image/webp" && preview.width == 256 && preview.height == 256)
            let decoded = try Self.decode(preview)
            #expect(decoded.width == 256 && decoded.height == 256 && decoded.format == .webp)
            let overlay = try #require(response.overlay)
            let overlayFormat = try Self.decode(overlay).format
            #expect(overlayFormat == .webp)
            let masks = try #require(response.masks)
            #expect(Set(masks.keys) == ["spots", "redness", "pores", "wrinkles"])
            for (concern, mask) in masks {
                #expect(mask.image.mediaType == "image/png", "\(concern)")
                let maskFormat = try Self.decode(mask.image).format
                #expect(maskFormat == .png)
                #expect((0...1).contains(mask.pixelFraction))
            }
            // A mask is what its measure counted: on the portrait (0.19 mm per pixel) lines, spots
            // and pores are not measurable, so their masks are empty; the red area is measured.
            let concerns = try #require(response.measures?.concerns)
            #expect(concerns.wrinkles.lineCount == nil && concerns.spots.count == nil && concerns.pores.count == nil)
            for concern in ["wrinkles", "spots", "pores"] { #expect(masks[concern]?.pixelFraction == 0, "\(concern)") }
            #expect((masks["redness"]?.pixelFraction ?? 0) > 0)
            let summary = try #require(response.simulation)
            #expect(summary.strengths == ["spots": 0.7, "redness": 1, "pores": 0.7, "wrinkles": 0.7, "evenness": 0.7])
            #expect(summary.legend["redness"] == "#e6194b" && summary.legend["evenness"] == nil)
            #expect(summary.format == "webp" && summary.quality == 80 && summary.width == 256)

            // The stage is timed, once.
            let metrics = try await OperationsTests.get(session.adminURL.appendingPathComponent("metrics")).body
            #expect(OperationsTests.sample(metrics, #"lethe_stage_duration_seconds_count{stage="simulate"}"#) == 1)

            let entries = try session.ledgerEntries()
            #expect(entries.count == 1)
            let entry = try #require(entries.first)
            #expect(entry.outcome == "ok" && entry.wipeVerified)
            // Every rendering (planes, masks, encoded files) is counted; the response holds the base64 too.
            #expect((entry.bytesWiped["rendering"] ?? 0) > 256 * 256 * 3 * 3)
            #expect((entry.bytesWiped["response"] ?? 0) > preview.data.count * 4 / 3)
        }
    }

    @Test("defaults: JPEG at the photo's size (under 1024); sessions render their first photo; scalp gives hair and flake masks and no preview")
    func defaultsAndScalp() async throws {
        try await WorkerHarness().run { session in
            var client = session.client
            client.simulation = SimulationOptions(concerns: ["redness"])
            let skin = try await client.analyze(photo: TestPhotos.faceless, kind: "skin")
            let preview = try #require(skin.preview)
            #expect(preview.mediaType == "image/jpeg" && preview.width == 384)
            let previewFormat = try Self.decode(preview).format
            #expect(previewFormat == .jpeg)
            #expect(skin.simulation?.strengths == ["redness": 0.5] && skin.simulation?.quality == 85)

            // A session: rendered for its first photo.
            let session2 = try await client.analyzeSession(photos: [("first", TestPhotos.faceless), ("second", TestPhotos.portrait)])
            #expect(session2.photos?.count == 2 && session2.preview?.width == 384)

            client.analysisParameters = ["profile": "trichoscope-20x"]
            client.simulation = SimulationOptions(concerns: ["hair", "flakes"], format: "png")
            let scalp = try await client.analyze(photo: TestPhotos.portrait, kind: "scalp")
            #expect(scalp.preview == nil && scalp.overlay != nil)
            #expect(Set(scalp.masks?.keys.map { $0 } ?? []) == ["hair", "flakes"])
            let entries = try session.ledgerEntries()
            #expect(entries.count == 3 && entries.allSatisfy { $0.outcome == "ok" && $0.wipeVerified && ($0.bytesWiped["rendering"] ?? 0) > 0 })
        }
    }

    @Test("bad simulation values get their stable code over the API, each with one verified deletion record")
    func badValues() async throws {
        let cases: [([String: String], String, String)] = [
            (["simulate": "moles"], "skin", "unknown_concern"),
            (["simulate": "hair"], "face", "concern_kind_mismatch"),
            (["simulate": "spots", "strength": "2"], "skin", "invalid_strength"),
            (["simulate": "spots", "strength.redness": "x"], "skin", "invalid_strength"),
            (["simulate": "spots", "max_dimension": "100000"], "skin", "invalid_output_dimension"),
            (["simulate": "spots", "format": "tiff"], "skin", "unsupported_output_format"),
            (["simulate": "spots", "quality": "101"], "skin", "invalid_output_quality"),
            (["format": "png"], "skin", "simulate_required"),
        ]
        try await WorkerHarness().run { session in
            for (parameters, kind, code) in cases {
                var client = session.client
                client.analysisParameters = parameters
                do {
                    _ = try await client.analyze(photo: TestPhotos.portrait, kind: kind)
                    Issue.record("\(parameters) was accepted")
                } catch let error as LetheClientError {
                    #expect(error.code == code && error.status == 400, "\(parameters): \(error)")
                }
            }
            let entries = try session.ledgerEntries()
            #expect(entries.map(\.errorCode) == cases.map(\.2))
            let verified = entries.allSatisfy { $0.wipeVerified }
            #expect(verified)
        }
    }
}
