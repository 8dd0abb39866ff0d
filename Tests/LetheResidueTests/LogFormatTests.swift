import Foundation
import LetheClient
import LetheTestSupport
import Testing

/// The real binary's JSON log lines: parseable, with the request's facts, never its content.
@Suite("Structured logs")
struct LogFormatTests {
    @Test("--log-format json writes one JSON object per line with request id, outcome and wipe facts")
    func jsonLines() async throws {
        let server = try await ServerProcess(arguments: ["--log-format", "json"])
        defer { server.stop() }
        let photo = try MarkerPhoto.make(seed: 700)
        let response = try await LetheClient(serverURL: server.baseURL, token: server.token).analyze(photo: photo.file)
        try await server.waitForLedgerEntries(1)

        let lines = server.log.split(separator: "\n").map(String.init)
        let objects = try lines.map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String], "not a JSON object: \(line)")
        }
        #expect(objects.contains { $0["message"]?.hasPrefix("hardening ") == true })
        let finished = try #require(objects.first { $0["message"] == "request finished" })
        #expect(finished["request_id"] == response.requestID)
        #expect(finished["outcome"] == "ok")
        #expect(finished["wipe_verified"] == "true")
        #expect(finished["level"] == "info")
        #expect(Int(finished["plaintext_lifetime_us"] ?? "") ?? 0 > 0)
        // Stage timings, in milliseconds, for every stage the request went through.
        for stage in ["decapsulate", "decode", "analyse", "encapsulate", "wipe", "ledger_append"] {
            #expect(Double(finished["\(stage)_ms"] ?? "").map { $0 >= 0 } == true, "no \(stage)_ms in \(finished)")
        }
        // Nothing from the photo or the result.
        let log = Data(server.log.utf8)
        for marker in photo.markers {
            #expect(log.withUnsafeBytes { Search.occurrences(of: marker.bytes, in: $0) }.isEmpty, "\(marker) in the log")
        }
    }
}
