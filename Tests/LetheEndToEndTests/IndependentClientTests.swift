import Foundation
import LetheTestSupport
import Testing

/// Interoperability: an RFC 9458 client written independently (Python, pyca/cryptography,
/// `Tests/Interop/ohttp_client.py`), first checked against RFC 9458 Appendix A, then used
/// against a real worker over loopback. It shares no code with LetheEnvelope.
@Suite("An independent RFC 9458 client")
struct IndependentClientTests {
    static let script = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Interop/ohttp_client.py")
    static let vector = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("LetheEnvelopeTests/Vectors/rfc9458-appendix-a.json")

    /// Runs the Python client and returns its standard output.
    static func python(_ arguments: [String]) async throws -> Program.Run {
        try await Program.run("python3", [script.path] + arguments, errorOutput: .discarded)
    }

    @Test("the independent client reproduces RFC 9458 Appendix A byte for byte")
    func vector() async throws {
        let result = try await Self.python(["vector", Self.vector.path])
        #expect(result.status == 0)
        #expect(result.output.contains("match byte for byte"))
    }

    @Test("its checks survive PYTHONOPTIMIZE: a vector with one changed byte fails under python -OO too")
    func checksAreNotAsserts() async throws {
        var vector = try JSONSerialization.jsonObject(with: Data(contentsOf: Self.vector)) as! [String: Any]
        let expected = vector["encapsulated_request"] as! String
        vector["encapsulated_request"] = String(expected.dropLast(2)) + (expected.hasSuffix("00") ? "01" : "00")
        let altered = URL(fileURLWithPath: "/tmp/lethe-vector-\(UUID().uuidString).json")
        try JSONSerialization.data(withJSONObject: vector).write(to: altered)
        defer { try? FileManager.default.removeItem(at: altered) }
        let result = try await Program.run("python3", [Self.script.path, "vector", altered.path], environment: ["PYTHONOPTIMIZE": "2"])
        #expect(result.status != 0)
        #expect(result.output.contains("encapsulated request differs"), "\(result.output.suffix(500))")
    }

    @Test("the independent client analyses the portrait through the worker")
    func analyse() async throws {
        try await WorkerHarness().run { session in
            let result = try await Self.python(["analyze", session.baseURL.absoluteString, session.token, TestPhotos.fixtureURL.path])
            #expect(result.status == 0)
            let answer = try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any]
            #expect(answer?["status"] as? Int == 200)
            let body = answer?["body"] as? [String: Any]
            #expect(body?["kind"] as? String == "skin")
            #expect((body?["image"] as? [String: Any])?["width"] as? Int == 512)
            #expect(try session.ledgerEntries().count == 1)
        }
    }
}
