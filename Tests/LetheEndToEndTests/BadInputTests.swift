import Foundation
import LetheAPI
import LetheEnvelope
import LetheLedger
import Testing

/// One hostile or broken request, how to send it, and the code it must get.
struct BadInput: Sendable, CustomTestStringConvertible {
    let name: String
    let status: Int
    let code: String
    /// False for refusals of the envelope itself: nothing was decrypted, nothing to wipe.
    var heldPlaintext = true
    let send: @Sendable (WorkerHarness.Session) async throws -> (status: Int, code: String)

    var testDescription: String { name }

    /// Sends a well-formed envelope around `inner` and reads the inner error.
    static func inner(_ name: String, _ status: Int, _ code: String, _ inner: @escaping @Sendable (WorkerHarness.Session) -> Data) -> BadInput {
        BadInput(name: name, status: status, code: code) { session in
            let (head, content) = try await session.client.send(inner(session), to: try await session.x25519Config())
            return (head.status, try JSONDecoder().decode(ErrorResponse.self, from: content).error.code)
        }
    }

    /// Posts a (possibly broken) envelope and reads the outer problem document.
    static func outer(
        _ name: String, _ status: Int, _ code: String, contentType: String = "message/ohttp-req",
        _ envelope: @escaping @Sendable (WorkerHarness.Session) async throws -> Data
    ) -> BadInput {
        BadInput(name: name, status: status, code: code, heldPlaintext: false) { session in
            let (status, body) = try await session.postEnvelope(try await envelope(session), contentType: contentType)
            let problem = try JSONSerialization.jsonObject(with: body) as? [String: Any]
            return (status, problem?["code"] as? String ?? "")
        }
    }

    /// A valid encapsulation of a valid analysis request, to be broken by the caller.
    static func validEnvelope(_ session: WorkerHarness.Session, keyID: UInt8? = nil) async throws -> Data {
        var config = try await session.x25519Config()
        if let keyID { config = OHTTPKeyConfig(keyID: keyID, kemID: config.kemID, publicKey: config.publicKey, suites: config.suites) }
        return try OHTTPClient(keyConfig: config).encapsulate(session.innerRequest(photo: TestPhotos.portrait)).encapsulatedRequest
    }

    static func flippingBit(at index: (Data) -> Int, of data: Data) -> Data {
        var copy = data
        copy[index(copy)] ^= 0x01
        return copy
    }

    static let all: [BadInput] = [
        outer("unknown key id", 400, "unknown_key_id") { try await validEnvelope($0, keyID: 200) },
        outer("tampered ciphertext", 400, "decryption_failed") { flippingBit(at: { $0.count - 1 }, of: try await validEnvelope($0)) },
        outer("bit-flipped encapsulated key", 400, "decryption_failed") { flippingBit(at: { _ in 12 }, of: try await validEnvelope($0)) },
        outer("truncated envelope", 400, "malformed_envelope") { try await validEnvelope($0).prefix(20) },
        outer("not an OHTTP media type", 415, "unsupported_envelope_media_type", contentType: "image/png") { _ in TestPhotos.portrait },
        inner("malformed BHTTP", 400, "malformed_bhttp") { _ in Data([0x00, 0x40, 0xFF, 0x01]) },
        inner("missing token", 401, "missing_token") { $0.innerRequest(photo: TestPhotos.portrait, authorization: .none) },
        inner("wrong token", 401, "invalid_token") { $0.innerRequest(photo: TestPhotos.portrait, authorization: .bearer("not-a-device")) },
        inner("unknown kind", 400, "unknown_kind") { $0.innerRequest(photo: TestPhotos.portrait, kind: "teeth") },
        inner("empty body", 400, "empty_body") { $0.innerRequest(photo: Data()) },
        inner("non-image bytes", 415, "unsupported_media_type") { $0.innerRequest(photo: Data("%PDF-1.7 not a photo".utf8)) },
        inner("truncated JPEG", 422, "image_corrupt") { $0.innerRequest(photo: TestPhotos.portraitJPEG.prefix(TestPhotos.portraitJPEG.count / 2)) },
        inner("PNG declaring 60000×60000", 413, "image_too_large") { $0.innerRequest(photo: TestPhotos.pngDeclaring(width: 60000, height: 60000)) },
        inner("body over the byte limit", 413, "payload_too_large") { $0.innerRequest(photo: Data(repeating: 0xAB, count: BadInputTests.byteLimit + 1)) },
        inner("face photo without a face", 422, "face_not_found") { $0.innerRequest(photo: TestPhotos.faceless, kind: "face") },
        inner("black-and-white face photo", 422, "image_greyscale") { $0.innerRequest(photo: TestPhotos.portraitGreyscale, kind: "face") },
        inner("face photo saved at JPEG quality 15", 422, "image_too_compressed") { $0.innerRequest(photo: TestPhotos.portraitJPEG(quality: 15), kind: "face") },
        inner("scalp without a scale", 400, "scale_required") { $0.innerRequest(photo: TestPhotos.portrait, kind: "scalp") },
        inner("unparsable mm_per_pixel", 400, "invalid_parameter") { $0.innerRequest(photo: TestPhotos.portrait, kind: "scalp&mm_per_pixel=-1") },
        inner("unknown device profile", 400, "unknown_profile") { $0.innerRequest(photo: TestPhotos.portrait, kind: "scalp&profile=no-such-device") },
        inner("profile for another kind", 400, "profile_kind_mismatch") { $0.innerRequest(photo: TestPhotos.portrait, kind: "scalp&profile=face-camera") },
    ]
}

@Suite("Bad input: a stable code, a deletion record (or a count, when nothing was decrypted), and the worker stays up")
struct BadInputTests {
    /// The byte limit of the worker under test: above the fixture portrait, small enough to exceed cheaply.
    static let byteLimit = 1 << 20

    @Test(arguments: BadInput.all)
    func refused(_ input: BadInput) async throws {
        try await WorkerHarness(maxBytes: Self.byteLimit).run { session in
            let observed = try await input.send(session)
            #expect(observed.code == input.code)
            #expect(observed.status == input.status)

            let entries = try session.ledgerEntries()
            if input.heldPlaintext {
                #expect(entries.count == 1)
                let entry = try #require(entries.last)
                #expect(entry.outcome == "error")
                #expect(entry.errorCode == input.code)
                #expect(entry.wipeVerified)
            } else {
                // Nothing was decrypted: no record to write (and fsync) per request, a count in the period's summary.
                #expect(entries.isEmpty)
                #expect(try await session.publishedRefusals(reaching: [input.code: 1]) == [input.code: 1])
            }

            // The worker is still up and still analyses.
            let response = try await session.client.analyze(photo: TestPhotos.portrait)
            #expect(response.image.width == 512)
            #expect(try session.ledgerEntries().count == (input.heldPlaintext ? 2 : 1))
        }
    }
}
